// Which variables a step uses, as the walkthrough and the dry run show them, and what skipping a step
// leaves unset. Built on analysis/analyze.ts's bash analysis; a `$NAME` scan when the code does not parse.

import type { VariableAnalysis } from '../analysis/analyze.ts';
import { certainNeedsAt } from '../analysis/certainty.ts';
import { withStepEffects } from '../analysis/step-effects.ts';
import { readsOf } from '../analysis/variables.ts';
import type { Context, Step } from '../core/types.ts';
import { carriedView, referencedNames, type VarView } from './view.ts';

export interface VarSources {
  context: Context;
  env: NodeJS.ProcessEnv;
  isSecret: (name: string) => boolean;
  redact: (text: string) => string;
  /** Columns a value may take. */
  width: number;
}

/** The bash analysis of `code` (the step's own or an edit of it); never throws. */
export async function analyze(step: Step, code = step.code): Promise<VariableAnalysis> {
  const { analyzeStep } = await import('../analysis/analyze.ts');
  return withStepEffects(step, await analyzeStep({ ...step, code }));
}

export function inEnvironment(name: string, src: Pick<VarSources, 'context' | 'env'>): boolean {
  return src.env[name] !== undefined && !src.context.unset.includes(name);
}

/**
 * Names whose absence certainly breaks the step that nothing provides: no carried value, not in the
 * environment. `earlier` are the analyses of the steps before it, whose functions it may call.
 */
export function unsetNeeds(
  analysis: VariableAnalysis,
  src: Pick<VarSources, 'context' | 'env'>,
  earlier: VariableAnalysis[] = [],
): string[] {
  return certainNeedsAt(analysis, earlier).filter((n) => !(n in src.context.vars) && !inEnvironment(n, src));
}

/**
 * The carried variables the code reads, with their values, and the ones it needs that are not set.
 * `whenUnset` says where a missing value will come from (a prompt, an earlier step).
 */
export function usedVars(
  analysis: VariableAnalysis,
  code: string,
  src: VarSources,
  whenUnset: (name: string) => string | undefined,
): VarView[] {
  // Code that does not parse still shows the carried values it mentions.
  const names = analysis.error ? referencedNames(code) : readsOf(analysis);
  const views: VarView[] = [];
  for (const name of names) {
    const carried = src.context.vars[name];
    if (carried) views.push(carriedView(name, carried, src.isSecret, src.redact, src.width));
    // Only a certain need is asked for; a read bash allows unset is not.
    else if (!analysis.error && analysis.needs.includes(name) && !inEnvironment(name, src)) {
      const note = whenUnset(name);
      if (note) views.push({ name, note });
    }
  }
  return views;
}

/** For a skipped step: the names it would set that a later step reads and nothing else provides. */
export function leftUnset(
  skipped: VariableAnalysis,
  later: { step: Step; analysis: VariableAnalysis }[],
  src: Pick<VarSources, 'context' | 'env'>,
): { name: string; readBy: Step }[] {
  const found: { name: string; readBy: Step }[] = [];
  const pending = new Set(skipped.sets.filter((n) => !(n in src.context.vars) && !inEnvironment(n, src)));
  for (const { step, analysis } of later) {
    for (const name of readsOf(analysis)) {
      if (pending.delete(name)) found.push({ name, readBy: step });
    }
    // A later step that sets the name itself makes the skip harmless for the steps after it.
    for (const name of analysis.sets) pending.delete(name);
    if (pending.size === 0) break;
  }
  return found;
}

/** The walkthrough's view of variables: analyses cached per code, values from the engine's live context. */
export class StepVariables {
  private readonly analyses = new Map<string, Promise<VariableAnalysis>>();

  /**
   * `steps`: the runbook's, whose functions a step may call. `known`: the run's analysis of a step's code,
   * when it has one, so the parser is loaded only for code edited during the walk.
   */
  constructor(
    private readonly sources: () => VarSources,
    private steps: Step[] = [],
    private readonly known: (step: Step, code: string) => VariableAnalysis | undefined = () => undefined,
  ) {}

  /** The runbook's steps changed (the file was read again). */
  setSteps(steps: Step[]): void {
    this.steps = steps;
  }

  analysis(step: Step, code = step.code): Promise<VariableAnalysis> {
    const key = `${step.index}\0${code}`;
    let found = this.analyses.get(key);
    if (!found) {
      const known = this.known(step, code);
      found = known ? Promise.resolve(known) : analyze(step, code);
      this.analyses.set(key, found);
    }
    return found;
  }

  /**
   * The variables the step's code uses, as views. One not set says that `asker` asks for it before the
   * step runs, and which earlier step sets it, if one does (not run yet, or skipped).
   */
  async views(step: Step, code: string, asker = 'you will be asked'): Promise<VarView[]> {
    const analysis = await this.analysis(step, code);
    const earlier = this.steps.filter((s) => s.index < step.index);
    const sets = await Promise.all(earlier.map((s) => this.analysis(s)));
    return usedVars(analysis, code, this.sources(), (name) => {
      let by: Step | undefined;
      sets.forEach((a, i) => {
        if (a.sets.includes(name)) by = earlier[i];
      });
      const setter = by ? ` (step ${by.index} ${by.name} sets it)` : '';
      return `not set${setter}; ${asker} before it runs`;
    });
  }

  /** What to ask for before the step runs: only what its absence certainly breaks. */
  async missing(step: Step, code: string): Promise<string[]> {
    const earlier = await Promise.all(
      this.steps.filter((s) => s.index < step.index).map((s) => this.analysis(s)),
    );
    return unsetNeeds(await this.analysis(step, code), this.sources(), earlier);
  }

  /** Warnings for skipping `step`: what it would have set that a later step reads. */
  async skipWarnings(step: Step, later: Step[]): Promise<string[]> {
    const analyses = await Promise.all(later.map((s) => this.analysis(s)));
    const unset = leftUnset(
      await this.analysis(step),
      later.map((s, i) => ({ step: s, analysis: analyses[i] as VariableAnalysis })),
      this.sources(),
    );
    return unset.map(
      ({ name, readBy }) =>
        `${step.name} would have set ${name}, which step ${readBy.index} ${readBy.name} reads; you will be asked for it`,
    );
  }
}
