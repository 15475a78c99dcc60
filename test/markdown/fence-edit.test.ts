import { describe, expect, it } from 'vitest';
import { replaceFenceContent } from '../../lib/markdown/fence-edit.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';

/** The file after saving `code` into step `index` of `text` (or the refusal). */
const save = (text: string, index: number, code: string) => {
  const step = parseRunbook(text).steps[index - 1];
  if (!step) throw new Error(`no step ${index}`);
  const out = replaceFenceContent(text, step, code);
  return 'text' in out ? out.text : out;
};

describe('saving an edit into its fence', () => {
  it('replaces only the content lines', () =>
    expect(save('# T\n\n```bash {name=a}\necho 1\n```\n\nafter\n', 1, 'echo 2\necho 3')).toBe(
      '# T\n\n```bash {name=a}\necho 2\necho 3\n```\n\nafter\n',
    ));
  it('keeps CRLF line endings', () =>
    expect(save('a\r\n\r\n```sh\r\nx\r\n```\r\nb\r\n', 1, 'y\nz')).toBe(
      'a\r\n\r\n```sh\r\ny\r\nz\r\n```\r\nb\r\n',
    ));
  it('keeps the info string and the other steps', () =>
    expect(save('```sh\none\n```\n~~~~ bash {name=two timeout=5}\ntwo\n~~~~\n', 2, 'TWO')).toBe(
      '```sh\none\n```\n~~~~ bash {name=two timeout=5}\nTWO\n~~~~\n',
    ));
  it('keeps front matter and counts its lines', () =>
    expect(save('---\ntitle: x\n---\n```sh\nold\n```\n', 1, 'new')).toBe(
      '---\ntitle: x\n---\n```sh\nnew\n```\n',
    ));
  it('fills an empty fence', () => expect(save('```sh\n```\n', 1, 'echo')).toBe('```sh\necho\n```\n'));
  it('empties a fence', () => expect(save('```sh\na\nb\n```\n', 1, '')).toBe('```sh\n\n```\n'));
  it('keeps a block quote marker on every line', () =>
    expect(save('> ```sh\n> a\n> ```\n', 1, 'b\n\nc')).toBe('> ```sh\n> b\n>\n> c\n> ```\n'));
  it('keeps a list item indentation', () =>
    expect(save('1. do\n\n   ```sh\n   a\n   ```\n', 1, 'b\nc')).toBe(
      '1. do\n\n   ```sh\n   b\n   c\n   ```\n',
    ));
  it('keeps unchanged lines byte for byte', () =>
    expect(save('```sh\na  \nb\n```\n', 1, 'a  \nB')).toBe('```sh\na  \nB\n```\n'));
  it('keeps an unterminated last fence without a final newline', () =>
    expect(save('```sh\na', 1, 'b\nc')).toBe('```sh\nb\nc'));
  it('refuses code that would close the fence early', () =>
    expect(save('```sh\na\n```\n', 1, 'x\n```\ny')).toEqual({
      error: expect.stringContaining('closing fence'),
    }));
  it('refuses a file that moved under the step', () =>
    expect(replaceFenceContent('text\n', parseRunbook('```sh\na\n```\n').steps[0] as never, 'b')).toEqual({
      error: expect.stringContaining('no longer the opening fence'),
    }));
});
