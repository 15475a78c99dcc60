// What a step's run comes to: its record entry (attempts, time, exit, code hashes, the edit it ran, its
// output check and verdict) and, when it is done, the context it leaves for the next step with the names
// it set. Kept apart from the engine's state, so each rule can be read (and tested) alone.
import { changedNames, withValue } from '../core/context.ts';
import type { Context, Step, StepOutcome, StepResult } from '../core/types.ts';
import type { Expectation } from '../markdown/expectation.ts';
import type { Tapped } from '../os/stream-tap.ts';
import { codeHash } from './run-record.ts';
import type { Attempted } from './step-attempts.ts';
import { capturedValue } from './step-output.ts';
import { type Verdict, verdictOf } from './step-verdict.ts';

export interface Ran {
  step: Step;
  /** The code that ran (the person's edit, or the step's own). */
  code: string;
  started: Date;
  attempted: Attempted;
  /** timeout= in seconds. */
  timeout: number;
  expectation?: Expectation;
  /** capture=NAME. */
  capture?: string;
}

/**
 * Whether the value capture= would make holds a NUL. The value (escapes stripped) is made again only for
 * output that holds one, so the common case does not strip up to 16 MiB twice (contextAfter makes it).
 */
function holdsNul(printed: Tapped | undefined): boolean {
  return printed?.text.includes('\0') === true && capturedValue(printed.text).includes('\0');
}

/** Writes into `result` how the run went, up to its status (and message, when it is not done). */
export function enterRun(result: StepResult, ran: Ran): Verdict['status'] {
  const { step, code, started, attempted, timeout, expectation, capture } = ran;
  const { outcome, printed, check } = attempted;
  result.attempts += attempted.attempts;
  result.durationMs = Date.now() - started.getTime();
  result.exitCode = outcome.exitCode;
  result.codeHash = codeHash(code);
  result.sourceHash = codeHash(step.code);
  result.runs = (result.runs ?? 0) + 1;
  if (code !== step.code) result.editedCode = code;
  else delete result.editedCode;
  delete result.message;
  delete result.output;
  if (check) result.output = check;
  const verdict = verdictOf(outcome, {
    timeout,
    check,
    threshold: expectation?.threshold,
    capture,
    overflowed: printed?.overflowed,
    nul: capture !== undefined && holdsNul(printed),
  });
  result.status = verdict.status;
  if (verdict.status !== 'done') result.message = verdict.message;
  return verdict.status;
}

/**
 * The context a step that is done leaves, from `before` (where it started), and the names it set;
 * undefined when its shell reported none (the outcome's warning says why) and it captured nothing.
 * `current` is the context now, which a captured value goes into when the step reported none.
 */
export function contextAfter(
  step: Step,
  outcome: StepOutcome,
  before: Context,
  current: Context,
  capture?: string,
  printed?: Tapped,
): { context: Context; setVars: string[] } | undefined {
  let after = outcome.context;
  // A step with its own cwd= runs there without moving where later steps start.
  if (after && step.attributes.cwd) after = { ...after, cwd: before.cwd };
  // The captured value is data: it travels to bash as a value, never as code.
  if (capture && printed) after = withValue(after ?? current, capture, capturedValue(printed.text));
  if (!after) return undefined;
  const setVars = outcome.changed ? [...outcome.changed] : changedNames(before, after);
  if (capture && printed && !setVars.includes(capture)) setVars.push(capture);
  return { context: after, setVars };
}
