import { describe, expect, it } from 'vitest';
import { outputDiff } from '../../lib/engine/output-diff.ts';
import { expectationProblem, outputLines } from '../../lib/engine/output-lines.ts';
import { matchOutput, similarity } from '../../lib/engine/output-match.ts';
import type { Expectation, ExpectMode } from '../../lib/markdown/expectation.ts';

const exp = (text: string, mode: ExpectMode = 'lines', threshold?: number): Expectation => ({
  mode,
  text,
  line: 1,
  ...(threshold === undefined ? {} : { threshold }),
});
const matches = (text: string, actual: string, mode: ExpectMode = 'lines') =>
  matchOutput(exp(text, mode), actual).matched;
const diff = (text: string, actual: string, mode: ExpectMode = 'lines', threshold?: number) =>
  outputDiff(exp(text, mode, threshold), actual)
    .split('\n')
    .slice(2);

describe('cleaning output for comparison', () => {
  it('drops colours', () => expect(outputLines('\u001b[32mok\u001b[0m\n')).toEqual(['ok']));
  it('drops trailing whitespace', () => expect(outputLines('a  \nb\t\n')).toEqual(['a', 'b']));
  it('reads CRLF as LF', () => expect(outputLines('a\r\nb\r\n')).toEqual(['a', 'b']));
  it('keeps what a progress line left last', () => expect(outputLines('10%\r50%\r100%\n')).toEqual(['100%']));
  it('drops blank lines at both ends', () => expect(outputLines('\n\na\n\nb\n\n\n')).toEqual(['a', '', 'b']));
  it('keeps leading whitespace', () => expect(outputLines('  a\n')).toEqual(['  a']));
  it('reads empty output as no lines', () => expect(outputLines('')).toEqual([]));
});

describe('line matching (the default)', () => {
  it('matches the same lines', () => expect(matches('a\nb', 'a\nb\n')).toBe(true));
  it('fails on a changed line', () => expect(matches('a\nb', 'a\nc\n')).toBe(false));
  it('fails on an extra line', () => expect(matches('a', 'a\nb\n')).toBe(false));
  it('fails on a missing line', () => expect(matches('a\nb', 'a\n')).toBe(false));
  it('ignores colours and trailing blanks', () =>
    expect(matches('ok', '\u001b[1mok\u001b[0m   \n\n')).toBe(true));
  it('ignores CRLF in the block', () => expect(matches('a\r\nb\r\n', 'a\nb\n')).toBe(true));
  it('is case sensitive', () => expect(matches('OK', 'ok')).toBe(false));
  it('keeps leading whitespace significant', () => expect(matches('a', '  a')).toBe(false));
  it('matches an empty block to empty output', () => expect(matches('', '\n')).toBe(true));
  it('fails an empty block against output', () => expect(matches('', 'x')).toBe(false));
  it('is literal: regex characters are text', () => expect(matches('a.c', 'abc')).toBe(false));
});

describe('the ... wildcards', () => {
  it('... on a line takes any lines', () =>
    expect(matches('start\n...\nend', 'start\n1\n2\n3\nend')).toBe(true));
  it('... on a line takes no lines', () => expect(matches('start\n...\nend', 'start\nend')).toBe(true));
  it('... at the start takes leading lines', () => expect(matches('...\nend', 'x\ny\nend')).toBe(true));
  it('... at the end takes trailing lines', () => expect(matches('start\n...', 'start\nx\ny')).toBe(true));
  it('... alone matches anything', () => expect(matches('...', 'a\nb')).toBe(true));
  it('... alone matches nothing printed', () => expect(matches('...', '')).toBe(true));
  it('several ... lines', () => expect(matches('a\n...\nc\n...\ne', 'a\nb\nc\nd\ne')).toBe(true));
  it('backtracks when a later line repeats', () =>
    expect(matches('a\n...\nb\nc', 'a\nb\nx\nb\nc')).toBe(true));
  it('still needs the lines around it', () => expect(matches('start\n...\nend', 'start\n1\n2')).toBe(false));
  it('a line of its own means trimmed', () => expect(matches('a\n  ...\nb', 'a\nx\nb')).toBe(true));
  it('... in a line takes any text there', () =>
    expect(matches('pod/web-... created', 'pod/web-7f9d2 created')).toBe(true));
  it('... in a line takes no text', () => expect(matches('a...b', 'ab')).toBe(true));
  it('... in a line stays in the line', () => expect(matches('a...b', 'a\nb')).toBe(false));
  it('... in a line still anchors both ends', () =>
    expect(matches('web-... created', 'pod/web-1 created')).toBe(false));
  it('several ... in a line', () => expect(matches('... took ... ms', 'run 3 took 45 ms')).toBe(true));
  it('ends of a line around ...', () => expect(matches('Loading...', 'Loading... done')).toBe(true));
});

describe('expect=contains', () => {
  it('finds lines in order with others between', () =>
    expect(matches('b\nd', 'a\nb\nc\nd\ne', 'contains')).toBe(true));
  it('fails when the order differs', () => expect(matches('d\nb', 'a\nb\nc\nd', 'contains')).toBe(false));
  it('fails when a line is missing', () => expect(matches('b\nz', 'a\nb\nc', 'contains')).toBe(false));
  it('finds a line as part of a printed line', () =>
    expect(matches('Ready', 'pod web is Ready now', 'contains')).toBe(true));
  it('needs each expected line on its own printed line', () =>
    expect(matches('a\na', 'a', 'contains')).toBe(false));
  it('ignores blank expected lines', () => expect(matches('a\n\nb', 'a\nb', 'contains')).toBe(true));
  it('takes ... in a line as any text', () =>
    expect(matches('version ...2', 'client version 1.23.2', 'contains')).toBe(true));
});

describe('expect=regex', () => {
  it('matches each line as a whole', () =>
    expect(matches('pod/web-[a-z0-9]+ created', 'pod/web-7f9d2 created', 'regex')).toBe(true));
  it('anchors each line', () => expect(matches('web', 'pod/web', 'regex')).toBe(false));
  it('fails a line that does not match', () => expect(matches('\\d+', 'abc', 'regex')).toBe(false));
  it('keeps ... alone for any lines', () =>
    expect(matches('a\n...\n[0-9]+', 'a\nx\ny\n42', 'regex')).toBe(true));
  it('reads alternation inside the anchors', () => expect(matches('a|b', 'ab', 'regex')).toBe(false));
  it('names a bad expression', () =>
    expect(expectationProblem(exp('ok\n(', 'regex'))).toMatch(
      /^line 2 of the output block: Invalid regular expression/,
    ));
  it('has no problem with a good one', () => expect(expectationProblem(exp('a+', 'regex'))).toBeUndefined());
  it('a bad regex is no problem in other modes', () =>
    expect(expectationProblem(exp('(', 'lines'))).toBeUndefined());
});

describe('expect=similar', () => {
  it('scores the same text 1', () => expect(similarity('abc', 'abc\n')).toBe(1));
  it('scores nothing in common 0', () => expect(similarity('abc', 'xyz')).toBe(0));
  it('scores two empty texts 1', () => expect(similarity('', '')).toBe(1));
  it('scores common characters over both lengths', () => expect(similarity('abcd', 'abxd')).toBe(0.75));
  it('passes at the threshold', () =>
    expect(matchOutput(exp('abcd', 'similar', 0.75), 'abxd')).toEqual({ matched: true, score: 0.75 }));
  it('fails below it', () =>
    expect(matchOutput(exp('abcd', 'similar', 0.8), 'abxd')).toEqual({ matched: false, score: 0.75 }));
  it('ignores colours before scoring', () => expect(similarity('ok', '\u001b[32mok\u001b[0m')).toBe(1));
  it('scores a long text line by line', () =>
    expect(similarity('x'.repeat(30_000), 'x'.repeat(30_000))).toBe(1));
  it('scores long texts with a line changed', () =>
    expect(similarity(`${'a'.repeat(30_000)}\nb`, `${'a'.repeat(30_000)}\nc`)).toBeCloseTo(1, 3));
});

describe('the diff of a mismatch', () => {
  it('names both sides', () =>
    expect(outputDiff(exp('a'), 'b', 'runbook.md:7').split('\n').slice(0, 2)).toEqual([
      '--- expected (runbook.md:7)',
      '+++ printed',
    ]));
  it('shows a changed line', () => expect(diff('a\nb\nc', 'a\nx\nc')).toEqual(['  a', '- b', '+ x', '  c']));
  it('shows an extra line', () => expect(diff('a', 'a\nb')).toEqual(['  a', '+ b']));
  it('shows a missing line', () => expect(diff('a\nb', 'a')).toEqual(['  a', '- b']));
  it('keeps two lines of context', () =>
    expect(diff('1\n2\n3\n4\n5\n6\n7', '1\n2\n3\n4\nX\n6\n7')).toEqual([
      '  ···',
      '  3',
      '  4',
      '- 5',
      '+ X',
      '  6',
      '  7',
    ]));
  it('shows lines ... took as the same', () =>
    expect(diff('a\n...\nz\nend', 'a\nb\nc\nz\nEND')).toEqual(['  ···', '  c', '  z', '- end', '+ END']));
  it('shows a line ... in a line matched as the same', () =>
    expect(diff('id ...\nok', 'id 42\nfail')).toEqual(['  id 42', '- ok', '+ fail']));
  it('with contains, shows only the missing line', () =>
    expect(diff('a\nz', 'a\nb\nc', 'contains')).toEqual(['  a', '  b', '  c', '- z']));
  it('with regex, a matching line is the same', () =>
    expect(diff('\\d+\nok', '42\nno', 'regex')).toEqual(['  42', '- ok', '+ no']));
  it('with similar, a plain line diff', () =>
    expect(diff('a\nb', 'a\nc', 'similar', 0.9)).toEqual(['  a', '- b', '+ c']));
  it('cuts a long diff', () => {
    const rows = diff('a', Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n'));
    expect(rows.length).toBe(120);
    expect(rows.at(-1)).toBe('  ··· 382 more lines of the diff');
  });
});
