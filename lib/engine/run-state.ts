// What a run holds between its steps: each step's entry in the run record, the carried context and what
// of it is secret. Every change is saved as it happens, secret values left out of the file; a record that
// cannot be written is told once and the run goes on. The engine (engine.ts) runs steps on top of it.
import path from 'node:path';
import type { Context, RunReport, Step, StepResult } from '../core/types.ts';
import { placeOf, type RunbookPlace } from '../os/state-dir.ts';
import { RecordWriter } from './record-writer.ts';
import { newRecord, type RunRecord, recordPath } from './run-record.ts';
import { RunSecrets } from './run-secrets.ts';

export interface RunStateOptions {
  file: string;
  /** Where the runbook's record is kept (default: where the file `file` belongs). */
  place?: RunbookPlace;
  /** Told once when the record could not be written: the run goes on, --resume will not find it. */
  onRecordError?: (err: Error) => void;
  steps: Step[];
  record: RunRecord;
  env: NodeJS.ProcessEnv;
  /** Front matter `secrets:`; with secret-looking names, their values never reach the record. */
  secrets?: string[];
}

export class RunState {
  context: Context;
  readonly record: RunRecord;
  private readonly file: string;
  private readonly onRecordError?: (err: Error) => void;
  private readonly writer: RecordWriter;
  protected readonly secrets: RunSecrets;
  private stepList: Step[];

  constructor(opts: RunStateOptions) {
    this.file = opts.file;
    this.onRecordError = opts.onRecordError;
    this.stepList = opts.steps;
    this.record = opts.record;
    this.context = opts.record.context;
    const place = opts.place ?? placeOf(opts.file, '', { cwd: path.dirname(opts.file), env: opts.env });
    const secrets = new RunSecrets(opts.secrets, opts.env);
    this.secrets = secrets;
    this.writer = new RecordWriter(recordPath(place), undefined, (name) => secrets.withheld(name));
    this.writer.onError = (err) => this.recordFailed(err);
  }

  /** Hides secret values (carried or from the environment) in text the runner writes. */
  redact(text: string): string {
    return this.secrets.redact(this.context, text);
  }

  /** Secret by name (or front matter), or holding a secret value (derived: `AUTH="Bearer $TOKEN"`). */
  secret(name: string): boolean {
    return this.secrets.secret(this.context, name);
  }

  get steps(): Step[] {
    return this.stepList;
  }

  /**
   * Takes a new version of the runbook's steps (the file changed while it runs). `oldOf` says which old
   * step each new one is (by new index): it keeps that step's result, renumbered and renamed; a new step
   * starts not run, and a removed step's result is dropped.
   */
  replaceSteps(steps: Step[], oldOf: Map<number, Step>): void {
    const byName = new Map(this.record.steps.map((r) => [r.name, r]));
    const fresh = newRecord(this.file, steps, this.context).steps;
    this.record.steps = steps.map((step, i) => {
      const before = oldOf.get(step.index);
      const kept = before && byName.get(before.name);
      if (!kept) return fresh[i] as StepResult;
      kept.index = step.index;
      kept.name = step.name;
      return kept;
    });
    this.stepList = steps;
    this.save();
  }

  result(step: Step): StepResult {
    const r = this.record.steps.find((s) => s.name === step.name);
    if (!r) throw new Error(`no record entry for step ${step.name}`);
    return r;
  }

  skip(step: Step): void {
    const r = this.result(step);
    r.status = 'skipped';
    this.save();
  }

  /** Sets a variable in the carried context (an answer to a prompt, --set). */
  setContext(context: Context): void {
    this.context = context;
    this.save();
  }

  report(exitCode: number, startedAt: string): RunReport {
    return {
      runbookPath: this.file,
      startedAt,
      endedAt: new Date().toISOString(),
      exitCode,
      steps: this.record.steps,
    };
  }

  /** Waits until the newest save of the record is on disk (it fails here if it could not be written). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Why the record could not be written, once that happened (flush and close reject with it too). */
  recordError?: Error;

  /** The record on disk never holds a secret's value; resume asks for it again. */
  save(): void {
    const context = this.context;
    this.record.context = context;
    this.secrets.refresh(context);
    try {
      // The writer leaves secrets out (and lists them as withheld) as it makes the text.
      this.writer.save(() => ({ ...this.record, context }));
    } catch (err) {
      // A save after one failed: the steps go on, what they did is reported at the end.
      this.recordFailed(err as Error);
    }
  }

  private recordFailed(err: Error): void {
    if (this.recordError) return;
    this.recordError = err;
    this.onRecordError?.(err);
  }
}
