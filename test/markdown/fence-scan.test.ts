import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shellFenceCode } from '../../lib/markdown/fence-scan.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';

// The quick look at a runbook's shell fences that the analysis thread starts on before the parse is done.

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

describe('shell fences found without the parser', () => {
  it('takes shell fences of every spelling', () =>
    expect(
      shellFenceCode('```\na\n```\n```sh\nb\n```\n~~~bash {name=x}\nc\n~~~\n```shell\nd\n```\n'),
    ).toEqual(['a', 'b', 'c', 'd']));
  it('leaves other languages out', () =>
    expect(shellFenceCode('```js\na\n```\n```yaml\nb\n```\n')).toEqual([]));
  it('keeps blank lines and a longer fence inside', () =>
    expect(shellFenceCode('````bash\na\n\n```\nb\n````\n')).toEqual(['a\n\n```\nb']));
  it('closes only on the same character', () =>
    expect(shellFenceCode('~~~\na\n```\n~~~\n')).toEqual(['a\n```']));
  it('takes the opening fence indentation off', () =>
    expect(shellFenceCode('  ```\n  a\n   b\nc\n  ```\n')).toEqual(['a\n b\nc']));
  it('reads CRLF lines', () => expect(shellFenceCode('```bash\r\na\r\nb\r\n```\r\n')).toEqual(['a\nb']));
  it('runs an unclosed fence to the end', () =>
    expect(shellFenceCode('```bash\na\n\nb\n')).toEqual(['a\n\nb']));
  it('reads the language in any case', () => expect(shellFenceCode('```SH\na\n```\n')).toEqual(['a']));
  it('an info string with a backtick opens no fence', () =>
    expect(shellFenceCode('``` a`b\nx\n')).toEqual([]));
  it('is empty for a fence with nothing in it', () => expect(shellFenceCode('```bash\n```\n')).toEqual(['']));

  it.each(['../../runbook.md', '../../teardown.md', 'records/deploy.md', 'parse/basic.md'])(
    'finds the code of the top-level steps of %s as the parser reads it',
    (path) => {
      const text = fixture(path);
      const found = new Set(shellFenceCode(text));
      const topLevel = parseRunbook(text).steps.filter((s) => s.kind === 'shell' && !/^\s/.test(s.code));
      expect(topLevel.length).toBeGreaterThan(0);
      expect(topLevel.filter((s) => !found.has(s.code)).map((s) => s.name)).toEqual([]);
    },
  );
});
