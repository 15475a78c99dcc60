// The runbook's declared inputs on the page: each as the page's form shows it (a secret's default is not
// sent), and the form's answers checked as the terminal's form checks them, so that a run served and
// one at a terminal take the same values.
import { inputProblem, type ResolvedInput } from '../../core/inputs.ts';
import type { InputField } from './protocol.ts';

/** A declared input as the page's form shows it: a secret's default is not sent. */
export function inputField(input: ResolvedInput): InputField {
  const { spec } = input;
  const field: InputField = {
    name: input.name,
    secret: spec.secret === true,
    required: spec.required !== false,
  };
  if (spec.description) field.description = spec.description;
  if (spec.default !== undefined && !spec.secret) field.default = spec.default;
  if (spec.pattern) field.pattern = spec.pattern;
  if (input.problem && input.problem !== 'missing') field.problem = input.problem;
  return field;
}

/**
 * The form's answers: every input with its problem now (none when its answer is good, or empty where it
 * may be), and the values to set, which are taken only once no input has a problem.
 */
export function checkAnswers(
  inputs: ResolvedInput[],
  values: Record<string, string>,
): { checked: ResolvedInput[]; taken: [string, string][] } {
  const taken: [string, string][] = [];
  const checked = inputs.map((input): ResolvedInput => {
    const raw = values[input.name];
    const value = typeof raw === 'string' && raw !== '' ? raw : (input.spec.default ?? '');
    const problem =
      value === ''
        ? input.spec.required === false
          ? undefined
          : `${input.name} needs a value`
        : inputProblem(input.spec, value);
    if (!problem && value !== '') taken.push([input.name, value]);
    const { problem: _old, ...rest } = input;
    return problem ? { ...rest, problem } : rest;
  });
  return { checked, taken };
}
