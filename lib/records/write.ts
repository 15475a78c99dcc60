// `--record DIR`: what a run leaves behind for people and CI: run.json, junit.xml, transcript.md.
// Every value, output tail and message goes through `redact` first; the files are private to the user.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BackgroundState, OutputCheck, RunReport, Step, StepResult } from '../core/types.ts';
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
  steps: StepRecord[];
}

export function runJson(report: RunReport, redact: (s: string) => string): RunJson {
  return {
    runbook: report.runbookPath,
    startedAt: report.startedAt,
    endedAt: report.endedAt,
    exitCode: report.exitCode,
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

/** Writes DIR/run.json, DIR/junit.xml and DIR/transcript.md (mode 0600), creating DIR as needed. */
export async function writeRecords(
  dir: string,
  report: RunReport,
  runbookText: string,
  steps: Step[],
  redact: (s: string) => string,
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writePrivate(path.join(dir, 'run.json'), `${JSON.stringify(runJson(report, redact), null, 2)}\n`);
  await writePrivate(path.join(dir, 'junit.xml'), junitXml(report, redact));
  await writePrivate(path.join(dir, 'transcript.md'), transcriptMarkdown(report, runbookText, steps, redact));
}
