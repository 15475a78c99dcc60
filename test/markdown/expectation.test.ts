import { describe, expect, it } from 'vitest';
import {
  betweenBlocks,
  describeExpectation,
  expectationOf,
  readExpect,
} from '../../lib/markdown/expectation.ts';

const block = { text: 'hi', line: 5 };

describe('expect=', () => {
  it('defaults to line matching', () => expect(readExpect(undefined)).toEqual({ mode: 'lines' }));
  it('reads contains', () => expect(readExpect('contains')).toEqual({ mode: 'contains' }));
  it('reads regex in any case', () => expect(readExpect('Regex')).toEqual({ mode: 'regex' }));
  it('reads off', () => expect(readExpect('off')).toEqual({ mode: 'off' }));
  it('reads false as off', () => expect(readExpect('false')).toEqual({ mode: 'off' }));
  it('reads similar with a score', () =>
    expect(readExpect('similar:0.8')).toEqual({ mode: 'similar', threshold: 0.8 }));
  it('reads similar=1', () => expect(readExpect('similar=1')).toEqual({ mode: 'similar', threshold: 1 }));
  it('needs a score for similar', () =>
    expect(readExpect('similar')).toEqual({ problem: expect.stringMatching(/needs the lowest score/) }));
  it('refuses a score above 1', () =>
    expect(readExpect('similar:1.5')).toEqual({ problem: expect.stringMatching(/at most 1/) }));
  it('refuses a score of 0', () =>
    expect(readExpect('similar:0')).toEqual({ problem: expect.stringMatching(/above 0/) }));
  it('refuses other words', () =>
    expect(readExpect('exactly')).toEqual({
      problem: expect.stringMatching(/lines, contains, regex, similar:SCORE or off; got "exactly"/),
    }));
  it('refuses a bare flag', () =>
    expect(readExpect(true)).toEqual({ problem: expect.stringMatching(/got a bare flag/) }));
});

describe('a step and its output block', () => {
  it('has no expectation without a block', () => expect(expectationOf({ attributes: {} })).toBeUndefined());
  it('matches lines by default', () =>
    expect(expectationOf({ attributes: {}, expected: block })).toEqual({
      mode: 'lines',
      text: 'hi',
      line: 5,
    }));
  it('takes the mode from expect=', () =>
    expect(expectationOf({ attributes: { expect: 'contains' }, expected: block })?.mode).toBe('contains'));
  it('has none with expect=off', () =>
    expect(expectationOf({ attributes: { expect: 'off' }, expected: block })).toBeUndefined());
  it('takes similarity from the comment', () =>
    expect(expectationOf({ attributes: {}, expected: { ...block, similarity: 0.7 } })).toMatchObject({
      mode: 'similar',
      threshold: 0.7,
    }));
  it('lets expect= win over the comment', () =>
    expect(
      expectationOf({ attributes: { expect: 'regex' }, expected: { ...block, similarity: 0.7 } })?.mode,
    ).toBe('regex'));
  it('has none with an unusable expect=', () =>
    expect(expectationOf({ attributes: { expect: 'nope' }, expected: block })).toBeUndefined());
  it('describes similar with its score', () =>
    expect(describeExpectation({ mode: 'similar', threshold: 0.8 })).toBe('similar:0.8'));
});

describe('what may stand between a step and its output block', () => {
  it('nothing', () => expect(betweenBlocks([])).toEqual({ adjacent: true }));
  it('blank lines', () => expect(betweenBlocks(['', '  ', '\t'])).toEqual({ adjacent: true }));
  it('blank lines of a block quote', () => expect(betweenBlocks(['>', '> '])).toEqual({ adjacent: true }));
  it('not prose', () => expect(betweenBlocks(['', 'Then:'])).toEqual({ adjacent: false }));
  it('an HTML comment', () => expect(betweenBlocks(['<!-- note -->'])).toEqual({ adjacent: true }));
  it("Innovation Engine's similarity comment", () =>
    expect(betweenBlocks(['', '<!-- expected_similarity=0.8 -->', ''])).toEqual({
      adjacent: true,
      similarity: 0.8,
    }));
  it('the comment with a quoted score', () =>
    expect(betweenBlocks(['<!--expected_similarity="0.9"-->'])).toEqual({ adjacent: true, similarity: 0.9 }));
  it('the comment in a block quote', () =>
    expect(betweenBlocks(['> <!-- expected_similarity=0.5 -->'])).toEqual({
      adjacent: true,
      similarity: 0.5,
    }));
  it('no similarity out of range', () =>
    expect(betweenBlocks(['<!-- expected_similarity=3 -->'])).toEqual({ adjacent: true }));
  it('a comment over several lines', () =>
    expect(betweenBlocks(['<!--', '  a note', '-->'])).toEqual({ adjacent: true }));
  it('the similarity comment over several lines', () =>
    expect(betweenBlocks(['<!--', '  expected_similarity=0.6', '-->'])).toEqual({
      adjacent: true,
      similarity: 0.6,
    }));
  it('two comments on one line', () =>
    expect(betweenBlocks(['<!-- a --> <!-- b -->'])).toEqual({ adjacent: true }));
  it('not prose after a comment', () =>
    expect(betweenBlocks(['<!-- a --> Then:'])).toEqual({ adjacent: false }));
  it('not an unterminated comment', () =>
    expect(betweenBlocks(['<!-- never closed', ''])).toEqual({ adjacent: false }));
});
