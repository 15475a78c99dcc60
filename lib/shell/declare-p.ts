// Reads bash's own `declare -p` output as data: one line per variable, values in bash's quoting
// ("..." with \" \\ \$ \` escapes, or $'...' for control characters). Nothing here evaluates anything.

import { IDENTIFIER_SOURCE } from '../core/identifiers.ts';
import type { CarriedVar } from '../core/types.ts';

export interface Declaration {
  name: string;
  /** Attribute letters as bash printed them, e.g. "ax", "r", "" for `--`. */
  flags: string;
  /** Absent for a variable declared without a value (`declare -- X`). */
  value?: CarriedVar;
}

const HEAD = new RegExp(`^declare -([a-zA-Z-]*) (${IDENTIFIER_SOURCE})(=?)`);

class Reader {
  i = 0;
  constructor(readonly s: string) {}

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

  private double(): string {
    let out = '';
    for (this.i++; this.i < this.s.length; this.i++) {
      const c = this.s[this.i] as string;
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === '\\' && '"\\$`\n'.includes(this.s[this.i + 1] ?? '')) {
        out += this.s[++this.i];
        continue;
      }
      out += c;
    }
    return this.fail('unterminated "');
  }

  private ansi(): string {
    const bytes: number[] = [];
    const text = (t: string) => bytes.push(...Buffer.from(t, 'utf8'));
    const simple: Record<string, number> = { a: 7, b: 8, e: 27, E: 27, f: 12, n: 10, r: 13, t: 9, v: 11 };
    for (this.i += 2; this.i < this.s.length; ) {
      const c = this.s[this.i] as string;
      if (c === "'") {
        this.i++;
        return Buffer.from(bytes).toString('utf8');
      }
      if (c !== '\\') {
        const cp = this.s.codePointAt(this.i) as number;
        text(String.fromCodePoint(cp));
        this.i += cp > 0xffff ? 2 : 1;
        continue;
      }
      const e = this.s[this.i + 1] ?? '';
      this.i += 2;
      if (e in simple) bytes.push(simple[e] as number);
      else if (/[0-7]/.test(e)) {
        const m = /^[0-7]{1,3}/.exec(this.s.slice(this.i - 1)) as RegExpExecArray;
        bytes.push(Number.parseInt(m[0], 8) & 0xff);
        this.i += m[0].length - 1;
      } else if (e === 'x' || e === 'u' || e === 'U') {
        const max = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const m = new RegExp(`^[0-9a-fA-F]{1,${max}}`).exec(this.s.slice(this.i));
        if (!m) this.fail(`bad \\${e} escape`);
        const n = Number.parseInt(m[0], 16);
        if (e === 'x') bytes.push(n);
        else text(String.fromCodePoint(n));
        this.i += m[0].length;
      } else if (e === 'c') {
        bytes.push((this.s.charCodeAt(this.i) & 0x1f) as number);
        this.i++;
      } else text(e);
    }
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
        const end = this.s.indexOf(']', this.i);
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
  const head = HEAD.exec(line);
  if (!head) throw new Error(`unreadable declare -p line: ${JSON.stringify(line.slice(0, 40))}`);
  const [, rawFlags = '', name = '', eq] = head;
  const flags = rawFlags.replace(/-/g, '');
  if (!eq) return { name, flags };
  const r = new Reader(line);
  r.i = head[0].length;
  const attrs = flags.replace(/[aAr]/g, '');
  let value: CarriedVar;
  if (flags.includes('a')) value = { type: 'indexed', attrs, value: r.entries() };
  else if (flags.includes('A')) value = { type: 'assoc', attrs, value: r.entries() };
  else value = { type: 'scalar', attrs, value: r.quoted() };
  if (r.i !== line.length) r.fail('trailing text');
  return { name, flags, value };
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

/** The line the step server sources to take a variable over: bash's own text, with readonly dropped. */
export function adoptableLine(line: string): string {
  return line.replace(HEAD, (_all, flags: string, name: string, eq: string) => {
    // -g: the server may source this from inside a function; the variable must still be global. Plain
    // `declare`, not `builtin declare`: only the keyword form parses a compound array assignment as one.
    return `declare -g${flags.replace(/[-r]/g, '')} ${name}${eq}`;
  });
}
