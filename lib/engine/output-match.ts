// Whether what a step printed is what its `output` block says: the verdict, by the mode the step chose.
// Pure. Loaded only for a step that has an output block (it brings in the diff package).
import { diffArrays, diffChars } from 'diff';
import type { Expectation } from '../markdown/expectation.ts';
import { linePatterns, matchInOrder, matchSequence, outputLines } from './output-lines.ts';

/** Texts longer than this together are scored line by line: character alignment would take too long. */
export const CHARACTER_SCORE_LIMIT = 50_000;

/**
 * How alike two texts are: 2 × the characters they have in common, in order, ÷ the characters of both
 * (1 the same, 0 nothing in common), after cleaning. Long texts count whole equal lines as common.
 */
export function similarity(expected: string, actual: string): number {
  const a = outputLines(expected).join('\n');
  const b = outputLines(actual).join('\n');
  const total = a.length + b.length;
  if (total === 0) return 1;
  let common = 0;
  if (total <= CHARACTER_SCORE_LIMIT) {
    for (const part of diffChars(a, b)) if (!part.added && !part.removed) common += part.value.length;
  } else {
    const lines = diffArrays(a.split('\n'), b.split('\n'), { timeout: 2000 });
    if (!lines) return 0;
    for (const part of lines) {
      if (!part.added && !part.removed) for (const line of part.value) common += line.length + 1;
    }
    common = Math.min(common, Math.min(a.length, b.length));
  }
  return (2 * common) / total;
}

export interface OutputVerdict {
  matched: boolean;
  /** For similar: the score the output got. */
  score?: number;
}

/** Compares what a step printed (its standard output) with what it expects. */
export function matchOutput(e: Expectation, actual: string): OutputVerdict {
  if (e.mode === 'similar') {
    const score = similarity(e.text, actual);
    return { matched: score >= (e.threshold ?? 1), score: Math.round(score * 1000) / 1000 };
  }
  const patterns = linePatterns(e);
  const lines = outputLines(actual);
  return { matched: e.mode === 'contains' ? matchInOrder(patterns, lines) : matchSequence(patterns, lines) };
}
