// --resume after a run that had background steps running: they ended with that run, and the steps after
// them expect them. Each one that was running when the run stopped (not stopped by stop=, not ended on its
// own) is started again, with the resumed context, before the run goes on.
import { EXIT } from '../core/errors.ts';
import type { RunIO } from '../core/options.ts';
import type { Paint } from '../core/style.ts';
import type { Step } from '../core/types.ts';
import type { Engine } from '../engine/engine.ts';
import { isBackground } from '../markdown/step-options.ts';
import { trapSignals } from '../os/signals.ts';
import { failureSummary } from '../ui/status.ts';

/** The background steps before `from` whose record says they ran until the run ended. */
export function backgroundToRestart(engine: Engine, steps: Step[], from: number): Step[] {
  return steps.filter((step) => {
    if (step.index >= from || !isBackground(step)) return false;
    const result = engine.result(step);
    const state = result.background?.state;
    return result.status === 'done' && (state === 'running' || state === 'ended');
  });
}

/** Starts them again; an exit code when one cannot be started (the run must not go on). */
export async function restartBackground(
  engine: Engine,
  steps: Step[],
  io: RunIO,
  paint: Paint,
): Promise<number | undefined> {
  let interrupted = false;
  const untrap = trapSignals(() => {
    interrupted = true;
    engine.interrupt();
  });
  try {
    for (const step of steps) {
      io.stderr.write(
        `runbook: starting background step ${step.name} again (it ran until the last run stopped)\n`,
      );
      const run = await engine.run(step);
      if (interrupted || run.result.status === 'interrupted') return EXIT.interrupted;
      if (run.result.status !== 'done') {
        io.stderr.write(failureSummary(run, engine.steps.length, paint));
        return EXIT.stepFailed;
      }
    }
    return undefined;
  } finally {
    untrap();
  }
}
