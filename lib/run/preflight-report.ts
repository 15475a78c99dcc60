// What preflight found, said before step 1: unmet requirements stop the run (exit 2 under --yes, a
// question at a terminal), warnings (`warn: true`) are printed and the run goes on. Each with its fix.

import { emptyContext } from '../core/context.ts';
import { EXIT } from '../core/errors.ts';
import type { RunIO } from '../core/options.ts';
import { makeSecretTest, redactorFor, secretValues } from '../core/secrets.ts';
import type { painter } from '../core/style.ts';
import type { Requirement } from '../core/types.ts';
import { checkRequirements, type PreflightProblem } from './preflight.ts';

/** A multi-line report of every unmet requirement with how to fix it; empty when there are none. */
export function formatProblems(problems: PreflightProblem[]): string {
  if (problems.length === 0) return '';
  const count = problems.length === 1 ? '1 requirement is' : `${problems.length} requirements are`;
  const lines = [`${count} not met:`];
  for (const { name, reason, hint } of problems) {
    lines.push(`  - ${name}: ${reason}`, `    how to fix: ${hint}`);
  }
  return `${lines.join('\n')}\n`;
}

/** One `runbook: warning:` line per warning, its fix below it; empty when there are none. */
export function formatWarnings(warnings: PreflightProblem[]): string {
  return warnings
    .map(({ name, reason, hint }) => `runbook: warning: ${name}: ${reason}\n    how to fix: ${hint}\n`)
    .join('');
}

/** Checks front matter `requires:`; returns an exit code when the run must not go on. */
export async function preflight(
  requires: Requirement[] | undefined,
  {
    interactive,
    io,
    cwd,
    paint,
    served = false,
    refused,
    secrets,
  }: {
    interactive: boolean;
    io: RunIO;
    cwd: string;
    paint: ReturnType<typeof painter>;
    /** `runbook serve`: said, and the page is served anyway (a step that needs what is missing fails there). */
    served?: boolean;
    /** Told why, when the run must not go on. */
    refused?: (reason: string) => void;
    /** Names the front matter declares secret, besides those that look it. */
    secrets?: string[];
  },
): Promise<number | undefined> {
  if (!requires?.length) return undefined;
  // A check runs with the run's environment: what it prints may hold a token, hidden as a step's output is.
  const redact = redactorFor(secretValues(emptyContext(cwd), makeSecretTest(secrets), io.env));
  const found = (await checkRequirements(requires, { env: io.env, cwd })).map((problem) => ({
    ...problem,
    reason: redact(problem.reason),
  }));
  const warnings = found.filter((problem) => problem.warn);
  const unmet = found.filter((problem) => !problem.warn);
  if (warnings.length > 0) io.stderr.write(paint('yellow', formatWarnings(warnings)));
  if (unmet.length === 0) return undefined;
  io.stderr.write(`runbook: ${formatProblems(unmet)}\n`);
  if (served) return undefined;
  const refuse = () => {
    refused?.(formatProblems(unmet));
    return EXIT.usage;
  };
  if (!interactive) return refuse();
  const { confirmContinue } = await import('../ui/prompts.ts');
  const question = unmet.length === 1 ? 'A requirement is not met.' : 'Some requirements are not met.';
  return (await confirmContinue(`${question} Continue anyway?`, io)) ? undefined : refuse();
}
