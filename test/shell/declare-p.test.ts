// bash's own `declare -p` output, read back as data: every value must come out exactly as bash held it.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bytesOfText } from '../../lib/core/byte-text.ts';
import { adoptableLine, declarationLines, parseDeclaration, plainScalar } from '../../lib/shell/declare-p.ts';

/** Runs bash code, then returns `declare -p NAME` and the value bash holds, as JSON via printf %q-free NULs. */
function fromBash(setup: string, name: string) {
  const out = execFileSync(
    'bash',
    [
      '--noprofile',
      '--norc',
      '-c',
      `${setup}\ndeclare -p ${name}\nprintf '\\0'\nif [[ \${${name}@a} == *[aA]* ]]; then declare -n r=${name}; for k in "\${!r[@]}"; do printf '%s\\0%s\\0' "$k" "\${r[$k]}"; done; else printf '%s' "\${!name}"; fi`,
    ],
    { env: { name }, encoding: 'buffer' },
  );
  const text = out.toString('utf8');
  const cut = text.indexOf('\n\0');
  return { line: text.slice(0, cut), rest: text.slice(cut + 2) };
}

const scalars: Array<[string, string]> = [
  ['plain', 'X=hello'],
  ['empty', 'X='],
  ['newlines and tabs', "X=$'a\\nb\\tc\\r'"],
  ['quotes and expansions', "X='it'\"'\"'s \"q\" $(touch x) `id` ${y} \\\\ !'"],
  ['unicode', 'X="ünïcødé ☃ 😀"'],
  ['control bytes', "X=$'\\001\\177\\033[31m'"],
  ['integer', 'declare -i X=41+1'],
  ['exported', 'export X=1'],
  ['lowercase', 'declare -l X=ABC'],
];

describe('parseDeclaration', () => {
  it.each(scalars)('reads a scalar: %s', (_what, setup) => {
    const { line, rest } = fromBash(setup, 'X');
    const d = parseDeclaration(line);
    expect(d.name).toBe('X');
    expect(d.value).toMatchObject({ type: 'scalar', value: rest });
  });

  it.each([
    ['indexed, sparse, odd values', `declare -a X=([0]="x y" [5]=$'n\\nl' [7]='$(id)' [9]='"q"')`, 'indexed'],
    [
      'associative, odd keys',
      `declare -A X=([k]=v ["a b"]=c [$'x\\ny']=z ['q"]']=1 ['$(id)']=2 [" "]=sp)`,
      'assoc',
    ],
    ['exported array', 'declare -ax X=(1 2)', 'indexed'],
    ['empty array', 'declare -a X=()', 'indexed'],
  ])('reads an array: %s', (_what, setup, type) => {
    const { line, rest } = fromBash(setup, 'X');
    const fields = rest.split('\0').slice(0, -1);
    const expected: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) expected[fields[i] as string] = fields[i + 1] as string;
    expect(parseDeclaration(line).value).toEqual({
      type,
      attrs: line.includes('-ax') ? 'x' : '',
      value: expected,
    });
  });

  it('reads attributes, namerefs and declared-but-unset variables', () => {
    expect(parseDeclaration('declare -n R="X"').value).toEqual({ type: 'scalar', attrs: 'n', value: 'X' });
    expect(parseDeclaration('declare -rx R="1"')).toMatchObject({ flags: 'rx', value: { attrs: 'x' } });
    // Declared with no value yet: its kind and attributes, an empty value, and `declared`.
    expect(parseDeclaration('declare -- U')).toEqual({
      name: 'U',
      flags: '',
      value: { type: 'scalar', attrs: '', value: '', declared: true },
    });
    expect(parseDeclaration('declare -A M').value).toEqual({
      type: 'assoc',
      attrs: '',
      value: {},
      declared: true,
    });
    expect(parseDeclaration('declare -ax L').value).toEqual({
      type: 'indexed',
      attrs: 'x',
      value: {},
      declared: true,
    });
    expect(parseDeclaration('declare -n R').value).toEqual({
      type: 'scalar',
      attrs: 'n',
      value: '',
      declared: true,
    });
    expect(() => parseDeclaration('declare -- U junk')).toThrow(/unreadable/);
  });

  it('keeps bytes that are not UTF-8 as the bytes bash holds', () => {
    const setup = "X=$(printf 'caf\\xe9 \\xff\\xfe ok \\xe2\\x82\\xac \\xe2\\x82')";
    const held = execFileSync('bash', ['--noprofile', '--norc', '-c', `${setup}; printf %s "$X"`]);
    const line = execFileSync('bash', ['--noprofile', '--norc', '-c', `${setup}; declare -p X`])
      .toString('utf8')
      .trim();
    const value = parseDeclaration(line).value;
    expect(value.type === 'scalar' && bytesOfText(value.value)).toEqual(held);
  });

  it('refuses what is not declare -p output', () => {
    expect(() => parseDeclaration('X=1')).toThrow(/unreadable/);
    expect(() => parseDeclaration('declare -- X="open')).toThrow(/unterminated/);
    expect(() => parseDeclaration('declare -- X="a" ; touch y')).toThrow(/trailing/);
  });
});

describe('declarationLines and adoptableLine', () => {
  it('maps names to their lines', () => {
    const lines = declarationLines('declare -- A="1"\ndeclare -x B="2"\n');
    expect([...lines.keys()]).toEqual(['A', 'B']);
  });

  it('drops readonly and keeps the rest, global', () => {
    expect(adoptableLine('declare -r X="1"')).toBe('declare -g X="1"');
    expect(adoptableLine('declare -arx X=([0]="1")')).toBe('declare -gax X=([0]="1")');
    expect(adoptableLine('declare -- X="a=b"')).toBe('declare -g X="a=b"');
  });

  it('makes a plain scalar a plain assignment where the server holds it with no attributes', () => {
    expect(adoptableLine('declare -- X="a b"', true)).toBe('X="a b"');
    expect(adoptableLine("declare -- X=$'a\\nb'", true)).toBe("X=$'a\\nb'");
    // Attributes to set, or a variable declared without a value: declare, as before.
    expect(adoptableLine('declare -x X="1"', true)).toBe('declare -gx X="1"');
    expect(adoptableLine('declare -a X=([0]="1")', true)).toBe('declare -ga X=([0]="1")');
    expect(adoptableLine('declare -- X', true)).toBe('declare -g X');
  });

  it.each(scalars.slice(0, 6))('gives bash back the same value as a plain assignment: %s', (_what, setup) => {
    const { line, rest } = fromBash(setup, 'X');
    expect(fromBash(adoptableLine(line, true), 'X')).toEqual({ line, rest });
  });
});

describe('plainScalar', () => {
  it('reads a plain scalar straight off its line', () => {
    expect(plainScalar('X', 'declare -- X="a b"')).toBe('a b');
    expect(plainScalar('X', 'declare -- X=""')).toBe('');
    expect(plainScalar('X', 'declare -- X="a=b"')).toBe('a=b');
    expect(plainScalar('LONG_NAME', 'declare -- LONG_NAME="ünï ☃"')).toBe('ünï ☃');
  });

  it('leaves every other line to the reader', () => {
    expect(plainScalar('X', 'declare -- X="a\\"b"')).toBeUndefined(); // an escape
    expect(plainScalar('X', 'declare -- X="\\$HOME"')).toBeUndefined();
    expect(plainScalar('X', "declare -- X=$'a\\nb'")).toBeUndefined(); // ANSI-C quoting
    expect(plainScalar('X', 'declare -x X="1"')).toBeUndefined(); // attributes
    expect(plainScalar('X', 'declare -a X=([0]="1")')).toBeUndefined();
    expect(plainScalar('X', 'declare -- X')).toBeUndefined(); // declared without a value
    expect(plainScalar('X', 'declare -- X="')).toBeUndefined();
    expect(plainScalar('X', 'declare -- XY="1"')).toBeUndefined(); // another name
    expect(plainScalar('XY', 'declare -- X="1"')).toBeUndefined();
  });

  // Whatever bash prints, the quick reading is the reader's or none.
  it.each(scalars)('agrees with the reader on what bash prints: %s', (_what, setup) => {
    const { line } = fromBash(setup, 'X');
    const quick = plainScalar('X', line);
    const read = parseDeclaration(line).value;
    if (quick !== undefined) expect(read).toEqual({ type: 'scalar', attrs: '', value: quick });
    else expect(line).not.toMatch(/^declare -- X="[^\\\\]*"$/);
  });

  it('is what bash prints for a plain value', () => {
    expect(plainScalar('X', fromBash('X=hello', 'X').line)).toBe('hello');
    expect(plainScalar('X', fromBash('X="a=b c"', 'X').line)).toBe('a=b c');
  });
});
