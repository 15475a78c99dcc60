// The analyses a run started with, as the engine looks them up: by the step each was made for (the file
// may have changed since, or the person edited the code), and by code, for what running that code can
// change in its shell.
import type { VariableAnalysis } from '../analysis/variables.ts';
import type { Step } from '../core/types.ts';

export class StepAnalyses {
  /** The analyses by the step they were made for, and by code. */
  private readonly analysed = new Map<number, { step: Step; analysis: VariableAnalysis }>();
  private readonly byCode = new Map<string, VariableAnalysis>();

  constructor(steps: Step[], analyses?: Map<number, VariableAnalysis>) {
    for (const step of steps) {
      const analysis = analyses?.get(step.index);
      if (!analysis) continue;
      this.analysed.set(step.index, { step, analysis });
      this.byCode.set(`${step.kind}\0${step.code}`, analysis);
    }
  }

  /** What the analysis says running this code can change (it depends on the code alone). */
  changesOf(step: Step, code: string) {
    return this.byCode.get(`${step.kind}\0${code}`)?.changes;
  }

  /**
   * The run's analysis of a step, when it was made for this very step: same place, code and attributes
   * (the file may have changed since, or the person edited the code).
   */
  of(step: Step, code = step.code): VariableAnalysis | undefined {
    const made = this.analysed.get(step.index);
    return made && made.step.code === code && sameAttributes(made.step, step) ? made.analysis : undefined;
  }
}

function sameAttributes(a: Step, b: Step): boolean {
  return a.kind === b.kind && JSON.stringify(a.attributes) === JSON.stringify(b.attributes);
}
