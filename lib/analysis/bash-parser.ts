// Loads mvdan/sh (the GopherJS build, npm `mvdan-sh`) and gives its full syntax tree as plain objects.
// sh-syntax, the WebAssembly build, only returns statement positions, not the nodes inside them,
// so it cannot tell which variables a step reads.
import { type CachedModule, requireCached } from '../os/code-cache.ts';
import { SYNTAX_SAMPLE } from './syntax-sample.ts';

/**
 * A node of mvdan/sh's syntax tree as a plain object: `type` is the Go type name (`CallExpr`, `Word`...),
 * `line` the 1-based line it starts on, and the other keys are the Go struct's exported fields
 * (nodes, arrays of nodes, strings, booleans, operator numbers; positions left out).
 */
// biome-ignore lint/suspicious/noExplicitAny: the fields depend on `type`, as in the Go package
export type ShNode = { type: string; line: number } & Record<string, any>;

interface MvdanSyntax {
  NewParser(...options: unknown[]): { Parse(src: string, name: string): { __internal_object__: GoValue } };
  Variant(lang: unknown): unknown;
  LangBash: unknown;
}

/** GopherJS's representation of a Go value, with the type metadata it carries. */
// biome-ignore lint/suspicious/noExplicitAny: GopherJS internals
type GoValue = any;

// GopherJS kind numbers (reflect.Kind).
const KIND = { interface: 20, pointer: 22, slice: 23, string: 24, struct: 25 } as const;

/** GopherJS keeps Go strings as UTF-8 bytes in a JS string. */
function goString(value: string): string {
  return /[\x80-\xff]/.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
}

/**
 * Copies the Go tree into plain objects. Reading GopherJS's exported wrappers is slow per field
 * access; this walks its internal values directly, in a few milliseconds for a whole runbook.
 */
function plainTree(value: GoValue): ShNode | null {
  const type = value?.constructor;
  if (!type || value === type.nil || !type.elem?.fields || !String(type.string).startsWith('*syntax.'))
    return null;
  const node: ShNode = {
    type: String(type.string).slice('*syntax.'.length),
    line: typeof value.Pos === 'function' ? value.Pos().Line() : 0,
  };
  for (const field of type.elem.fields) {
    if (!field.exported) continue;
    const fieldValue = value[field.prop];
    switch (field.typ.kind) {
      case KIND.slice: {
        // Slices of structs are comments; slices of nodes are what matters.
        if (field.typ.elem.kind === KIND.struct) break;
        const items: ShNode[] = [];
        for (let i = 0; i < fieldValue.$length; i++) {
          const item = plainTree(fieldValue.$array[fieldValue.$offset + i]);
          if (item) items.push(item);
        }
        node[field.name] = items;
        break;
      }
      case KIND.pointer:
      case KIND.interface:
        node[field.name] = plainTree(fieldValue);
        break;
      case KIND.string:
        node[field.name] = goString(fieldValue);
        break;
      case KIND.struct:
        break;
      default:
        node[field.name] = fieldValue;
    }
  }
  return node;
}

/** Operator codes are numbers whose values depend on the mvdan/sh build, so they are learned by parsing. */
export interface OperatorCodes {
  /** `${X-d}` `${X:-d}`: the read brings its own value, so it does not need X. */
  paramDefault: Set<number>;
  /** `${X+d}` `${X:+d}`: a test of whether X is set (or empty). */
  paramAlt: Set<number>;
  /** `[[ -v X ]]`: whether X is set. */
  testVar: number;
  /** `${X=d}` `${X:=d}`: assigns X when unset, so X is not needed and is set. */
  paramAssign: Set<number>;
  /** `=` `+=` ... in arithmetic. */
  arithAssign: Set<number>;
  /** `=` alone, which does not read its target. */
  arithPlainAssign: number;
  /** `++` and `--`. */
  arithIncDec: Set<number>;
  /** `|` and `|&`: both sides run in subshells. */
  pipe: Set<number>;
  /** `>` `>>` `>|` `&>` `&>>`: redirections that create or write a file. */
  redirectWrite: Set<number>;
}

export interface ShellParser {
  ops: OperatorCodes;
  /** Parses bash code; throws ShellParseError. */
  parse(code: string): ShNode;
}

export class ShellParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'ShellParseError';
  }
}

let loading: Promise<ShellParser> | undefined;
let code: CachedModule | undefined;

/**
 * The parser, loaded once on first use, so only analysis pays for it. Through require, not import: importing
 * a CommonJS file of this size from ESM has Node scan all of it for its exports first. With V8's code
 * cache (os/code-cache.ts): compiling it is most of what loading it costs. `compiled`, on the first call,
 * is called once V8 has judged that cache (see requireCached).
 */
export function loadShellParser(compiled?: () => void): Promise<ShellParser> {
  loading ??= Promise.resolve().then(() => {
    code = requireCached('mvdan-sh', import.meta.url, undefined, compiled);
    const { syntax } = code.exports as { syntax: MvdanSyntax };
    const parser = syntax.NewParser(syntax.Variant(syntax.LangBash));
    const parse = (code: string): ShNode => {
      let file: { __internal_object__: GoValue };
      try {
        file = parser.Parse(code, 'step');
      } catch (error) {
        throw toParseError(error);
      }
      return plainTree(file.__internal_object__) as ShNode;
    };
    return { ops: learnOperators(parse), parse };
  });
  return loading;
}

/**
 * Keeps the parser's compiled code for the next process, once it has parsed something (see
 * os/code-cache.ts). Before a cache is written the parser reads a sample of all of bash's syntax, so that
 * the cache holds its code for all of it, whichever runbook happened to come first.
 */
export async function keepParserCode(): Promise<void> {
  if (!code?.stale) return;
  try {
    (await loadShellParser()).parse(SYNTAX_SAMPLE);
  } catch {
    // A sample this parser cannot read only makes a smaller cache.
  }
  await code.keep();
}

function toParseError(error: unknown): Error {
  const e = error as { Text?: unknown; Pos?: { Line?: () => number; Col?: () => number } };
  if (typeof e?.Text === 'string') {
    const line = typeof e.Pos?.Line === 'function' ? e.Pos.Line() : 0;
    const col = typeof e.Pos?.Col === 'function' ? e.Pos.Col() : 0;
    return new ShellParseError(`line ${line}:${col}: ${e.Text}`, line);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function learnOperators(parse: (code: string) => ShNode): OperatorCodes {
  const stmts = (code: string): ShNode[] => parse(code).Stmts;
  const expOps = (code: string): number[] =>
    ((stmts(code)[0] as ShNode).Cmd.Args as ShNode[]).slice(1).map((w) => w.Parts[0].Exp.Op as number);
  const arithOps = (code: string): number[] => stmts(code).map((s) => s.Cmd.X.Op as number);
  const assignOps = arithOps(
    '((a=1));((a+=1));((a-=1));((a*=1));((a/=1));((a%=1));((a<<=1));((a>>=1));((a&=1));((a|=1));((a^=1))',
  );
  return {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash, not a template
    paramDefault: new Set(expOps(': ${a-x} ${a:-x}')),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash, not a template
    paramAlt: new Set(expOps(': ${a+x} ${a:+x}')),
    testVar: (stmts('[[ -v a ]]')[0] as ShNode).Cmd.X.Op as number,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash, not a template
    paramAssign: new Set(expOps(': ${a=x} ${a:=x}')),
    arithAssign: new Set(assignOps),
    arithPlainAssign: assignOps[0] as number,
    arithIncDec: new Set(arithOps('((a++));((a--));((++a));((--a))')),
    pipe: new Set(stmts('a | b; a |& b').map((s) => s.Cmd.Op as number)),
    redirectWrite: new Set(
      stmts('a > f; a >> f; a >| f; a &> f; a &>> f').map((s) => s.Redirs[0].Op as number),
    ),
  };
}

/**
 * What bash's quote removal leaves of a literal part's text: outside double quotes a backslash quotes the
 * character after it (and a backslash-newline is nothing); inside them only before $ ` " \ or a newline.
 * The parser keeps a literal's text as written.
 */
function unescaped(text: string, quoted: boolean): string {
  if (!text.includes('\\')) return text;
  return quoted
    ? text.replace(/\\([$`"\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c))
    : text.replace(/\\([\s\S])/g, (_m, c: string) => (c === '\n' ? '' : c));
}

/**
 * The text of a word made only of literal and quoted-literal parts, as bash hands it to the command
 * (quotes removed, `\export` is `export`); undefined when it expands anything.
 */
export function literalWord(word: ShNode | null | undefined, quoted = false): string | undefined {
  if (!word) return undefined;
  let text = '';
  for (const part of word.Parts as ShNode[]) {
    const type = part.type;
    if (type === 'Lit') text += unescaped(part.Value, quoted);
    else if (type === 'SglQuoted') {
      // $'...' keeps its escapes unprocessed in Value.
      if (part.Dollar && String(part.Value).includes('\\')) return undefined;
      text += part.Value;
    } else if (type === 'DblQuoted') {
      const inner = literalWord(part, true);
      if (inner === undefined) return undefined;
      text += inner;
    } else return undefined;
  }
  return text;
}

/** The literal start of a word, up to its first expansion: enough to see `arr[` in `"arr[$i]"`. */
export function literalStart(word: ShNode, quoted = false): string {
  let text = '';
  for (const part of word.Parts as ShNode[]) {
    if (part.type === 'Lit') text += unescaped(part.Value, quoted);
    else if (part.type === 'SglQuoted' && !part.Dollar) text += part.Value;
    else if (part.type === 'DblQuoted') return text + literalStart(part, true);
    else return text;
  }
  return text;
}

/** Calls `visit` on every child of a plain-object syntax node, in field (source) order. */
export function forEachChild(node: ShNode, visit: (child: ShNode) => void): void {
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) for (const item of value) visit(item);
    else if (value && typeof value === 'object') visit(value);
  }
}
