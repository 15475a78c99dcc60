// --resume and the values the run record never holds: secrets, and values made from them. The rule:
// a withheld value that a step of the run made (`AUTH="Bearer $TOKEN"`, `TOKEN=$(vault ...)`) is made
// again by running that step once more before the first step to run, keeping only the withheld values
// from it (everything else stays as the record has it). A withheld value nobody made (given with --set,
// an answer, an input) must be given again: the environment, --set, --env-file, or the walkthrough asks.
// Only values a remaining step may read are made again, and those the steps that make them read in turn;
// a step that may read anything (source, eval, code the analysis cannot read) counts as reading them all.
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
  /** What a step may read of the withheld values: all of them when it may read anything. */
  const readsOf = (step: Step): string[] => {
    const analysis = all[step.index - 1] as VariableAnalysis;
    if (analysis.maySetAny || analysis.error) return withheld;
    const reads = new Set(readsAt(analysis, all.slice(0, step.index - 1)));
    return withheld.filter((n) => reads.has(n));
  };
  const makerOf = (name: string): Step | undefined => {
    const last = results
      .filter((r) => r.status === 'done' && r.setVars.includes(name) && steps.some((s) => s.name === r.name))
      .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''))
      .at(-1);
    return last && steps.find((s) => s.name === last.name);
  };
  const byStep = new Map<string, string[]>();
  // The values the remaining steps read; then, for each step that runs again, the withheld values it reads
  // itself (`HDR="Bearer $TOKEN"` made again needs TOKEN made again first), and so on.
  const wanted = [...new Set(selection.selected.flatMap(readsOf))];
  const seen = new Set(wanted);
  for (let i = 0; i < wanted.length; i++) {
    const name = wanted[i] as string;
    const maker = makerOf(name);
    if (!maker) continue;
    byStep.set(maker.name, [...(byStep.get(maker.name) ?? []), name]);
    for (const more of readsOf(maker)) {
      if (seen.has(more) || makerOf(more) === maker) continue;
      seen.add(more);
      wanted.push(more);
    }
  }
  const given = withheld.filter((name) => !makerOf(name));
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
