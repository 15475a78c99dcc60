// Variables each step sets and needs, and the ones no earlier step, environment or --set provides.
import { loadShellParser } from './shell-syntax.ts';
import type { Step } from './types.ts';
import { analyzeJs } from './vars-js.ts';
import { analyzeShellTree, type VariableAnalysis } from './vars-shell.ts';

export { isShellOwnVariable } from './shell-variables.ts';
export { analyzeRunbookCached, type MissingVariable, missingVariables } from './vars-cache.ts';
export { analyzeJs } from './vars-js.ts';
export type { VariableAnalysis } from './vars-shell.ts';

/** Never throws: code that does not parse gives empty sets and needs and an error message. */
export async function analyzeShell(code: string): Promise<VariableAnalysis> {
  try {
    const parser = await loadShellParser();
    return analyzeShellTree(parser, parser.parse(code));
  } catch (error) {
    return { sets: [], needs: [], error: (error as Error).message };
  }
}

export function analyzeStep(step: Step): Promise<VariableAnalysis> {
  return step.kind === 'js' ? Promise.resolve(analyzeJs(step.code)) : analyzeShell(step.code);
}

/** One analysis per step, in the steps' order. */
export function analyzeRunbook(steps: Step[]): Promise<VariableAnalysis[]> {
  return Promise.all(steps.map(analyzeStep));
}
