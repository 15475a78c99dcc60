// The rule for refusing a run: a variable is certainly missing only when a step reads it as a plain
// expansion (a certain need), nothing provides it, no earlier step sets it, and no earlier step may set
// anything (source, eval, a computed name, code the parser cannot read). Every other read of something
// never set is uncertain: a warning, never a refusal. Functions are resolved across steps: what a
// function reads is read by the step that calls it, when it calls it. Pure, and light: `--list` and an
// unchanged runbook's run load this, not the parsers.
import type { Step } from '../core/types.ts';
import {
  type CallSite,
  type FunctionInfo,
  readsOf,
  type SoftReason,
  type VariableAnalysis,
} from './variables.ts';

/** A read that reaches a step through a function an earlier step defined, for saying where it is. */
export interface FunctionRead {
  /** The function the step calls: its body reads it, or a function it calls does. */
  function: string;
  /** The step whose code holds the read (the reading function's), and its line in that code. */
  definedIn: Step;
  readLine?: number;
  /** The line of the needing step's code that calls it (the first call that leads there). */
  callLine?: number;
}

export interface MissingVariable {
  name: string;
  /** The steps that need it, in order. */
  steps: Step[];
  /** How the first of its steps reads it, when through a function of an earlier step. */
  via?: FunctionRead;
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
  branch: 'read only in a branch that may not run',
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
        : what === 'a computed command'
          ? 'runs a computed command'
          : `assigns ${what}`;
  return `${describeStep(step)} ${does}, so it may set it`;
}

/** One step's reads and sets once the functions it calls are followed. */
interface Resolved {
  needs: string[];
  mayNeed: Map<string, SoftReason>;
  sets: Set<string>;
  maySetAny?: string;
  /** The reads that come from functions of earlier steps: which function, where. */
  via: Map<string, FunctionRead>;
}

/** A function defined so far, and the step that defined it (its last definition). */
interface Defined {
  info: FunctionInfo;
  step?: Step;
}

function definitions(earlier: VariableAnalysis[]): Map<string, Defined> {
  const defs = new Map<string, Defined>();
  for (const a of earlier)
    for (const [name, info] of Object.entries(a.functions ?? {})) defs.set(name, { info });
  return defs;
}

/** Follows `calls` into the functions defined so far; what they read counts at each call. */
function resolveCalls(analysis: VariableAnalysis, defs: Map<string, Defined>): Resolved {
  const resolved: Resolved = {
    needs: [...analysis.needs],
    mayNeed: new Map(Object.entries(analysis.mayNeed ?? {})),
    sets: new Set(analysis.sets),
    maySetAny: analysis.maySetAny,
    via: new Map(),
  };
  const own = new Set(readsOf(analysis));
  const from = (need: string, site: CallSite, def: Defined) => {
    if (own.has(need) || resolved.via.has(need) || !def.step) return;
    const readLine = def.info.readLines?.[need];
    resolved.via.set(need, {
      function: site.name,
      definedIn: def.step,
      ...(readLine ? { readLine } : {}),
      ...(site.line ? { callLine: site.line } : {}),
    });
  };
  const firstCall = new Map<string, CallSite>();
  for (const call of analysis.calls ?? []) if (!firstCall.has(call.name)) firstCall.set(call.name, call);
  const follow = (name: string, site: CallSite, before: Set<string>, seen: Set<string>) => {
    const def = defs.get(name);
    if (!def || seen.has(name)) return;
    const fn = def.info;
    seen.add(name);
    for (const need of fn.needs) {
      if (before.has(need)) continue;
      from(need, site, def);
      if (site.uncertain) resolved.mayNeed.set(need, 'may be set by the step');
      else resolved.needs.push(need);
    }
    for (const [need, why] of Object.entries(fn.mayNeed ?? {})) {
      if (before.has(need) || resolved.mayNeed.has(need)) continue;
      from(need, site, def);
      resolved.mayNeed.set(need, why);
    }
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
  const defs = new Map<string, Defined>();
  const missing = new Map<string, Step[]>();
  const uncertain = new Map<string, { steps: Step[]; reason: string }>();
  const via = new Map<string, FunctionRead>();
  let anything: string | undefined;
  const doubt = (name: string, step: Step, reason: string, r: Resolved) => {
    const entry = uncertain.get(name);
    if (entry) entry.steps.push(step);
    else uncertain.set(name, { steps: [step], reason });
    if (!entry && !missing.has(name)) keepVia(name, r);
  };
  const keepVia = (name: string, r: Resolved) => {
    const read = r.via.get(name);
    if (read) via.set(name, read);
    else via.delete(name);
  };
  steps.forEach((step, i) => {
    const analysis = analyses[i];
    if (!analysis) return;
    const r = resolveCalls(analysis, defs);
    for (const name of new Set(r.needs)) {
      if (available.has(name)) continue;
      if (anything) doubt(name, step, anything, r);
      else {
        if (!missing.has(name)) keepVia(name, r);
        missing.set(name, [...(missing.get(name) ?? []), step]);
      }
    }
    for (const [name, why] of r.mayNeed) {
      if (!available.has(name) && !missing.has(name)) doubt(name, step, SOFT_TEXT[why], r);
    }
    for (const name of r.sets) available.add(name);
    for (const [name, info] of Object.entries(analysis.functions ?? {})) defs.set(name, { info, step });
    if (r.maySetAny || analysis.error) anything ??= whyAny(step, r.maySetAny ?? 'unreadable');
  });
  const withVia = (name: string) => (via.has(name) ? { via: via.get(name) as FunctionRead } : {});
  return {
    missing: [...missing].map(([name, needing]) => ({ name, steps: needing, ...withVia(name) })),
    uncertain: [...uncertain]
      .filter(([name]) => !missing.has(name))
      .map(([name, { steps: reading, reason }]) => ({ name, steps: reading, reason, ...withVia(name) })),
  };
}

/** The certain needs of one step as it is about to run, with the functions defined by `earlier` steps. */
export function certainNeedsAt(analysis: VariableAnalysis, earlier: VariableAnalysis[]): string[] {
  return [...new Set(resolveCalls(analysis, definitions(earlier)).needs)];
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
  const r = resolveCalls(analysis, definitions(earlier));
  return [...new Set([...r.needs, ...r.mayNeed.keys()])];
}
