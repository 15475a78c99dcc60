// How a walk ends: quitting part-way (the record saved, the line saying where --resume continues, 1 or
// 130 by whether a step's failure was left standing) or finishing at the end (0 only when every step
// walked ran or was skipped, as an unattended run).
import path from 'node:path';
import type { Writable } from 'node:stream';
import { outro } from '@clack/prompts';
import { EXIT } from '../core/errors.ts';
import type { Engine } from '../engine/engine.ts';
import type { Notebook } from '../engine/notebook.ts';
import { resumePoint } from '../engine/run-record.ts';
import { isFlagSet } from '../markdown/attributes.ts';
import { allowedToFail, summaryTable, tally } from './view.ts';
import type { WalkScreen } from './walk-screen.ts';

/** 1 when a step's last run failed (and was not allowed to), else 130: quitting part-way. */
export function quitCode(book: Notebook): number {
  const failed = book
    .cells()
    .some((c) => c.status === 'failed' && book.inWalk(c.step) && !isFlagSet(c.step, 'continue-on-error'));
  return failed ? EXIT.stepFailed : EXIT.interrupted;
}

/** Quitting: the record is saved (every change already was), and says where --resume will continue. */
export function stopWalk(
  book: Notebook,
  engine: Engine,
  screen: WalkScreen,
  stderr: Writable,
  exitCode: number,
): number {
  engine.save();
  const total = book.steps.length;
  const touched = engine.record.steps.filter((r) => r.status !== 'pending');
  const step = book.current ?? book.steps.find((s) => engine.result(s).status !== 'done');
  const where = step ? `stopped at step ${step.index} ${step.name}` : 'stopped';
  // Where --resume picks up: the first step not done or skipped, which may not be where the walk is.
  const { from } = resumePoint(engine.record, book.steps);
  const next = book.steps[from - 1];
  const resumes = next && next !== step ? `; --resume continues at step ${next.index} ${next.name}` : '';
  const line = `runbook: ${where}${resumes}; continue with: runbook --resume ${relativeFile(engine)}\n`;
  // The reader of stdout went away (`| head`): the one line that is left to say goes to stderr.
  if (screen.closed) {
    stderr.write(line.replace('runbook: ', 'runbook: output closed; '));
    return exitCode;
  }
  if (touched.length) screen.write(`\n${summaryTable(touched, total, screen.paint)}`);
  screen.write(line);
  return exitCode;
}

/** Finishing at the end: 0 when every step walked ran or was skipped, as an unattended run. */
export function finishWalk(book: Notebook, engine: Engine, screen: WalkScreen): number {
  const walked = book.steps.filter((s) => book.inWalk(s));
  const results = walked.map((s) => engine.result(s));
  outro(`Finished: ${tally(results, allowedToFail(walked))}`, { output: screen.output });
  const failed = walked.filter(
    (s) => engine.result(s).status === 'failed' && !isFlagSet(s, 'continue-on-error'),
  );
  if (failed.length) return EXIT.stepFailed;
  const open = walked.filter((s) => !['done', 'skipped', 'failed'].includes(engine.result(s).status));
  if (open.length === 0) return EXIT.ok;
  const names = open.map((s) => `${s.index} ${s.name}`).join(', ');
  screen.write(`runbook: not run: ${names}; continue with: runbook --resume ${relativeFile(engine)}\n`);
  return EXIT.interrupted;
}

function relativeFile(engine: Engine): string {
  return path.relative(process.cwd(), engine.record.runbook) || engine.record.runbook;
}
