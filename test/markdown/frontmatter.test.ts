import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/core/errors.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';

// Front matter: the YAML between `---` lines at the very top, read into typed fields.

const fixture = (name: string) => readFileSync(new URL(`../fixtures/parse/${name}`, import.meta.url), 'utf8');
const parse = (name: string) => parseRunbook(fixture(name));
const errorOf = (text: string) => {
  try {
    parseRunbook(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).message;
  }
  throw new Error('expected an InputError');
};

describe('front matter', () => {
  const basic = parse('basic.md');
  it('is read into typed fields, unknown keys kept', () =>
    expect(basic.frontMatter).toEqual({
      title: 'Create a cluster',
      cwd: './work',
      shell: 'bash --noprofile --norc -e -o pipefail {0}',
      requires: ['kubectl', { name: 'k3d', version: '5.7', hint: 'brew install k3d' }],
      secrets: ['API_TOKEN'],
      owner: 'platform-team',
    }));
  it("warns of an unknown key near a known one, and keeps the author's own keys quietly", () => {
    const { frontMatter, warnings } = parseRunbook('---\nsecret: [TOKEN]\nauthor: me\ncwdd: x\n---\n');
    expect(warnings.map((w) => [w.line, w.message])).toEqual([
      [2, 'front matter: unknown key secret (did you mean secrets?) is ignored'],
      [4, 'front matter: unknown key cwdd (did you mean cwd?) is ignored'],
    ]);
    expect(frontMatter).toEqual({ secret: ['TOKEN'], author: 'me', cwdd: 'x' });
  });
  it('is optional', () => expect(parseRunbook('# T\n').frontMatter).toEqual({}));
  it('may be empty', () => expect(parseRunbook('---\n---\n```sh\nx\n```').frontMatter).toEqual({}));
  it('may hold only comments', () => expect(parseRunbook('---\n# nothing\n---\n').frontMatter).toEqual({}));
  it('keeps versions as written', () =>
    expect(parseRunbook('---\nrequires: [{name: k, version: 1.30}]\n---\n').frontMatter.requires).toEqual([
      { name: 'k', version: '1.30' },
    ]));
  it('takes a single requirement as a list', () =>
    expect(parseRunbook('---\nrequires: kubectl\n---\n').frontMatter.requires).toEqual(['kubectl']));
  it('names the line of malformed YAML', () =>
    expect(() => parse('bad-yaml.md')).toThrow(/^front matter line 3: Nested mappings/));
  it('names the line of an unclosed flow list', () =>
    expect(errorOf('---\ntitle: a\nrequires: [kubectl\nshell: bash\n---\n')).toMatch(
      /^front matter line 4: Flow sequence/,
    ));
  it('names duplicate keys', () =>
    expect(errorOf('---\ntitle: a\ntitle: b\n---\n')).toBe('front matter line 3: Map keys must be unique'));
  it('must be a mapping', () =>
    expect(() => parse('front-matter-list.md')).toThrow(
      'front matter line 2: expected key: value lines, got a list',
    ));
  it('rejects a scalar', () =>
    expect(errorOf('---\njust text\n---\n')).toMatch(/^front matter line 2: expected key: value lines/));
  it('rejects requires: 5', () =>
    expect(() => parse('front-matter-types.md')).toThrow(
      'front matter line 3: requires must be a list, not a number (5)',
    ));
  it('rejects title: [1]', () =>
    expect(errorOf('---\ntitle: [1]\n---\n')).toBe(
      'front matter line 2: title must be a string, not a list',
    ));
  it('rejects a mapping for cwd', () =>
    expect(errorOf('---\ncwd: {a: 1}\n---\n')).toMatch(/^front matter line 2: cwd must be a string/));
  it('rejects a requirement without a name', () =>
    expect(errorOf('---\nrequires:\n  - version: 1\n---\n')).toMatch(
      /^front matter line 3: requires item 1/,
    ));
  it('names the line of a bad requirement', () =>
    expect(errorOf('---\nrequires:\n  - kubectl\n  - 5\n---\n')).toBe(
      'front matter line 4: requires item 2 must be a command name or a mapping with a name, not a number (5)',
    ));
  it('keeps warn: true on a requirement as a boolean', () =>
    expect(
      parseRunbook(
        '---\nrequires:\n  - {name: docker, check: x, warn: true}\n  - {name: jq, warn: false}\n---\n',
      ).frontMatter.requires,
    ).toEqual([
      { name: 'docker', check: 'x', warn: true },
      { name: 'jq', warn: false },
    ]));
  it('rejects a warn that is not true or false', () =>
    expect(errorOf('---\nrequires:\n  - name: docker\n    warn: yes\n---\n')).toBe(
      'front matter line 4: requires item 1: warn must be true or false, not a string ("yes")',
    ));
  it('rejects a list of lists for secrets', () =>
    expect(errorOf('---\nsecrets: [[a]]\n---\n')).toMatch(/^front matter line 2: secrets item 1/));
  it('is one line per error', () => expect(errorOf('---\na: b: c\n---\n')).not.toContain('\n'));
  it('is Markdown when never closed, with a warning', () =>
    expect(parseRunbook('---\n\n```sh\nx\n```').warnings[0]?.message).toMatch(/no '---' line closes/));
  it('may close with ...', () =>
    expect(parseRunbook('---\ntitle: x\n...\n```sh\ny\n```').steps[0]?.line).toBe(4));
  it('is found after a byte order mark', () =>
    expect(parseRunbook('\uFEFF---\ntitle: x\n---\n').frontMatter).toEqual({ title: 'x' }));
  it('starts only on the very first line', () =>
    expect(parseRunbook('\n---\ntitle: x\n---\n').frontMatter).toEqual({}));
});
