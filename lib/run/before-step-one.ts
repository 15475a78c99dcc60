// What a run checks once it knows where it starts, before its first step: the variables the selected
// steps read that nothing sets (the run refused under --yes, each asked for later otherwise), once the
// values --resume must make again are planned; and the front matter's `requires:` (preflight).
import { findMissing, formatMissing, formatUncertain, type NeedsReport } from '../analysis/needs.ts';
import { EXIT } from '../core/errors.ts';
import { declaredSecrets } from '../core/secrets.ts';
import type { RecoveryPlan } from './recover.ts';
import type { Known } from './refused.ts';
import type { RunStart } from './run-basics.ts';
import type { StartingPoint } from './starting-point.ts';

export interface Checked {
  needs: NeedsReport;
  /** Under --resume: the steps that run again first to make values the record does not hold. */
  plan?: RecoveryPlan;
}

export interface Checking extends Omit<RunStart, 'file'> {
  known: Known;
}

/** What the checks found, or the exit code of a run they stop (its reason in `known.refusal`). */
export async function checkBeforeStepOne(c: Checking, start: StartingPoint): Promise<Checked | number> {
  const { place, options, io, runbook, baseDir, interactive, paint, known } = c;
  const { record, selection, withheld } = start;
  const fm = runbook.frontMatter;
  const declared = Object.keys(fm.inputs ?? {});
  const plan = withheld.length
    ? await (await import('./resume-withheld.ts')).recoveryPlan(
        withheld,
        record,
        runbook,
        selection,
        place,
        io,
      )
    : undefined;
  const before = plan?.remake.map((r) => r.step);
  const needs = await findMissing(runbook.steps, selection, record.context, io.env, place, {
    declared,
    before,
  });
  if (needs.missing.length) {
    if (!interactive && !options.dryRun && !options.serve) {
      known.refusal = formatMissing(needs);
      io.stderr.write(`runbook: ${known.refusal}\n`);
      return EXIT.usage;
    }
    // Interactively (and on the page) each is asked for just before the step that needs it.
    io.stderr.write(paint('yellow', `runbook: note: ${formatMissing(needs)}\n`));
  }
  if (needs.uncertain.length && !options.dryRun) {
    io.stderr.write(paint('yellow', `runbook: warning: ${formatUncertain(needs.uncertain)}\n`));
  }

  if (options.preflight && !options.dryRun) {
    const { preflight } = await import('./preflight-report.ts');
    const code = await preflight(fm.requires, {
      interactive,
      io,
      cwd: baseDir,
      paint,
      served: !!options.serve,
      secrets: declaredSecrets(fm),
      // Under --record, a refusal's records say why.
      refused: (reason) => {
        known.refusal = reason;
      },
    });
    if (code !== undefined) return code;
  }
  return { needs, plan };
}
