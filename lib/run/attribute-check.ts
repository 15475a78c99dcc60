// Step attributes and rules across steps, before a run starts: values the runner cannot use stop it (one
// line each, naming the runbook's line), attributes it does not know are warned about.
import { InputError } from '../core/errors.ts';
import type { RunIO } from '../core/options.ts';
import type { painter } from '../core/style.ts';
import type { Runbook } from '../core/types.ts';
import { stepRuleProblems } from '../engine/step-rules.ts';
import { attributeProblems } from '../markdown/attributes-known.ts';

/** Attribute values and step rules the runner cannot use, one line each (the run cannot start). */
export function invalidAttributes(runbook: Runbook, file: string, warn?: (line: string) => void): string[] {
  const invalid: string[] = [];
  for (const step of runbook.steps) {
    for (const p of attributeProblems(step.attributes, step.unreadable)) {
      const where = `${file}:${step.line}: step ${step.name}`;
      if (p.error) invalid.push(`${where}: ${p.message}`);
      else warn?.(`${where}: ${p.message}`);
    }
  }
  for (const p of stepRuleProblems(runbook.steps)) {
    const where = `${file}:${p.line}: step ${p.step.name}`;
    if (p.severity === 'error') invalid.push(`${where}: ${p.message}`);
    else warn?.(`${where}: ${p.message}`);
  }
  return invalid;
}

/** Unknown attributes are warned about; values the runner cannot use stop the run before it starts. */
export function checkAttributes(
  runbook: Runbook,
  file: string,
  io: RunIO,
  paint: ReturnType<typeof painter>,
): void {
  const warn = (line: string) => io.stderr.write(paint('yellow', `runbook: warning: ${line}\n`));
  const invalid = invalidAttributes(runbook, file, warn);
  if (invalid.length) throw new InputError(invalid.join('\nrunbook: '));
}
