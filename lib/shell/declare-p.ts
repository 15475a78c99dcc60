// Reads bash's own `declare -p` output as data: one line per variable, values in bash's quoting
// ("..." with \" \\ \$ \` escapes, or $'...' for control characters). Nothing here evaluates anything.

import { textOfBytes } from '../core/byte-text.ts';
import { IDENTIFIER_SOURCE } from '../core/identifiers.ts';
import type { CarriedVar } from '../core/types.ts';

export interface Declaration {
  name: string;
  /** Attribute letters as bash printed them, e.g. "ax", "r", "" for `--`. */
  flags: string;
  value: CarriedVar;
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, e: 27, E: 27, f: 12, n: 10, r: 13, t: 9, v: 11 };
const HEAD = new RegExp(`^declare -([a-zA-Z-]*) (${IDENTIFIER_SOURCE})(=?)`);

class Reader {
  i = 0;
  /** Where the next of each character is (-1: none left), kept so that one long line is scanned once. */
  private readonly next = new Map<string, number>();
  constructor(readonly s: string) {}

  private nextOf(char: string, at: number): number {
    let found = this.next.get(char) ?? -2;
    if (found !== -1 && found < at) {
      found = this.s.indexOf(char, at);
      this.next.set(char, found);
    }
    return found;
  }

  fail(why: string): never {
    throw new Error(
      `unreadable declare -p output (${why}) at ${JSON.stringify(this.s.slice(this.i, this.i + 20))}`,
    );
  }

  /** A "double-quoted" or $'ANSI-C' string. */
  quoted(): string {
    if (this.s.startsWith('"', this.i)) return this.double();
    if (this.s.startsWith("$'", this.i)) return this.ansi();
    return this.fail('expected a quoted value');
  }

  /** "...": runs without escapes are copied whole, so a value of megabytes costs a few slices. */
  private double(): string {
    const s = this.s;
    const parts: string[] = [];
    let from = this.i + 1;
    for (let at = from; ; ) {
      const quote = this.nextOf('"', at);
      if (quote < 0) break;
      const backslash = this.nextOf('\\', at);
      if (backslash < 0 || backslash > quote) {
        parts.push(s.slice(from, quote));
        this.i = quote + 1;
        return parts.length === 1 ? (parts[0] as string) : parts.join('');
      }
      const next = s[backslash + 1] ?? '';
      if ('"\\$`\n'.includes(next) && next !== '') {
        parts.push(s.slice(from, backslash), next);
        from = backslash + 2;
      }
      at = backslash + 2;
    }
    this.i = s.length;
    return this.fail('unterminated "');
  }

  /**
   * $'...': plain runs are copied whole. Escapes of bytes below 0x80 are characters; higher ones are parts
   * of a UTF-8 sequence bash would not print as it is, decoded together (bytes of no valid sequence are
   * kept as core/byte-text.ts says).
   */
  private ansi(): string {
    const s = this.s;
    const parts: string[] = [];
    const high: number[] = [];
    const text = (t: string) => {
      if (high.length) parts.push(textOfBytes(Buffer.from(high.splice(0))));
      parts.push(t);
    };
    const byte = (b: number) => {
      if (b < 0x80) text(String.fromCharCode(b));
      else high.push(b);
    };
    let from = this.i + 2;
    for (let at = from; at < s.length; ) {
      const quote = this.nextOf("'", at);
      if (quote < 0) break;
      const backslash = this.nextOf('\\', at);
      const end = backslash < 0 || backslash > quote ? quote : backslash;
      if (end > from) text(s.slice(from, end));
      if (end === quote) {
        text('');
        this.i = quote + 1;
        return parts.join('');
      }
      const e = s[backslash + 1] ?? '';
      let i = backslash + 2;
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) byte(simple);
      else if (e >= '0' && e <= '7') {
        const m = /^[0-7]{1,3}/.exec(s.slice(i - 1, i + 2)) as RegExpExecArray;
        byte(Number.parseInt(m[0], 8) & 0xff);
        i += m[0].length - 1;
      } else if (e === 'x' || e === 'u' || e === 'U') {
        const max = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const m = new RegExp(`^[0-9a-fA-F]{1,${max}}`).exec(s.slice(i, i + max));
        if (!m) {
          this.i = i;
          this.fail(`bad \\${e} escape`);
        }
        const n = Number.parseInt(m[0], 16);
        if (e === 'x') byte(n);
        else text(String.fromCodePoint(n));
        i += m[0].length;
      } else if (e === 'c') {
        byte(s.charCodeAt(i) & 0x1f);
        i++;
      } else text(e);
      from = at = i;
    }
    this.i = s.length;
    return this.fail("unterminated $'");
  }

  /** `(` `[key]=value` ... `)` */
  entries(): Record<string, string> {
    const out: Record<string, string> = {};
    if (this.s[this.i] !== '(') this.fail('expected (');
    this.i++;
    for (;;) {
      while (this.s[this.i] === ' ') this.i++;
      if (this.s[this.i] === ')') {
        this.i++;
        return out;
      }
      if (this.s[this.i] !== '[') this.fail('expected [');
      this.i++;
      let key: string;
      if (this.s[this.i] === '"' || this.s.startsWith("$'", this.i)) key = this.quoted();
      else {
        const end = this.nextOf(']', this.i);
        if (end < 0) this.fail('unterminated key');
        key = this.s.slice(this.i, end);
        this.i = end;
      }
      if (!this.s.startsWith(']=', this.i)) this.fail('expected ]=');
      this.i += 2;
      out[key] = this.quoted();
    }
  }
}

/** One line of `declare -p` output. */
export function parseDeclaration(line: string): Declaration {
  const unreadable = () => new Error(`unreadable declare -p line: ${JSON.stringify(line.slice(0, 40))}`);
  const head = HEAD.exec(line);
  if (!head) throw unreadable();
  const [, rawFlags = '', name = '', eq] = head;
  const flags = rawFlags.replace(/-/g, '');
  const attrs = flags.replace(/[aAr]/g, '');
  if (!eq) {
    // Declared with no value yet (`declare -A M`, `declare -i N`, `export X`): its kind and attributes.
    if (line.length !== head[0].length) throw unreadable();
    const type = flags.includes('a') ? 'indexed' : flags.includes('A') ? 'assoc' : 'scalar';
    return {
      name,
      flags,
      value:
        type === 'scalar'
          ? { type, attrs, value: '', declared: true }
          : { type, attrs, value: {}, declared: true },
    };
  }
  const r = new Reader(line);
  r.i = head[0].length;
  let value: CarriedVar;
  if (flags.includes('a')) value = { type: 'indexed', attrs, value: r.entries() };
  else if (flags.includes('A')) value = { type: 'assoc', attrs, value: r.entries() };
  else value = { type: 'scalar', attrs, value: r.quoted() };
  if (r.i !== line.length) r.fail('trailing text');
  return { name, flags, value };
}

/** How bash begins the line of a variable with no attributes. */
const PLAIN_HEAD = 'declare -- ';

/**
 * The value of `name`'s line when it is a scalar with no attributes and no escape in its quoting
 * (`declare -- NAME="value"`), read straight off the line; otherwise undefined, for parseDeclaration.
 * Most lines a step leaves are such, and this costs one scan of the line where the reader costs objects.
 */
export function plainScalar(name: string, line: string): string | undefined {
  const start = PLAIN_HEAD.length + name.length + 2;
  if (line.length <= start || !line.startsWith(PLAIN_HEAD) || !line.startsWith(name, PLAIN_HEAD.length))
    return undefined;
  if (line.charCodeAt(start - 2) !== 61 || line.charCodeAt(start - 1) !== 34) return undefined; // ="
  if (line.charCodeAt(line.length - 1) !== 34 || line.indexOf('\\', start) !== -1) return undefined;
  // With no backslash, bash's double quotes hold the value as it is: a `"`, `$` or backquote would be escaped.
  return line.slice(start, -1);
}

/** Splits `declare -p` output into its lines by variable name. */
export function declarationLines(text: string): Map<string, string> {
  const lines = new Map<string, string>();
  for (const line of text.split('\n')) {
    const name = HEAD.exec(line)?.[2];
    if (name) lines.set(name, line);
  }
  return lines;
}

/**
 * A `declare -p` line as the server sources it (readonly dropped, `-g` kept global). A plain scalar that
 * the server holds with no attributes, or not at all (`plain`), becomes a plain assignment: bash sources
 * `NAME="value"` several times faster than `declare`, and with nothing to add or take away it is the same.
 */
export function adoptableLine(line: string, plain = false): string {
  return line.replace(HEAD, (_all, flags: string, name: string, eq: string) => {
    if (plain && flags === '-' && eq === '=') return `${name}=`;
    // -g: the server may source this from inside a function; the variable must still be global. Plain
    // `declare`, not `builtin declare`: only the keyword form parses a compound array assignment as one.
    return `declare -g${flags.replace(/[-r]/g, '')} ${name}${eq}`;
  });
}
