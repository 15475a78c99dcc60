// `--yes`: every selected step in order, stopping at the first failure, as in CI.
import { EXIT } from '../core/errors.ts';
import type { RunIO } from '../core/options.ts';
import type { Selection } from '../core/select.ts';
import { colorEnabled, painter } from '../core/style.ts';
import type { StepOutcome } from '../core/types.ts';
import type { Engine } from '../engine/engine.ts';
import { isFlagSet } from '../markdown/attributes.ts';
import { type Stop, stopExit, trapSignals } from '../os/signals.ts';
import { backgroundLines, backgroundNotice, failureSummary, header, statusLine } from '../ui/status.ts';

export async function runUnattended(engine: Engine, selection: Selection, io: RunIO): Promise<number> {
  const paint = painter(colorEnabled(io.stderr, io.env));
  const total = engine.steps.length;
  let signalled: Stop | undefined;
  const untrap = trapSignals((sig) => {
    if (signalled) return;
    signalled = sig;
    // A closed output is no news to the person who closed it; a signal is.
    if (sig !== 'EPIPE') io.stderr.write(`\nrunbook: ${sig} received, ending the running step\n`);
    engine.interrupt();
  });
  const why = () => (signalled === 'EPIPE' ? 'output closed; ' : '');
  // What is said after a step goes out with the next step's header, in one write: each write to a pipe
  // wakes whoever reads it, and both come at the same moment anyway.
  let said = '';
  const say = (text: string) => {
    io.stderr.write(said + text);
    said = '';
  };
  // A background step that ends on its own is said at once, between whatever else is said.
  engine.background.onNotice = (notice) => say(backgroundNotice(notice, paint));
  const bg = engine.background;
  try {
    const steps = selection.selected;
    engine.runsInOrder(steps);
    for (const step of steps) {
      if (signalled) break;
      say(header(step, total, paint) + backgroundLines(bg.running(), bg.takeNotices(), paint));
      const onRetry = (attempt: number, _outcome: StepOutcome, why: string) =>
        say(engine.lineBreak() + paint('yellow', `↻ ${step.name} failed (${why}), retry ${attempt}\n`));
      const run = await engine.run(step, step.code, onRetry);
      said += engine.lineBreak();
      for (const note of run.notes) said += paint('dim', `■ ${note}\n`);
      for (const w of run.warnings) said += paint('yellow', `runbook: warning: ${step.name}: ${w}\n`);
      said += statusLine(run, paint);
      if (run.result.status === 'interrupted') {
        say(`runbook: ${why()}stopped at step ${step.index} ${step.name}; run again with --resume\n`);
        return signalled ? stopExit(signalled) : EXIT.interrupted;
      }
      if (run.result.status === 'failed') {
        if (isFlagSet(step, 'continue-on-error')) {
          // What went wrong still shows in the log: the last lines, or the diff of its output.
          said += failureSummary(run, total, paint);
          said += paint('yellow', `runbook: ${step.name} failed; continuing (continue-on-error)\n`);
          continue;
        }
        say(failureSummary(run, total, paint));
        say(`runbook: fix the cause, then run again with --resume to retry from this step\n`);
        return EXIT.stepFailed;
      }
    }
    if (signalled) {
      say(`runbook: ${why()}stopped between steps; run again with --resume\n`);
      return stopExit(signalled);
    }
    const failedSoftly = selection.selected.some((s) => engine.result(s).status === 'failed');
    say(
      failedSoftly
        ? paint('yellow', 'runbook: finished; some steps failed but were allowed to (continue-on-error)\n')
        : paint('green', `runbook: ${allDone(selection.selected.length)}\n`),
    );
    return EXIT.ok;
  } finally {
    untrap();
  }
}

/** `1 step done`, `all 3 steps done`. */
export function allDone(count: number): string {
  return count === 1 ? '1 step done' : `all ${count} steps done`;
}
