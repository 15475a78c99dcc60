// Code coloured for the terminal with highlight.js's core, each language registered the first time code
// in it is shown: loading highlight.js whole registers near two hundred languages, and cli-highlight turns
// its output into colours through a full HTML parser, which together were most of what the walkthrough
// waited for before its first question. highlight.js marks tokens with <span class="hljs-..."> and escapes
// the text; that is all there is to turn into the painter's styles.
import { createRequire, Module } from 'node:module';
import type { Paint } from '../core/style.ts';

type Style = Parameters<Paint>[0];

interface Hljs {
  registerLanguage(name: string, language: unknown): void;
  getLanguage(name: string): unknown;
  highlight(code: string, options: { language: string; ignoreIllegals: boolean }): { value: string };
}

const require = createRequire(import.meta.url);
const hljs = require('highlight.js/lib/core') as Hljs;

/** Names runbooks give their code whose highlight.js language file is called otherwise. */
const FILES: Record<string, string> = {
  sh: 'bash',
  shell: 'bash',
  zsh: 'bash',
  console: 'bash',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  ts: 'typescript',
  yml: 'yaml',
  py: 'python',
  rb: 'ruby',
  rs: 'rust',
  html: 'xml',
  svg: 'xml',
  ps1: 'powershell',
  bat: 'dos',
  make: 'makefile',
  md: 'markdown',
  text: 'plaintext',
  txt: 'plaintext',
};

/** Registers the language `name` stands for, if highlight.js has it; whether code in it can be coloured. */
export function knownLanguage(name: string): boolean {
  if (hljs.getLanguage(name)) return true;
  const file = FILES[name] ?? name;
  if (!/^[a-z0-9-]+$/.test(file)) return false;
  try {
    hljs.registerLanguage(name, require(`highlight.js/lib/languages/${file}`));
  } catch {
    return false;
  }
  return Boolean(hljs.getLanguage(name));
}

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#x27;': "'",
};
const TOKEN = /<span class="hljs-([\w-]+)[^"]*">|<\/span>|([^<]+)/g;

/** `code` in `language` (known to knownLanguage), each token painted with the style `styles` gives its kind. */
export function colourCode(
  code: string,
  language: string,
  paint: Paint,
  styles: Record<string, Style>,
): string {
  const html = hljs.highlight(code, { language, ignoreIllegals: true }).value;
  const open: Array<Style | undefined> = [];
  let out = '';
  for (const [span, kind, text] of html.matchAll(TOKEN)) {
    if (kind !== undefined) open.push(styles[kind]);
    else if (span === '</span>') open.pop();
    else {
      const plain = (text as string).replace(/&(?:amp|lt|gt|quot|#x27);/g, (e) => ENTITIES[e] as string);
      // The innermost kind that has a style: `$X` inside a string is a variable.
      let style: Style | undefined;
      for (let i = open.length - 1; i >= 0 && style === undefined; i--) style = open[i];
      out += style ? paint(style, plain) : plain;
    }
  }
  return out;
}

/**
 * marked-terminal imports cli-highlight for a code renderer the walkthrough replaces with its own. This
 * gives it a stand-in, so cli-highlight and the HTML parser it brings are never loaded.
 */
export function standInForCliHighlight(): void {
  const fromMarkedTerminal = createRequire(require.resolve('marked-terminal'));
  let main: string;
  try {
    main = fromMarkedTerminal.resolve('cli-highlight');
  } catch {
    return;
  }
  if (require.cache[main]) return;
  const standIn = new Module(main);
  standIn.filename = main;
  standIn.loaded = true;
  standIn.exports = { highlight: (code: string) => code, supportsLanguage: () => false };
  require.cache[main] = standIn;
}
