// The declared inputs a run was not given, asked for up front in one form: each with its description,
// its default (Enter takes it), masked when secret, checked against its pattern and asked again while the
// answer does not match.
import { isCancel, log, password, text } from '@clack/prompts';
import { inputProblem, type ResolvedInput } from '../core/inputs.ts';
import { type PromptIO, releaseInput } from './prompts.ts';

/** What an answer stands for: the default when left empty. */
function answered(input: ResolvedInput, raw: string | undefined): string {
  return raw === undefined || raw === '' ? (input.spec.default ?? '') : raw;
}

function check(input: ResolvedInput, raw: string | undefined): string | undefined {
  const value = answered(input, raw);
  if (value === '') return input.spec.required === false ? undefined : `${input.name} needs a value`;
  return inputProblem(input.spec, value);
}

/**
 * The answers by name (an optional input left empty has none); undefined when the person cancels
 * (Ctrl-C, Escape).
 */
export async function askInputs(
  inputs: ResolvedInput[],
  io: PromptIO,
): Promise<Record<string, string> | undefined> {
  const count = inputs.length === 1 ? '1 input' : `${inputs.length} inputs`;
  log.step(`This runbook takes ${count}:`, { output: io.output });
  const answers: Record<string, string> = {};
  for (const input of inputs) {
    const { spec, name } = input;
    const about = spec.description ? ` (${spec.description})` : '';
    const hint =
      spec.default !== undefined && !spec.secret ? '' : spec.required === false ? ' [optional]' : '';
    const wrong = input.problem && input.problem !== 'missing' ? ` ${input.problem}; give another.` : '';
    const message = `${name}${about}${hint}${wrong}`;
    const common = {
      message,
      input: io.input,
      output: io.output,
      signal: io.signal,
      validate: (raw: string | undefined) => check(input, raw),
    };
    const answer = spec.secret
      ? await password({ ...common, mask: '*' })
      : await text({ ...common, placeholder: spec.default, defaultValue: spec.default });
    releaseInput(io.input);
    if (isCancel(answer)) return undefined;
    const value = answered(input, answer);
    if (value !== '' || spec.required !== false) answers[name] = value;
  }
  return answers;
}
