// `--record DIR`: what a run leaves behind for people and CI: run.json, junit.xml, transcript.md.
// Every value, output tail and message goes through `redact` first; the files are private to the user.
import { accessSync, constants, type Stats, statSync } from 'node:fs';
import path from 'node:path';
import { fsReason, InputError } from '../core/errors.ts';
import type { BackgroundState, OutputCheck, RunReport, Step, StepResult } from '../core/types.ts';
import { makeDirs } from '../os/make-dirs.ts';
import { replaceFile } from '../os/replace-file.ts';
import { junitXml } from './junit.ts';
import { plainOutput } from './output-text.ts';
import { transcriptMarkdown } from './transcript.ts';

export interface StepRecord {
  index: number;
  name: string;
  status: StepResult['status'];
  exitCode: number | null;
  durationMs: number;
  attempts: number;
  /** How many times it was run (in a walkthrough a step can be run again); 0 when never. */
  runs: number;
  /** Variables the step set, redacted; null for one it unset. */
  vars: Record<string, string | null>;
  outputTail: string;
  message?: string;
  /** The verdict on its output block: expect mode, matched, score (similar), diff (when it did not match). */
  output?: OutputCheck;
  /** A background step: its state when the run ended, and how it ended. */
  background?: BackgroundState;
}

/** What run.json holds. */
export interface RunJson {
  runbook: string;
  startedAt: string;
  endedAt: string;
  exitCode: number;
  /** Why the run was refused before its first step. */
  error?: string;
  steps: StepRecord[];
}

export function runJson(report: RunReport, redact: (s: string) => string): RunJson {
  return {
    runbook: report.runbookPath,
    startedAt: report.startedAt,
    endedAt: report.endedAt,
    exitCode: report.exitCode,
    ...(report.error === undefined ? {} : { error: redact(report.error) }),
    steps: report.steps.map((step) => {
      const vars: Record<string, string | null> = {};
      for (const name of step.setVars) {
        const value = step.setValues?.[name];
        vars[name] = value === undefined ? null : redact(value);
      }
      return {
        index: step.index,
        name: step.name,
        status: step.status,
        exitCode: step.exitCode,
        durationMs: Math.round(step.durationMs),
        attempts: step.attempts,
        runs: step.runs ?? (step.attempts > 0 ? 1 : 0),
        vars,
        outputTail: redact(plainOutput(step.tail)),
        ...(step.message === undefined ? {} : { message: redact(step.message) }),
        ...(step.output
          ? { output: { ...step.output, ...(step.output.diff ? { diff: redact(step.output.diff) } : {}) } }
          : {}),
        ...(step.background ? { background: step.background } : {}),
      };
    }),
  };
}

async function writePrivate(file: string, text: string): Promise<void> {
  // A new file of mode 0600 renamed over any older one: the text is never in a file others can read.
  await replaceFile(file, text, 0o600);
}

const FILES = ['run.json', 'junit.xml', 'transcript.md'] as const;

/**
 * Checks, before anything runs, that DIR can take the records (made 0700 if missing): an InputError
 * saying why not otherwise.
 */
export function prepareRecordDir(dir: string): void {
  try {
    makeDirs(dir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'ENOTDIR') throw new InputError(`--record ${dir}: ${fsReason(err)}`);
    const at = e.path ?? dir;
    throw new InputError(
      at === dir ? `--record ${dir} is not a directory` : `--record ${dir}: ${at} is not a directory`,
    );
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new InputError(`--record ${dir} is not writable (${fsReason(err)})`);
  }
  for (const name of FILES) {
    const file = path.join(dir, name);
    const why = unwritable(file);
    if (why) throw new InputError(`--record: cannot write ${file}: ${why}`);
  }
}

/** Why an existing `file` cannot be written over; undefined when it can, or does not exist yet. */
function unwritable(file: string): string | undefined {
  let st: Stats;
  try {
    st = statSync(file);
  } catch {
    return undefined;
  }
  if (st.isDirectory()) return 'it is a directory';
  try {
    accessSync(file, constants.W_OK);
    return undefined;
  } catch (err) {
    return fsReason(err);
  }
}

/**
 * Writes DIR/run.json, DIR/junit.xml and DIR/transcript.md (mode 0600), creating DIR as needed. Each is
 * tried; what could not be written is returned as `FILE: reason` lines (none when all were).
 */
export async function writeRecords(
  dir: string,
  report: RunReport,
  runbookText: string,
  steps: Step[],
  redact: (s: string) => string,
): Promise<string[]> {
  try {
    makeDirs(dir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return [e.code === 'ENOTDIR' ? `${e.path ?? dir} is not a directory` : `${dir}: ${fsReason(err)}`];
  }
  const texts: Record<(typeof FILES)[number], () => string> = {
    'run.json': () => `${JSON.stringify(runJson(report, redact), null, 2)}\n`,
    'junit.xml': () => junitXml(report, redact),
    'transcript.md': () => transcriptMarkdown(report, runbookText, steps, redact),
  };
  const failed: string[] = [];
  for (const name of FILES) {
    const file = path.join(dir, name);
    try {
      await writePrivate(file, texts[name]());
    } catch (err) {
      failed.push(`${file}: ${fsReason(err)}`);
    }
  }
  return failed;
}
