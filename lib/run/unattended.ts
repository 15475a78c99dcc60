// `--yes`: every selected step in order, stopping at the first failure, as in CI.
import type { Engine, StepRun } from '../engine/engine.ts';
import { EXIT } from '../core/errors.ts';
import type { RunIO } from './run.ts';
import type { Selection } from '../core/select.ts';
import type { ShellOutcome } from '../shell/session.ts';
import { colorEnabled, formatDuration, type Paint, painter } from '../core/style.ts';
import { lastLines } from '../os/tail.ts';
import type { Step } from '../core/types.ts';

export const TAIL_LINES = 20;

/** A bare flag, or `flag=true`; `flag=false` turns it off. */
export function isFlagSet(step: Step, name: string): boolean {
  const v = step.attributes[name];
  return v === true || v === 'true';
}

/** Catches SIGINT/SIGTERM/SIGHUP for the life of a run; the first one ends the running step. */
export function trapSignals(onSignal: (sig: NodeJS.Signals) => void): () => void {
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of sigs) process.on(s, onSignal);
  return () => {
    for (const s of sigs) process.off(s, onSignal);
  };
}

export function header(step: Step, total: number, paint: Paint): string {
  return `${paint('cyan', '▶')} ${paint('bold', `Step ${step.index}/${total} · ${step.name}`)}\n`;
}

export function statusLine(run: StepRun, paint: Paint): string {
  const { result } = run;
  const took = formatDuration(result.durationMs);
  if (result.status === 'done') return `${paint('green', '✔')} ${result.name} done in ${took}\n`;
  if (result.status === 'interrupted')
    return `${paint('yellow', '■')} ${result.name} interrupted after ${took}\n`;
  const why = result.message?.startsWith('timed out') ? result.message : `exit code ${result.exitCode}`;
  return `${paint('red', '✖')} ${result.name} failed (${why}) after ${took}\n`;
}

export function failureSummary(run: StepRun, total: number, paint: Paint): string {
  const { result } = run;
  // The record's tail, already redacted: the runner's own lines never repeat a secret.
  const tail = lastLines(result.tail, TAIL_LINES);
  const lines = [
    paint(
      'red',
      `Step ${result.index}/${total} ${result.name} failed: ${result.message ?? `exit code ${result.exitCode}`}`,
    ),
  ];
  if (tail.trim()) {
    lines.push(`Last lines of its output:`);
    for (const l of tail.split('\n')) lines.push(`  ${paint('dim', '│')} ${l}`);
  } else lines.push('It printed nothing.');
  return `${lines.join('\n')}\n`;
}

export async function runUnattended(engine: Engine, selection: Selection, io: RunIO): Promise<number> {
  const paint = painter(colorEnabled(io.stderr, io.env));
  const total = engine.steps.length;
  let signalled: NodeJS.Signals | undefined;
  const untrap = trapSignals((sig) => {
    if (signalled) return;
    signalled = sig;
    io.stderr.write(`\nrunbook: ${sig} received, ending the running step\n`);
    engine.interrupt();
  });
  // What is said after a step goes out with the next step's header, in one write: each write to a pipe
  // wakes whoever reads it, and both come at the same moment anyway.
  let said = '';
  const say = (text: string) => {
    io.stderr.write(said + text);
    said = '';
  };
  try {
    const steps = selection.selected;
    for (const [i, step] of steps.entries()) {
      if (signalled) break;
      say(header(step, total, paint));
      const onRetry = (attempt: number, outcome: ShellOutcome) =>
        say(
          paint(
            'yellow',
            `↻ ${step.name} failed (exit ${outcome.exitCode ?? outcome.signal}), retry ${attempt}\n`,
          ),
        );
      const run = await engine.run(step, step.code, onRetry, steps[i + 1]);
      for (const w of run.warnings) said += paint('yellow', `runbook: warning: ${step.name}: ${w}\n`);
      said += statusLine(run, paint);
      if (run.result.status === 'interrupted') {
        say(`runbook: stopped at step ${step.index} ${step.name}; run again with --resume\n`);
        return EXIT.interrupted;
      }
      if (run.result.status === 'failed') {
        if (isFlagSet(step, 'continue-on-error')) {
          said += paint('yellow', `runbook: ${step.name} failed; continuing (continue-on-error)\n`);
          continue;
        }
        say(failureSummary(run, total, paint));
        say(`runbook: fix the cause, then run again with --resume to retry from this step\n`);
        return EXIT.stepFailed;
      }
    }
    if (signalled) {
      say('runbook: stopped between steps; run again with --resume\n');
      return EXIT.interrupted;
    }
    const failedSoftly = selection.selected.some((s) => engine.result(s).status === 'failed');
    say(
      failedSoftly
        ? paint('yellow', 'runbook: finished; some steps failed but were allowed to (continue-on-error)\n')
        : paint('green', `runbook: all ${selection.selected.length} steps done\n`),
    );
    return EXIT.ok;
  } finally {
    untrap();
  }
}
