// What the analysis says of one step: the variables it sets, the ones whose absence certainly breaks it
// (needs), the ones it reads where bash gives an unset variable a meaning (mayNeed), and whether it may
// set variables nobody can name before it runs (source, eval, a computed name, code the parser cannot
// read). Kept as plain JSON: analyses are cached in .runbook/.

import type { StepChanges } from './step-changes.ts';

/** Why a read is not a certain need. */
export type SoftReason =
  /** `$((X + 1))`, `((X++))`, `let`: unset is 0. */
  | 'arithmetic'
  /** `[ -z "$X" ]`, `[[ -v X ]]`, `${X+alt}`: the step tests whether it is set or empty. */
  | 'test'
  /** The step runs `set +u`. */
  | 'set +u'
  /** `"${A[@]}"`: an unset array expands to nothing, even under `set -u`. */
  | 'array'
  /** Read after a source, eval or assignment to a computed name in the same step. */
  | 'may be set by the step'
  /** In a branch that may not run: an if's or case's body, after `&&` or `||`. */
  | 'branch';

/** A function a step defines, as a later call sees it. */
export interface FunctionInfo {
  needs: string[];
  mayNeed?: Record<string, SoftReason>;
  /** Global variables it assigns. */
  sets: string[];
  /** Positional parameters whose value names a variable it assigns (`local -n out=$1; out=x`). */
  setsArgs?: number[];
  /** Commands it runs that it does not define (functions of other steps, or programs). */
  calls?: string[];
  maySetAny?: string;
  /** The line of the defining step's code (1-based) where the body first reads each variable. */
  readLines?: Record<string, number>;
}

/** A command the step runs that it does not define: a function of an earlier step, or a program. */
export interface CallSite {
  name: string;
  /** Literal arguments (up to 9), null where one expands something. */
  args: Array<string | null>;
  /** For the first call of a name: what the step had assigned before it. */
  assignedBefore?: string[];
  /** After a source or eval in the step: what the function reads may have been set there. */
  uncertain?: true;
  /** For the first call of a name: its line in the step's code (1-based). */
  line?: number;
}

export interface VariableAnalysis {
  sets: string[];
  /** Read as a plain expansion with nothing earlier in the step that sets it. */
  needs: string[];
  /** Read only where bash defines the read for an unset variable; absent when none. */
  mayNeed?: Record<string, SoftReason>;
  /** What lets the step set variables no one can name ahead: 'source', 'eval', ...; absent when none. */
  maySetAny?: string;
  /** Functions the step defines (the last definition of each name). */
  functions?: Record<string, FunctionInfo>;
  calls?: CallSite[];
  /** The line of the step's code (1-based) where each variable is first read, for messages. */
  readLines?: Record<string, number>;
  /** The analysis parser could not read the step (bash may still run it). */
  error?: string;
  /** Shell steps: what running the step can change in its shell, for the runner to read back (step-changes.ts). */
  changes?: StepChanges;
}

/** Every read, certain or not, in order. */
export function readsOf(analysis: VariableAnalysis): string[] {
  return [...new Set([...analysis.needs, ...Object.keys(analysis.mayNeed ?? {})])];
}
