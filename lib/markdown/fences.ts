// Fenced code blocks exactly as CommonMark 0.31.2 reads them, on top of marked's block lexer.
//
// marked finds the block structure (lists, block quotes, HTML blocks, paragraphs) well, but its fence
// rule drifts from the spec: it keeps an extra newline when the content ends with a blank line, wants
// only spaces after a closing fence, strips indentation by characters rather than columns (and not at
// all for `~~~`), and expands tabs inside list items. So marked's `fences` rule is replaced by a
// CommonMark one here, which keeps marked's block structure right, and fence-lines.ts then re-reads
// each block's lines from the source with the spec's column rules, which keeps tabs in heredocs intact.
import { getDefaults, Lexer, Tokenizer, type Tokens } from 'marked';

export interface Fence {
  char: '`' | '~';
  /** Number of fence characters of the opening fence. */
  length: number;
  /** Columns of indentation before the opening fence, inside its container. */
  indent: number;
  /** The info string, trimmed, backslash escapes left as written. */
  info: string;
  /** Content lines as marked's container text has them (fallback when the source disagrees). */
  lines: string[];
  closed: boolean;
}

export type FenceToken = Tokens.Code & { fence: Fence };

const OPENING = /^( {0,3})(`{3,}|~{3,})([^\n]*)/;
const CLOSING = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;

class CommonMarkFences extends Tokenizer {
  override fences(src: string): FenceToken | undefined {
    const open = OPENING.exec(src);
    if (!open) return undefined;
    const indent = open[1] ?? '';
    const marker = open[2] ?? '';
    const info = open[3] ?? '';
    const char = marker[0] === '~' ? '~' : '`';
    if (char === '`' && info.includes('`')) return undefined;
    const lines: string[] = [];
    let closed = false;
    let end = open[0].length;
    while (end < src.length) {
      // `end` sits on the newline that ends the previous line; a final newline starts no new line.
      const start = end + 1;
      if (start >= src.length) {
        end = start;
        break;
      }
      const next = src.indexOf('\n', start);
      const stop = next === -1 ? src.length : next;
      const line = src.slice(start, stop);
      end = stop;
      const close = CLOSING.exec(line);
      if (close?.[1]?.[0] === char && close[1].length >= marker.length) {
        closed = true;
        if (end < src.length) end++;
        break;
      }
      lines.push(line);
    }
    return {
      type: 'code',
      raw: src.slice(0, end),
      lang: firstWord(info),
      text: lines.map((line) => stripColumns(line, indent.length)).join('\n'),
      fence: { char, length: marker.length, indent: indent.length, info: info.trim(), lines, closed },
    };
  }
}

/** The language word of an info string: up to the first space or `{`. */
export function firstWord(info: string): string {
  return /^[^\s{]*/.exec(info.trim())?.[0] ?? '';
}

/** Removes up to `columns` columns of leading spaces (marked's container text has no leading tabs left). */
export function stripColumns(line: string, columns: number): string {
  let i = 0;
  while (i < columns && line[i] === ' ') i++;
  return line.slice(i);
}

/**
 * A block lexer whose fences follow CommonMark; `gfm` off because CommonMark has no tables. Built from
 * marked's pristine defaults, so a `marked.use(...)` elsewhere (marked-terminal) cannot change parsing.
 */
export function createLexer(): Lexer {
  return new Lexer({ ...getDefaults(), gfm: false, tokenizer: new CommonMarkFences() });
}

export function isFenceToken(token: { type: string }): token is FenceToken {
  return token.type === 'code' && 'fence' in token;
}
