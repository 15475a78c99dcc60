// A step sent to the step server, and the look-ahead: under --yes the next step's command goes out the
// moment the last one ends, while the runner is still busy with its results. The session runs the step
// it sent ahead when asked for that same step in the state the server holds, and ends it otherwise.
import type { StepChanges } from '../analysis/step-changes.ts';
import type { Context } from '../core/types.ts';

/** A step's code, and what running it can change when the analysis could tell (see step-changes.ts). */
export interface StepCode {
  /** File name for the step's script, so bash's own messages name the step. */
  name: string;
  code: string;
  /** Line of the step's opening fence in the runbook: the code keeps its runbook lines. */
  line: number;
  changes?: StepChanges;
}

/** A step as the session runs it. */
export interface ShellStep extends StepCode {
  context: Context;
}

/** A step whose command has gone to the server. */
export interface Launched extends ShellStep {
  token: string;
  started: number;
  /** The names its snapshot lists, when it lists only some. */
  asked?: string[];
  /** How it ended ("exit STATUS LEFT"), once all its output is forwarded. */
  ended: Promise<string>;
}

/** Whether two steps are the same code at the same place (the file may have changed in between). */
export function sameStep(a: StepCode, b: StepCode): boolean {
  return a.name === b.name && a.line === b.line && a.code === b.code;
}

/** The one step sent ahead of its run, if any. */
export class Lookahead {
  private sent?: Launched;

  hold(launched: Launched): void {
    this.sent = launched;
  }

  /**
   * What to do with the step sent ahead when `step` is asked for: run it (the same step, asked for in the
   * state the server holds: `inHeldState` of its context), or end it (anything else).
   */
  take(step: ShellStep, inHeldState: (context: Context) => boolean): { run?: Launched; end?: Launched } {
    const sent = this.sent;
    this.sent = undefined;
    if (!sent) return {};
    return sameStep(sent, step) && inHeldState(step.context) ? { run: sent } : { end: sent };
  }

  /** The step sent ahead, to end: the session closes. */
  drop(): Launched | undefined {
    const sent = this.sent;
    this.sent = undefined;
    return sent;
  }
}
