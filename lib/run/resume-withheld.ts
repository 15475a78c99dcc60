// --resume and the values the record does not hold: says what it does about them (the rule is recover.ts's)
// and runs again the steps that made them, keeping only those values.
import { analyzeAll } from '../analysis/needs.ts';
import { EXIT } from '../core/errors.ts';
import type { RunIO } from '../core/options.ts';
import type { Selection } from '../core/select.ts';
import type { Runbook, Step } from '../core/types.ts';
import type { Engine } from '../engine/engine.ts';
import type { RunRecord } from '../engine/run-record.ts';
import type { RunbookPlace } from '../os/state-dir.ts';
import { keepOnly, planRecovery, type RecoveryPlan, type Remake } from './recover.ts';

/** Sets what a step needs that nothing has set before it runs; false when the person stopped instead. */
export type Provide = (step: Step) => Promise<boolean>;

/** Says what --resume does about values the record does not hold (see recover.ts for the rule). */
export async function recoveryPlan(
  withheld: string[],
  record: RunRecord,
  runbook: Runbook,
  selection: Selection,
  place: RunbookPlace,
  io: RunIO,
): Promise<RecoveryPlan> {
  const analyses = await analyzeAll(runbook.steps, place);
  const plan = planRecovery(withheld, record.steps, runbook.steps, selection, analyses);
  for (const { step, names } of plan.remake) {
    io.stderr.write(
      `runbook: note: ${names.join(', ')} ${names.length === 1 ? 'was' : 'were'} not saved with the run (${names.length === 1 ? 'it holds' : 'they hold'} a secret); step ${step.index} ${step.name} runs again first to make ${names.length === 1 ? 'it' : 'them'}\n`,
    );
  }
  for (const name of plan.given) {
    io.stderr.write(`runbook: note: secret ${name} was not saved with the run; it must be provided again\n`);
  }
  return plan;
}

/**
 * Runs again the steps that made withheld values, keeping only those values; an exit code if one fails.
 * `provide` gets what a step needs that nothing has set, just before it runs (the walkthrough asks); false
 * when the person stopped instead.
 */
export async function remakeWithheld(
  engine: Engine,
  remake: Remake[],
  io: RunIO,
  provide?: Provide,
): Promise<number | undefined> {
  for (const { step, names } of remake) {
    if (provide && !(await provide(step))) return EXIT.interrupted;
    const before = engine.context;
    io.stderr.write(`runbook: running step ${step.index} ${step.name} again to make ${names.join(', ')}\n`);
    const run = await engine.run(step);
    if (run.result.status !== 'done') {
      io.stderr.write(
        `runbook: step ${step.index} ${step.name} ${run.result.status} (${run.result.message ?? `exit code ${run.result.exitCode}`}), so ${names.join(', ')} could not be made again; fix the cause, then run again with --resume\n`,
      );
      return run.result.status === 'interrupted' ? EXIT.interrupted : EXIT.stepFailed;
    }
    engine.setContext(keepOnly(before, engine.context, names));
  }
  return undefined;
}
