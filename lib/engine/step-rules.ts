// Rules that span a step's attributes and its neighbours: what `runbook check` reports and what stops a
// run before it starts (errors), or is only worth saying (warnings). Pure.

import type { Step } from '../core/types.ts';
import { expectationOf, readExpect } from '../markdown/expectation.ts';
import { captureName, isBackground, stopNames } from '../markdown/step-options.ts';
import { expectationProblem } from './output-lines.ts';

export interface StepRuleProblem {
  step: Step;
  /** 1-based line of the runbook the problem is at. */
  line: number;
  severity: 'error' | 'warning';
  message: string;
}

export function stepRuleProblems(steps: Step[]): StepRuleProblem[] {
  const problems: StepRuleProblem[] = [];
  const background = new Set<string>();
  for (const step of steps) {
    const error = (message: string, line = step.line) =>
      problems.push({ step, line, severity: 'error', message });
    const warning = (message: string, line = step.line) =>
      problems.push({ step, line, severity: 'warning', message });
    const bg = isBackground(step);
    if (bg && step.kind !== 'shell') error('background runs shell steps only');
    if (step.attributes.ready !== undefined && !bg) error('ready= applies to a background step only');
    if (bg && step.attributes.capture !== undefined) {
      error('capture= cannot take the output of a background step: it has not ended');
    }
    for (const name of stopNames(step.attributes.stop)) {
      if (!background.has(name))
        error(`stop=${name}: no background step named ${name} comes before this one`);
    }
    const explicit = step.attributes.expect;
    const setting = explicit === undefined ? undefined : readExpect(explicit);
    if (step.expected && bg) {
      warning(
        'the output block after a background step is not checked: its output goes to its log (ready= can wait for a line of it)',
        step.expected.line,
      );
    } else if (!step.expected && setting && !('problem' in setting) && setting.mode !== 'off') {
      warning('expect= has no output block after the step to compare with');
    }
    const expectation = bg ? undefined : expectationOf(step);
    const problem = expectation && expectationProblem(expectation);
    if (problem && step.expected) error(problem, step.expected.line);
    if (bg) background.add(step.name);
  }
  return problems;
}

/** Whether the runner compares this step's output with its output block. */
export function checksOutput(step: Step): boolean {
  return !isBackground(step) && expectationOf(step) !== undefined;
}

/** Whether the runner keeps this step's standard output: to compare it, or to capture it. */
export function observesOutput(step: Step): boolean {
  return checksOutput(step) || captureName(step) !== undefined;
}
