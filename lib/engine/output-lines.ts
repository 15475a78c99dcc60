// The line side of comparing what a step printed with its `output` block. Pure, and light: run start-up
// checks the blocks' patterns with it. Both sides are cleaned the same way (colours and other escapes
// removed, carriage-return progress lines as a terminal leaves them, trailing whitespace and blank lines
// at either end dropped), then compared line by line in one of the modes of expectation.ts.

import { plainOutput } from '../core/plain-output.ts';
import type { Expectation } from '../markdown/expectation.ts';

/** The text as lines, cleaned for comparing. */
export function outputLines(text: string): string[] {
  const lines = plainOutput(text)
    .split('\n')
    .map((line) => line.trimEnd());
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start] === '') start++;
  while (end > start && lines[end - 1] === '') end--;
  return lines.slice(start, end);
}

/** One expected line: `...` on its own stands for any number of lines; anything else tests one line. */
export type LinePattern = { any: true } | { any: false; test: (line: string) => boolean; text: string };

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `...` inside a line matches any text there; the rest is literal. */
function ellipsisRegExp(line: string, whole: boolean): RegExp {
  const body = line.split('...').map(escapeRegExp).join('.*');
  return new RegExp(whole ? `^${body}$` : body, 's');
}

/** The expected lines as patterns; throws a SyntaxError naming the line for a bad regular expression. */
export function linePatterns(e: Pick<Expectation, 'mode' | 'text'>): LinePattern[] {
  return outputLines(e.text).map((text, i): LinePattern => {
    if (text.trim() === '...') return { any: true };
    if (e.mode === 'regex') {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${text})$`);
      } catch (err) {
        throw new SyntaxError(`line ${i + 1} of the output block: ${(err as Error).message}`);
      }
      return { any: false, text, test: (line) => re.test(line) };
    }
    if (!text.includes('...')) {
      if (e.mode === 'contains') return { any: false, text, test: (line) => line.includes(text) };
      return { any: false, text, test: (line) => line === text };
    }
    const re = ellipsisRegExp(text, e.mode !== 'contains');
    return { any: false, text, test: (line) => re.test(line) };
  });
}

/** Why an expectation cannot be used (a bad regular expression), or undefined. */
export function expectationProblem(e: Pick<Expectation, 'mode' | 'text'>): string | undefined {
  try {
    linePatterns(e);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Every pattern in order, `...` taking any run of lines (the usual wildcard match, with one backtrack point). */
export function matchSequence(patterns: LinePattern[], lines: string[]): boolean {
  let p = 0;
  let l = 0;
  let star = -1;
  let resume = 0;
  while (l < lines.length) {
    const pattern = patterns[p];
    if (pattern && !pattern.any && pattern.test(lines[l] as string)) {
      p++;
      l++;
    } else if (pattern?.any) {
      star = p++;
      resume = l;
    } else if (star >= 0) {
      p = star + 1;
      l = ++resume;
    } else return false;
  }
  while (patterns[p]?.any) p++;
  return p === patterns.length;
}

/** Every non-blank expected line appears in order, anything between. */
export function matchInOrder(patterns: LinePattern[], lines: string[]): boolean {
  let l = 0;
  for (const pattern of patterns) {
    if (pattern.any || pattern.text.trim() === '') continue;
    while (l < lines.length && !pattern.test(lines[l] as string)) l++;
    if (l === lines.length) return false;
    l++;
  }
  return true;
}
