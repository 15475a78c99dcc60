// Front matter `inputs:`: the values a runbook takes from the person running it, by variable name.
//   inputs:
//     REGION: { description: "cloud region", pattern: "^[a-z]+-[a-z]+-[0-9]$", default: "eu-west-1" }
//     API_TOKEN: { description: "token for the API", secret: true, required: false }
//     NAMESPACE: "namespace to deploy into"      # a description alone
// Checked here, where the line of each mistake is known: names must be shell variable names, keys known
// (an unknown one is a warning), types right, patterns valid regular expressions and defaults matching them.
import type * as Yaml from 'yaml';
import { isIdentifier } from '../core/identifiers.ts';
import type { InputSpec } from '../core/types.ts';

export interface InputReader {
  yaml: typeof Yaml;
  fail: (what: string, node?: unknown) => never;
  warn: (what: string, node?: unknown) => void;
  /** A scalar as written (`default: 2` is "2"). */
  text: (node: unknown, value: unknown, otherwise: () => never) => string;
  describe: (value: unknown) => string;
}

const KEYS = new Set(['description', 'default', 'secret', 'required', 'pattern']);

/** Compiles a pattern as the runner tests it; the error message when it is not a valid one. */
export function patternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'u');
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^Invalid regular expression: /, '');
  }
}

export function readInputs(node: unknown, r: InputReader): Record<string, InputSpec> {
  const { isMap, isNode } = r.yaml;
  const json = (n: unknown): unknown => (isNode(n) ? n.toJSON() : n);
  if (!isMap(node))
    return r.fail(`inputs must be a mapping of variable names, not ${r.describe(json(node))}`, node);
  const inputs: Record<string, InputSpec> = {};
  for (const pair of node.items) {
    const name = String(json(pair.key));
    const at = pair.key;
    if (!isIdentifier(name)) r.fail(`inputs: ${JSON.stringify(name)} is not a shell variable name`, at);
    if (name in inputs) r.fail(`inputs: ${name} is declared twice`, at);
    const value = json(pair.value);
    if (typeof value === 'string' || value === null) {
      inputs[name] = value ? { description: value } : {};
      continue;
    }
    if (!isMap(pair.value))
      r.fail(
        `inputs: ${name} must be a description or a mapping, not ${r.describe(value)}`,
        pair.value ?? at,
      );
    const spec: InputSpec = {};
    for (const item of pair.value.items) {
      const key = String(json(item.key));
      const raw = json(item.value);
      const where = item.value ?? item.key;
      const bad = (what: string): never =>
        r.fail(`inputs: ${name}: ${key} must be ${what}, not ${r.describe(raw)}`, where);
      switch (key) {
        case 'description':
        case 'default':
        case 'pattern':
          spec[key] = r.text(item.value, raw, () => bad('a string'));
          break;
        case 'secret':
        case 'required':
          if (typeof raw !== 'boolean') bad('true or false');
          spec[key] = raw as boolean;
          break;
        default:
          r.warn(`inputs: ${name}: unknown key ${key} (known: ${[...KEYS].join(', ')})`, item.key);
      }
    }
    if (spec.pattern !== undefined) {
      const problem = patternProblem(spec.pattern);
      if (problem)
        r.fail(
          `inputs: ${name}: pattern ${JSON.stringify(spec.pattern)} is not a valid regular expression: ${problem}`,
          at,
        );
      if (spec.default !== undefined && !new RegExp(spec.pattern, 'u').test(spec.default))
        r.fail(
          `inputs: ${name}: default ${JSON.stringify(spec.default)} does not match pattern ${spec.pattern}`,
          at,
        );
    }
    inputs[name] = spec;
  }
  return inputs;
}
