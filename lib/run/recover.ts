// --resume and the values the run record never holds: secrets, and values made from them. The rule:
// a withheld value that a step of the run made (`AUTH="Bearer $TOKEN"`, `TOKEN=$(vault ...)`) is made
// again by running that step once more before the first step to run, keeping only the withheld values
// from it (everything else stays as the record has it). A withheld value nobody made (given with --set,
// an answer, an input) must be given again: the environment, --set, --env-file, or the walkthrough asks.
// Only values a remaining step may read are made again; a step that may read anything (source, eval,
// code the analysis cannot read) counts as reading them all.
import { readsAt } from '../analysis/certainty.ts';
import type { VariableAnalysis } from '../analysis/variables.ts';
import type { Selection } from '../core/select.ts';
import type { Context, Step, StepResult } from '../core/types.ts';

export interface Remake {
  step: Step;
  names: string[];
}

export interface RecoveryPlan {
  remake: Remake[];
  /** Withheld, made by no step of the run: to be given again. */
  given: string[];
}

export function planRecovery(
  withheld: string[],
  results: StepResult[],
  steps: Step[],
  selection: Selection,
  analyses: Map<number, VariableAnalysis>,
): RecoveryPlan {
  const all = steps.map((s) => analyses.get(s.index) ?? { sets: [], needs: [] });
  const read = new Set<string>();
  let readsAnything = false;
  for (const step of selection.selected) {
    const analysis = all[step.index - 1] as VariableAnalysis;
    if (analysis.maySetAny || analysis.error) readsAnything = true;
    for (const name of readsAt(analysis, all.slice(0, step.index - 1))) read.add(name);
  }
  const byStep = new Map<string, string[]>();
  const given: string[] = [];
  for (const name of withheld) {
    const makers = results
      .filter((r) => r.status === 'done' && r.setVars.includes(name) && steps.some((s) => s.name === r.name))
      .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
    const maker = makers.at(-1);
    if (!maker) given.push(name);
    else if (readsAnything || read.has(name))
      byStep.set(maker.name, [...(byStep.get(maker.name) ?? []), name]);
  }
  const remake = steps
    .filter((s) => byStep.has(s.name))
    .map((step) => ({ step, names: byStep.get(step.name) as string[] }));
  return { remake, given };
}

/** The context before a step ran again, with only `names` taken from what it left. */
export function keepOnly(before: Context, after: Context, names: string[]): Context {
  const vars = { ...before.vars };
  for (const name of names) {
    const value = after.vars[name];
    if (value) vars[name] = value;
  }
  return { ...before, vars };
}
