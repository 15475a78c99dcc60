// A run refused before its first step: what is known of it as it starts, so that its --record files can
// still be written, and a stop (a signal, a closed output) that came while it started, acted on at its
// next step and recorded as the reason.
import type { RunIO } from '../core/options.ts';
import type { Runbook } from '../core/types.ts';
import { stopExit, stopped } from '../os/signals.ts';
import type { RunbookPlace } from '../os/state-dir.ts';
import { writeRefusedRecords } from './run-records.ts';

/** What is known of a run as it starts, for the records of one refused before its first step. */
export interface Known {
  startedAt: string;
  records?: string;
  text?: string;
  runbook?: Runbook;
  place?: RunbookPlace;
  /** Why it did not go on, when it returned rather than threw. */
  refusal?: string;
}

export async function refusedRecords(known: Known, file: string, code: number, reason: string, io: RunIO) {
  if (!known.records) return;
  const target = {
    dir: known.records,
    text: known.text ?? '',
    steps: known.runbook?.steps ?? [],
    redact: (s: string) => s,
  };
  await writeRefusedRecords(target, known.place?.file ?? file, known.startedAt, code, reason, io);
}

/** A stop that came while the run was starting: the exit code to stop with, recorded as the reason. */
export function stopCheck(known: Known): number | undefined {
  const stop = stopped();
  if (!stop) return undefined;
  known.refusal = stop === 'EPIPE' ? 'output closed before step 1' : `${stop} before step 1`;
  return stopExit(stop);
}
