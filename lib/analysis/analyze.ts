// Variables each step sets and needs, and the ones no earlier step, environment or --set provides.

import type { Step } from '../core/types.ts';
import { keepParserCode, loadShellParser } from './bash-parser.ts';
import { analyzeJs } from './js-vars.ts';
import { analyzeShellTree } from './shell-vars.ts';
import { stepChanges } from './step-changes.ts';
import type { VariableAnalysis } from './variables.ts';

export { analyzeJs } from './js-vars.ts';
export type { VariableAnalysis } from './variables.ts';

/** Never throws: code that does not parse gives empty sets and needs and an error message. */
export async function analyzeShell(code: string): Promise<VariableAnalysis> {
  try {
    const parser = await loadShellParser();
    const tree = parser.parse(code);
    return { ...analyzeShellTree(parser.ops, tree), changes: stepChanges(parser.ops, tree) };
  } catch (error) {
    // bash may well run it: it may set anything (see lib/check/syntax.ts for bash's own verdict).
    return { sets: [], needs: [], maySetAny: 'unreadable', error: (error as Error).message };
  }
}

export function analyzeStep(step: Step): Promise<VariableAnalysis> {
  return step.kind === 'js' ? Promise.resolve(analyzeJs(step.code)) : analyzeShell(step.code);
}

/** One analysis per step, in the steps' order; `ahead` holds analyses of shell code already under way. */
export async function analyzeRunbook(
  steps: Step[],
  ahead?: ReadonlyMap<string, Promise<VariableAnalysis>>,
): Promise<VariableAnalysis[]> {
  const analyses = await Promise.all(
    steps.map((s) => (s.kind === 'shell' && ahead?.get(s.code)) || analyzeStep(s)),
  );
  await keepParserCode();
  return analyses;
}
