// Markdown prose and step code as terminal text. Pure: strings in, strings out. Whether to colour and how
// wide to wrap are the caller's decision (NO_COLOR, a terminal or not, a test), never detected here, so
// chalk's and highlight.js's own colour detection is bypassed: every style goes through core/style.ts's `painter`.
import { Marked, type Tokens } from 'marked';
import { type Paint, painter } from '../core/style.ts';
import { colourCode, knownLanguage, standInForCliHighlight } from './highlight.ts';
import { type Piece, type Rendered, type RenderOptions, stripAnsi, stripControl } from './text.ts';

// marked-terminal imports cli-highlight for a code renderer this module replaces: it gets a stand-in, put
// in place before marked-terminal is loaded (a static import would load cli-highlight first).
standInForCliHighlight();
const { markedTerminal } = await import('marked-terminal');

type ThemeStyle = Parameters<Paint>[0];
const THEME_STYLES: Record<string, ThemeStyle> = {
  keyword: 'blue',
  built_in: 'cyan',
  type: 'cyan',
  literal: 'blue',
  number: 'magenta',
  regexp: 'red',
  string: 'green',
  variable: 'yellow',
  template_variable: 'yellow',
  function: 'yellow',
  title: 'yellow',
  attr: 'cyan',
  comment: 'gray',
  doctag: 'gray',
  meta: 'gray',
  name: 'blue',
  tag: 'gray',
  emphasis: 'italic',
  strong: 'bold',
};

/** Syntax-highlighted code (bash for shell steps); plain when colour is off or the language is unknown. */
export function highlightCode(code: string, lang: string | undefined, color: boolean): string {
  const clean = stripControl(code);
  const language = lang;
  if (!color || !language || !knownLanguage(language)) return clean;
  try {
    return colourCode(clean, language, painter(color), THEME_STYLES);
  } catch {
    return clean;
  }
}

/** A step's code with a gutter, so it reads as a block apart from the prose around it. */
export function renderCode(code: string, lang: string, opts: RenderOptions): string {
  const paint = painter(opts.color);
  const bar = paint('dim', '│');
  const lines = highlightCode(code, lang, opts.color).split('\n');
  return `${lines.map((line) => `  ${bar} ${line}`.trimEnd()).join('\n')}\n`;
}

const renderers = new Map<string, Marked>();

function markdownFor(opts: RenderOptions): Marked {
  const key = `${opts.color}:${opts.width}`;
  const cached = renderers.get(key);
  if (cached) return cached;
  const paint = painter(opts.color);
  const style = (s: ThemeStyle) => (text: string) => paint(s, text);
  const same = (text: string) => text;
  const marked = new Marked();
  marked.use(
    markedTerminal({
      code: style('yellow'),
      blockquote: style(['gray', 'italic']),
      html: style('gray'),
      heading: style(['green', 'bold']),
      firstHeading: style(['magenta', 'bold']),
      hr: same,
      listitem: same,
      table: same,
      paragraph: same,
      strong: style('bold'),
      em: style('italic'),
      codespan: style('yellow'),
      del: style(['dim', 'strikethrough']),
      link: style('blue'),
      href: style(['blue', 'underline']),
      text: same,
      emoji: false,
      reflowText: true,
      width: opts.width,
      tab: 2,
      // cli-table3 colours its borders and header on its own unless told otherwise.
      tableOptions: { style: { head: opts.color ? ['bold'] : [], border: opts.color ? ['gray'] : [] } },
    }),
  );
  marked.use({
    renderer: {
      // marked-terminal renders a text token from its raw text, and a tight list item's content is one such
      // token, so `- **bold** and \`code\`` came out with the markers (mikaelbr/marked-terminal#304, #371).
      text(token: Tokens.Text | Tokens.Escape) {
        return 'tokens' in token && token.tokens ? this.parser.parseInline(token.tokens) : false;
      },
      // Always "text (url)": terminal hyperlinks hide the address, and a runbook's reader may need to copy it.
      link(token: Tokens.Link) {
        const text = this.parser.parseInline(token.tokens);
        const href = paint(['blue', 'underline'], stripControl(token.href));
        const plainText = stripAnsi(text);
        if (!plainText || plainText === token.href || `mailto:${plainText}` === token.href) return href;
        return `${paint('blue', text)} (${href})`;
      },
      code(token: Tokens.Code) {
        const body = highlightCode(token.text, token.lang?.split(/\s/)[0], opts.color);
        return `${body
          .split('\n')
          .map((line) => `  ${line}`.trimEnd())
          .join('\n')}\n\n`;
      },
      // Comments are notes to the runbook's editors; on GitHub they are invisible too.
      html(token: Tokens.HTML | Tokens.Tag) {
        return /^\s*<!--[\s\S]*-->\s*$/.test(token.text) ? '' : false;
      },
    },
  });
  renderers.set(key, marked);
  return marked;
}

/** Markdown for the terminal: headings, emphasis, lists, links, code; empty when the prose is blank. */
export function renderProse(markdown: string, opts: RenderOptions): string {
  if (!markdown.trim()) return '';
  const out = markdownFor(opts).parse(markdown, { async: false });
  const text = out.replace(/\n{3,}/g, '\n\n').trim();
  return text ? `${text}\n` : '';
}

/** One piece as the views show it. */
export function renderPiece(piece: Piece, opts: RenderOptions): string {
  return piece.kind === 'prose'
    ? renderProse(piece.text, opts)
    : renderCode(piece.text, piece.lang ?? 'text', opts);
}

/** Rendering as it is asked for, with nothing kept (the dry run). */
export function renderedHere(opts: RenderOptions): Rendered {
  return {
    prose: (text) => renderProse(text, opts),
    code: (text, lang) => renderCode(text, lang, opts),
  };
}
