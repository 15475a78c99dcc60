// YAML front matter: the lines between a `---` first line and the next `---` (or `...`) line.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { InputError } from '../core/errors.ts';
import { nearestName } from '../core/near-name.ts';
import { isSecretName } from '../core/secrets.ts';
import type { FrontMatter, ParseWarning, Requirement } from '../core/types.ts';
import { readInputs } from './inputs-spec.ts';

export interface SplitRunbook {
  frontMatter: FrontMatter;
  /** The Markdown after the front matter. */
  body: string;
  /** 0-based line of the file on which `body` starts. */
  bodyLine: number;
  warnings: ParseWarning[];
}

// loading yaml is a large share of the `--list` start-up budget; load it only for files
// that have front matter.
let yamlModule: typeof Yaml | undefined;
function yaml(): typeof Yaml {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yamlModule;
}

const OPENING = /^---[ \t]*(?:\n|$)/;
const CLOSING = /^(?:---|\.\.\.)[ \t]*$/;

/** Splits `text` (LF line endings) into front matter and body. */
export function splitFrontMatter(text: string): SplitRunbook {
  if (!OPENING.test(text)) return { frontMatter: {}, body: text, bodyLine: 0, warnings: [] };
  const lines = text.split('\n');
  const close = lines.findIndex((line, i) => i > 0 && CLOSING.test(line));
  if (close === -1) {
    const message = "a '---' first line opens front matter that no '---' line closes; read as Markdown";
    return { frontMatter: {}, body: text, bodyLine: 0, warnings: [{ line: 1, message }] };
  }
  const source = lines.slice(1, close).join('\n');
  const body = lines.slice(close + 1).join('\n');
  const { frontMatter, warnings } = readYaml(source);
  return { frontMatter, body, bodyLine: close + 1, warnings };
}

function readYaml(source: string): { frontMatter: FrontMatter; warnings: ParseWarning[] } {
  const { LineCounter, parseDocument, isMap, isNode } = yaml();
  const counter = new LineCounter();
  const doc = parseDocument(source, { lineCounter: counter, prettyErrors: false });
  // Line 1 of the YAML is line 2 of the file.
  const lineOf = (offset: number | undefined) => counter.linePos(offset ?? 0).line + 1;
  const [error] = doc.errors;
  if (error) throw new InputError(`front matter line ${lineOf(error.pos[0])}: ${reason(error.message)}`);
  const warnings = doc.warnings.map((w) => ({
    line: lineOf(w.pos[0]),
    message: `front matter: ${reason(w.message)}`,
  }));
  const contents = doc.contents;
  if (contents === null) return { frontMatter: {}, warnings };
  if (!isMap(contents)) {
    const got = describe(contents.toJSON());
    throw new InputError(
      `front matter line ${lineOf(contents.range?.[0])}: expected key: value lines, got ${got}`,
    );
  }
  const frontMatter: FrontMatter = {};
  for (const pair of contents.items) {
    const key = String(isNode(pair.key) ? pair.key.toJSON() : pair.key);
    const at = isNode(pair.key) ? pair.key.range?.[0] : undefined;
    const fail: Fail = (what, node) => {
      const offset = isNode(node) ? (node.range?.[0] ?? at) : at;
      throw new InputError(`front matter line ${lineOf(offset)}: ${what}`);
    };
    const warn = (what: string, node?: unknown) => {
      const offset = isNode(node) ? (node.range?.[0] ?? at) : at;
      warnings.push({ line: lineOf(offset), message: `front matter: ${what}` });
    };
    frontMatter[key] = typedValue(key, pair.value, fail, warn);
  }
  markSecretInputs(frontMatter);
  return { frontMatter, warnings };
}

/**
 * An input whose name looks secret (`API_KEY`) or that `secrets:` lists is a secret input, as if it said
 * `secret: true`: its value is masked when asked for and never quoted in a message, the dry run or --list.
 */
function markSecretInputs(frontMatter: FrontMatter): void {
  const listed = new Set(Array.isArray(frontMatter.secrets) ? frontMatter.secrets : []);
  for (const [name, spec] of Object.entries(frontMatter.inputs ?? {})) {
    if (!spec.secret && (isSecretName(name) || listed.has(name))) spec.secret = true;
  }
}

/** yaml's message without its " at line L, column C" tail (the file's line is given instead). */
function reason(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'nothing';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value} (${JSON.stringify(value)})`;
}

/** The keys runbook reads. */
const FRONT_MATTER_KEYS = ['title', 'cwd', 'requires', 'shell', 'secrets', 'inputs'];

/** Throws an InputError naming the line of `node`, or of the key being checked. */
type Fail = (what: string, node?: unknown) => never;

/** Checks the keys runbook understands; other keys are kept as YAML gave them. */
function typedValue(
  key: string,
  node: unknown,
  fail: Fail,
  warn: (what: string, node?: unknown) => void,
): unknown {
  const { isNode } = yaml();
  const value: unknown = isNode(node) ? node.toJSON() : node;
  switch (key) {
    case 'inputs':
      return readInputs(node, { yaml: yaml(), fail, warn, text, describe });
    case 'title':
    case 'cwd':
    case 'shell':
      return text(node, value, () => fail(`${key} must be a string, not ${describe(value)}`));
    case 'secrets':
      return list(node, value, key, fail).map((item, i) =>
        text(item.node, item.value, () =>
          fail(`secrets item ${i + 1} must be a name, not ${describe(item.value)}`, item.node),
        ),
      );
    case 'requires':
      return list(node, value, key, fail).map((item, i) => requirement(item.node, item.value, i + 1, fail));
    default: {
      // Other keys are the author's own; one a letter or two from a known key is likely a typo of it.
      const near = nearestName(key, FRONT_MATTER_KEYS);
      if (near) warn(`unknown key ${key} (did you mean ${near}?) is ignored`);
      return value;
    }
  }
}

/** A scalar as written: `version: 1.30` stays "1.30" rather than becoming the number 1.3. */
function text(node: unknown, value: unknown, otherwise: () => never): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') {
    const { isScalar } = yaml();
    return isScalar(node) && typeof node.source === 'string' ? node.source : String(value);
  }
  return otherwise();
}

/** A list, or a single scalar standing for a one-item list. */
function list(node: unknown, value: unknown, key: string, fail: Fail): { node: unknown; value: unknown }[] {
  const { isSeq, isNode } = yaml();
  if (isSeq(node))
    return node.items.map((item) => ({ node: item, value: isNode(item) ? item.toJSON() : item }));
  if (typeof value === 'string') return [{ node, value }];
  return fail(`${key} must be a list, not ${describe(value)}`);
}

function requirement(node: unknown, value: unknown, position: number, fail: Fail): Requirement {
  const { isMap, isNode } = yaml();
  const bad = (): never =>
    fail(
      `requires item ${position} must be a command name or a mapping with a name, not ${describe(value)}`,
      node,
    );
  if (typeof value === 'string') return value;
  if (!isMap(node)) return bad();
  const entry: Record<string, unknown> = {};
  for (const pair of node.items) {
    const key = String(isNode(pair.key) ? pair.key.toJSON() : pair.key);
    const item: unknown = isNode(pair.value) ? pair.value.toJSON() : pair.value;
    if (key === 'warn') {
      if (typeof item !== 'boolean')
        fail(
          `requires item ${position}: warn must be true or false, not ${describe(item)}`,
          pair.value ?? node,
        );
      entry.warn = item;
      continue;
    }
    const known = key === 'name' || key === 'version' || key === 'check' || key === 'hint';
    entry[key] = known
      ? text(pair.value, item, () =>
          fail(
            `requires item ${position}: ${key} must be a string, not ${describe(item)}`,
            pair.value ?? node,
          ),
        )
      : item;
  }
  if (typeof entry.name !== 'string' || entry.name === '') return bad();
  return entry as Requirement;
}
