// Declared inputs (front matter `inputs:`) against what a run was given: which have a value and from
// where, which are missing or invalid. Pure; the CLI refuses (--yes) or asks (the walkthrough) from this.
import type { Context, InputSpec } from './types.ts';

export type InputSource = 'given' | 'environment' | 'default';

export interface ResolvedInput {
  name: string;
  spec: InputSpec;
  /** The value it has now, if any. */
  value?: string;
  /** given: --set or an earlier answer in the record; environment: the environment or --env-file. */
  source?: InputSource;
  /** Why the run cannot start with it as it is. */
  problem?: string;
}

/** Why `value` is not acceptable for `spec`, or undefined. */
export function inputProblem(spec: InputSpec, value: string): string | undefined {
  if (spec.pattern === undefined || new RegExp(spec.pattern, 'u').test(value)) return undefined;
  const shown = spec.secret ? 'the value given' : JSON.stringify(value);
  return `${shown} does not match ${spec.pattern}`;
}

export function resolveInputs(
  inputs: Record<string, InputSpec> | undefined,
  context: Context,
  env: NodeJS.ProcessEnv,
): ResolvedInput[] {
  return Object.entries(inputs ?? {}).map(([name, spec]) => {
    const carried = context.vars[name];
    let value: string | undefined;
    let source: InputSource | undefined;
    if (carried?.type === 'scalar') {
      value = carried.value;
      source = 'given';
    } else if (env[name] !== undefined && !context.unset.includes(name)) {
      value = env[name];
      source = 'environment';
    } else if (spec.default !== undefined) {
      value = spec.default;
      source = 'default';
    }
    const problem =
      value === undefined ? (spec.required === false ? undefined : 'missing') : inputProblem(spec, value);
    return { name, spec, value, source, ...(problem ? { problem } : {}) };
  });
}

/** One line per input for --yes: what it is for and what is wrong. */
export function formatInputProblems(bad: ResolvedInput[]): string {
  const width = Math.max(...bad.map((i) => i.name.length));
  const count = bad.length === 1 ? '1 input is' : `${bad.length} inputs are`;
  const lines = bad.map((i) => {
    const about = i.spec.description ? `${i.spec.description}: ` : '';
    return `  ${i.name.padEnd(width)}  ${about}${i.problem}`;
  });
  return [
    `${count} missing or invalid (give them in the environment, with --set NAME=VALUE or --env-file FILE):`,
    ...lines,
  ].join('\n');
}

/** How an input reads in --list and --dry-run: its description and rules. */
export function describeInput(name: string, spec: InputSpec, width = 0): string {
  const rules = [
    spec.default !== undefined ? `default ${spec.secret ? '****' : JSON.stringify(spec.default)}` : '',
    spec.required === false ? 'optional' : spec.default === undefined ? 'required' : '',
    spec.secret ? 'secret' : '',
    spec.pattern !== undefined ? `pattern ${spec.pattern}` : '',
  ].filter(Boolean);
  const about = spec.description ? `  ${spec.description}` : '';
  return `${name.padEnd(about ? width : 0)}${about}${rules.length ? ` (${rules.join(', ')})` : ''}`;
}
