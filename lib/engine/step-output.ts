// What the runner does with a step's standard output beyond showing it: compare it with the step's
// output block (the verdict and a diff for the record) and turn it into a captured variable's value.
import { stripVTControlCharacters } from 'node:util';
import type { OutputCheck } from '../core/types.ts';
import { describeExpectation, type Expectation } from '../markdown/expectation.ts';
import { TAP_LIMIT, type Tapped } from '../os/stream-tap.ts';

const MIB = 1024 * 1024;

/** The verdict on what a step printed; the diff (redacted) when it does not match. */
export async function checkPrinted(
  e: Expectation,
  printed: Tapped,
  where: string,
  redact: (text: string) => string,
): Promise<OutputCheck> {
  const expect = describeExpectation(e);
  if (printed.overflowed) {
    const diff = `the step printed more than ${TAP_LIMIT / MIB} MiB, more than is kept to compare`;
    return { expect, matched: false, diff };
  }
  const { matchOutput } = await import('./output-match.ts');
  const verdict = matchOutput(e, printed.text);
  const check: OutputCheck = { expect, matched: verdict.matched };
  if (verdict.score !== undefined) check.score = verdict.score;
  if (!verdict.matched) {
    const { outputDiff } = await import('./output-diff.ts');
    check.diff = redact(outputDiff(e, printed.text, where));
  }
  return check;
}

/** The failure message for a verdict that did not match. */
export function mismatchMessage(check: OutputCheck, threshold?: number): string {
  if (check.score === undefined) return 'output did not match';
  return `output did not match (similarity ${check.score}, needs ${threshold})`;
}

/** A captured value: the output without colours or other escapes, trailing newlines trimmed. */
export function capturedValue(text: string): string {
  return stripVTControlCharacters(text).replace(/(?:\r?\n)+$/, '');
}
