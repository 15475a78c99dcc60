// The rule for refusing a run: a variable is certainly missing only when a step reads it as a plain
// expansion (a certain need), nothing provides it, no earlier step sets it, and no earlier step may set
// anything (source, eval, a computed name, code the parser cannot read). Every other read of something
// never set is uncertain: a warning, never a refusal. Functions are resolved across steps: what a
// function reads is read by the step that calls it, when it calls it. Pure, and light: `--list` and an
// unchanged runbook's run load this, not the parsers.
import type { Step } from '../core/types.ts';
import type { CallSite, FunctionInfo, SoftReason, VariableAnalysis } from './variables.ts';

export interface MissingVariable {
  name: string;
  /** The steps that need it, in order. */
  steps: Step[];
}

export interface UncertainVariable extends MissingVariable {
  /** Why the first of its steps may run fine without it. */
  reason: string;
}

export interface NeedsVerdict {
  /** Certainly missing: a run under --yes is refused. */
  missing: MissingVariable[];
  /** Read but never certainly set: warned about once. */
  uncertain: UncertainVariable[];
}

const SOFT_TEXT: Record<SoftReason, string> = {
  arithmetic: 'read in arithmetic, where unset is 0',
  test: 'the step tests whether it is set',
  'set +u': 'the step runs set +u',
  array: 'a whole array, empty when unset',
  'may be set by the step': 'read after a source or eval in the same step',
};

function describeStep(step: Step): string {
  return `step ${step.index} ${step.name}`;
}

function whyAny(step: Step, what: string): string {
  const does =
    what === 'unreadable'
      ? 'cannot be read by the analysis'
      : what === 'source' || what === 'eval'
        ? `runs ${what}`
        : `assigns ${what}`;
  return `${describeStep(step)} ${does}, so it may set it`;
}

/** One step's reads and sets once the functions it calls are followed. */
interface Resolved {
  needs: string[];
  mayNeed: Map<string, SoftReason>;
  sets: Set<string>;
  maySetAny?: string;
}

/** Follows `calls` into the functions defined so far; what they read counts at each call. */
function resolveCalls(analysis: VariableAnalysis, defs: Map<string, FunctionInfo>): Resolved {
  const resolved: Resolved = {
    needs: [...analysis.needs],
    mayNeed: new Map(Object.entries(analysis.mayNeed ?? {})),
    sets: new Set(analysis.sets),
    maySetAny: analysis.maySetAny,
  };
  const firstCall = new Map<string, CallSite>();
  for (const call of analysis.calls ?? []) if (!firstCall.has(call.name)) firstCall.set(call.name, call);
  const follow = (name: string, site: CallSite, before: Set<string>, seen: Set<string>) => {
    const fn = defs.get(name);
    if (!fn || seen.has(name)) return;
    seen.add(name);
    for (const need of fn.needs) {
      if (before.has(need)) continue;
      if (site.uncertain) resolved.mayNeed.set(need, 'may be set by the step');
      else resolved.needs.push(need);
    }
    for (const [need, why] of Object.entries(fn.mayNeed ?? {}))
      if (!before.has(need) && !resolved.mayNeed.has(need)) resolved.mayNeed.set(need, why);
    for (const set of fn.sets) resolved.sets.add(set);
    for (const n of fn.setsArgs ?? []) {
      const arg = site.args[n - 1];
      if (arg) resolved.sets.add(arg);
      else resolved.maySetAny ??= 'a computed name';
    }
    if (fn.maySetAny) resolved.maySetAny ??= fn.maySetAny;
    for (const inner of fn.calls ?? []) follow(inner, site, before, seen);
  };
  for (const call of analysis.calls ?? []) {
    const before = new Set(firstCall.get(call.name)?.assignedBefore ?? []);
    follow(call.name, call, before, new Set());
  }
  return resolved;
}

/**
 * Walks the steps in the order they will run. `provided` holds what the environment, --set, the
 * declared inputs and a resumed context give.
 */
export function judgeNeeds(steps: Step[], analyses: VariableAnalysis[], provided: Set<string>): NeedsVerdict {
  const available = new Set(provided);
  const defs = new Map<string, FunctionInfo>();
  const missing = new Map<string, Step[]>();
  const uncertain = new Map<string, { steps: Step[]; reason: string }>();
  let anything: string | undefined;
  const doubt = (name: string, step: Step, reason: string) => {
    const entry = uncertain.get(name);
    if (entry) entry.steps.push(step);
    else uncertain.set(name, { steps: [step], reason });
  };
  steps.forEach((step, i) => {
    const analysis = analyses[i];
    if (!analysis) return;
    const r = resolveCalls(analysis, defs);
    for (const name of new Set(r.needs)) {
      if (available.has(name)) continue;
      if (anything) doubt(name, step, anything);
      else missing.set(name, [...(missing.get(name) ?? []), step]);
    }
    for (const [name, why] of r.mayNeed) {
      if (!available.has(name) && !missing.has(name)) doubt(name, step, SOFT_TEXT[why]);
    }
    for (const name of r.sets) available.add(name);
    for (const [name, fn] of Object.entries(analysis.functions ?? {})) defs.set(name, fn);
    if (r.maySetAny || analysis.error) anything ??= whyAny(step, r.maySetAny ?? 'unreadable');
  });
  return {
    missing: [...missing].map(([name, needing]) => ({ name, steps: needing })),
    uncertain: [...uncertain]
      .filter(([name]) => !missing.has(name))
      .map(([name, { steps: reading, reason }]) => ({ name, steps: reading, reason })),
  };
}

/** The certain needs of one step as it is about to run, with the functions defined by `earlier` steps. */
export function certainNeedsAt(analysis: VariableAnalysis, earlier: VariableAnalysis[]): string[] {
  const defs = new Map<string, FunctionInfo>();
  for (const a of earlier) for (const [name, fn] of Object.entries(a.functions ?? {})) defs.set(name, fn);
  return [...new Set(resolveCalls(analysis, defs).needs)];
}

/** The certainly missing variables alone. */
export function missingVariables(
  steps: Step[],
  analyses: VariableAnalysis[],
  provided: Set<string>,
): MissingVariable[] {
  return judgeNeeds(steps, analyses, provided).missing;
}

/** Every variable one step may read, certain or not, with the functions it calls followed. */
export function readsAt(analysis: VariableAnalysis, earlier: VariableAnalysis[]): string[] {
  const defs = new Map<string, FunctionInfo>();
  for (const a of earlier) for (const [name, fn] of Object.entries(a.functions ?? {})) defs.set(name, fn);
  const r = resolveCalls(analysis, defs);
  return [...new Set([...r.needs, ...r.mayNeed.keys()])];
}
