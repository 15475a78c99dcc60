// A step's attempts: each one run, what it printed checked against its output block when it ended well,
// and another after a pause while it fails and retries= allows; Ctrl-C during the pause ends the step as
// interrupted.
import path from 'node:path';
import type { OutputCheck, StepOutcome } from '../core/types.ts';
import type { Expectation } from '../markdown/expectation.ts';
import type { StreamTap, Tapped } from '../os/stream-tap.ts';
import { checkPrinted } from './step-output.ts';

export interface AttemptOptions {
  /** Attempts after the first one that failed (retries=). */
  retries: number;
  /** The pause before each retry. */
  delayMs: number;
  /** Aborted by Ctrl-C: for every attempt and the pauses between them. */
  signal: AbortSignal;
  /** Keeps what each attempt prints, for `expectation` (and the caller's capture=). */
  tap?: StreamTap;
  expectation?: Expectation;
  /** The runbook, for the places a diff names. */
  file: string;
  redact: (text: string) => string;
  /** An attempt failed and another follows: `why` it failed, in words (`exit 1`, `its output did not match`). */
  onRetry?: (attempt: number, outcome: StepOutcome, why: string) => void;
}

/** How the last attempt went, and how many there were. */
export interface Attempted {
  outcome: StepOutcome;
  attempts: number;
  printed?: Tapped;
  check?: OutputCheck;
}

export async function attempt(once: () => Promise<StepOutcome>, opts: AttemptOptions): Promise<Attempted> {
  const { retries, signal, tap, expectation } = opts;
  let outcome: StepOutcome;
  let attempts = 0;
  let printed: Tapped | undefined;
  let check: OutputCheck | undefined;
  for (;;) {
    attempts++;
    tap?.keep();
    outcome = await once();
    printed = tap?.take();
    check = undefined;
    if (expectation && printed && outcome.exitCode === 0 && !outcome.interrupted && !outcome.timedOut) {
      const where = `${path.basename(opts.file)}:${expectation.line}`;
      check = await checkPrinted(expectation, printed, where, opts.redact);
    }
    const failed = outcome.exitCode !== 0 || outcome.timedOut || check?.matched === false;
    if (!failed || outcome.interrupted || attempts > retries) break;
    const why =
      check?.matched === false
        ? 'its output did not match'
        : outcome.timedOut
          ? 'timed out'
          : `exit ${outcome.exitCode ?? outcome.signal}`;
    opts.onRetry?.(attempts, outcome, why);
    await pause(opts.delayMs, signal);
    if (signal.aborted) {
      outcome = { ...outcome, interrupted: true };
      break;
    }
  }
  return { outcome, attempts, printed, check };
}

/** Waits `ms`, or less if `signal` aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
