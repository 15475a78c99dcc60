// What `--record DIR` gets for every way a run ends: the records of the steps as they went, or for a run
// refused (or stopped) before its first step, every step not run with the reason, so CI always has a
// junit.xml to upload. A records file that cannot be written is named with why; the exit code stays the
// steps' own when one failed or was interrupted, and is 2 (the runner could not do what was asked) when
// every step went well.
import path from 'node:path';
import { EXIT } from '../core/errors.ts';
import type { RunIO } from '../core/options.ts';
import type { RunReport, Step } from '../core/types.ts';
import { newRecord } from '../engine/run-record.ts';

export interface RecordsTarget {
  dir: string;
  text: string;
  steps: Step[];
  redact: (s: string) => string;
}

/** Writes the records; returns what could not be written, as `FILE: reason` (none when all were). */
async function write(target: RecordsTarget, report: RunReport, io: RunIO): Promise<string[]> {
  const { writeRecords } = await import('../records/write.ts');
  const failed = await writeRecords(target.dir, report, target.text, target.steps, target.redact);
  if (failed.length === 0) io.stderr.write(`runbook: records written to ${target.dir}\n`);
  return failed;
}

/** The records of a run refused before step 1 (`steps` empty when the runbook could not be read). */
export async function writeRefusedRecords(
  target: RecordsTarget,
  runbookPath: string,
  startedAt: string,
  exitCode: number,
  reason: string,
  io: RunIO,
): Promise<void> {
  const steps = newRecord(runbookPath, target.steps, { vars: {}, unset: [], functions: '', cwd: '/' }).steps;
  const report = {
    runbookPath,
    startedAt,
    endedAt: new Date().toISOString(),
    exitCode,
    steps,
    error: reason,
  };
  const failed = await write(target, report, io);
  if (failed.length) io.stderr.write(`runbook: cannot write the records: ${failed.join('; ')}\n`);
}

/** How the steps went, in a few words, for a message about a failure that is not theirs. */
export function stepsOutcome(report: RunReport, total: number): string {
  const failed = report.steps.find((s) => s.status === 'failed' || s.status === 'interrupted');
  if (failed) return `step ${failed.index} ${failed.name} ${failed.status}`;
  if (report.exitCode === EXIT.ok) return 'all done';
  return `exit code ${report.exitCode} after ${total} step${total === 1 ? '' : 's'}`;
}

/**
 * Writes the records of a run that ran; `recordError` is the run record's own failure, if any. Returns
 * the exit code: the steps' own, or 2 when they went well but something could not be written.
 */
export async function finishRecords(
  target: RecordsTarget | undefined,
  report: RunReport,
  recordError: Error | undefined,
  io: RunIO,
): Promise<number> {
  const problems: string[] = [];
  if (recordError) problems.push(`${recordError.message}; --resume cannot continue this run`);
  if (target) {
    const failed = await write(target, report, io);
    if (failed.length) problems.push(`cannot write the records: ${failed.join('; ')}`);
  }
  if (problems.length === 0) return report.exitCode;
  const outcome = stepsOutcome(report, report.steps.length);
  for (const p of problems) io.stderr.write(`runbook: ${p} (the steps: ${outcome})\n`);
  return report.exitCode === EXIT.ok ? EXIT.usage : report.exitCode;
}

/** Where --record writes, as an absolute path. */
export function recordsDir(option: string): string {
  return path.resolve(option);
}
