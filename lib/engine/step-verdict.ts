// How a step that ran ended, as the record says it: the first that applies of interrupted, timed out, its
// exit, its output check, a capture it cannot keep (too long, or holding a NUL); otherwise done. Pure,
// so each rule is one expectation.
import type { OutputCheck, StepOutcome } from '../core/types.ts';
import { TAP_LIMIT } from '../os/stream-tap.ts';
import { mismatchMessage } from './step-output.ts';

export interface VerdictInput {
  /** The step's timeout= in seconds. */
  timeout: number;
  check?: OutputCheck;
  /** expect=similar:X's threshold. */
  threshold?: number;
  /** capture=NAME, and whether what the step printed overflowed what is kept. */
  capture?: string;
  overflowed?: boolean;
  /** Whether the value to capture holds a NUL, which no bash variable can hold. */
  nul?: boolean;
}

export type Verdict = { status: 'done' } | { status: 'interrupted' | 'failed'; message: string };

type Ended = Pick<StepOutcome, 'interrupted' | 'timedOut' | 'exitCode' | 'signal'>;

export function verdictOf(outcome: Ended, input: VerdictInput): Verdict {
  if (outcome.interrupted) return { status: 'interrupted', message: 'interrupted' };
  if (outcome.timedOut) return { status: 'failed', message: `timed out at timeout=${input.timeout}` };
  if (outcome.exitCode !== 0) {
    const message = outcome.signal ? `killed by ${outcome.signal}` : `exit code ${outcome.exitCode}`;
    return { status: 'failed', message };
  }
  if (input.check && !input.check.matched) {
    return { status: 'failed', message: mismatchMessage(input.check, input.threshold) };
  }
  if (input.capture && input.overflowed) {
    const limit = TAP_LIMIT / (1024 * 1024);
    return { status: 'failed', message: `capture=${input.capture}: the step printed more than ${limit} MiB` };
  }
  if (input.capture && input.nul) {
    const message = `capture=${input.capture}: the step printed a NUL character, which no bash variable can hold`;
    return { status: 'failed', message };
  }
  return { status: 'done' };
}
