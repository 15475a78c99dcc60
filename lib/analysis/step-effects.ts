// What a step's attributes change about the variables it sets: capture=NAME sets NAME, and a background
// step carries nothing (it has not ended when later steps run). Applied over the code's own analysis,
// which is cached by code alone.
import type { Step } from '../core/types.ts';
import { captureName, isBackground } from '../markdown/step-options.ts';
import type { VariableAnalysis } from './variables.ts';

export function withStepEffects(
  step: Pick<Step, 'attributes'>,
  analysis: VariableAnalysis,
): VariableAnalysis {
  if (isBackground(step)) return analysis.sets.length ? { ...analysis, sets: [] } : analysis;
  const captured = captureName(step);
  if (!captured || analysis.sets.includes(captured)) return analysis;
  return { ...analysis, sets: [...analysis.sets, captured] };
}
