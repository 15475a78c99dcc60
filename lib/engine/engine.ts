// The step state machine, without any rendering: runs one step at a time with the carried context, keeps
// the run record current on disk, and reports what happened. The --yes driver and the interactive
// walkthrough both drive it; neither knows how a step runs.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { VariableAnalysis } from '../analysis/variables.ts';
import { changedNames, withValue } from '../core/context.ts';
import { InputError, RunnerError } from '../core/errors.ts';
import type {
  Context,
  OutputCheck,
  RunReport,
  Step,
  StepIO,
  StepOutcome,
  StepResult,
} from '../core/types.ts';
import { expectationOf } from '../markdown/expectation.ts';
import { captureName, isBackground, stopNames } from '../markdown/step-options.ts';
import type { LineEnds } from '../os/line-ends.ts';
import { placeOf, type RunbookPlace } from '../os/state-dir.ts';
import type { StreamTap, Tapped } from '../os/stream-tap.ts';
import { DEFAULT_SHELL, type ShellSession } from '../shell/session.ts';
import { type BackgroundOutcome, BackgroundSteps } from './background.ts';
import { codeHash, newRecord, RecordWriter, type RunRecord, recordPath } from './run-record.ts';
import { RunSecrets } from './run-secrets.ts';
import { capturedValue, checkPrinted } from './step-output.ts';
import { checksOutput, observesOutput } from './step-rules.ts';
import { verdictOf } from './step-verdict.ts';

export interface EngineOptions {
  file: string;
  /** Where the runbook's record is kept (default: where the file `file` belongs). */
  place?: RunbookPlace;
  /** Told once when the record could not be written: the run goes on, --resume will not find it. */
  onRecordError?: (err: Error) => void;
  steps: Step[];
  record: RunRecord;
  env: NodeJS.ProcessEnv;
  /** Base directory steps start in (runbook dir + front matter cwd). */
  baseDir: string;
  io: StepIO;
  /** Front matter `secrets:`; with secret-looking names, their values never reach the record. */
  secrets?: string[];
  /** Pause between retries (the retries= attribute). */
  retryDelayMs?: number;
  /** The step shell (started early by the caller, so bash starts while the runner does). */
  session: ShellSession;
  /** io.stdout when it can keep a copy: needed for output blocks and capture=. */
  tap?: StreamTap;
  /** The interpreter line background steps start with (the step server's). */
  shellLine?: string;
  /** Each step's analysis by index: what a shell step can change, so that only that is read back. */
  analyses?: Map<number, VariableAnalysis>;
  /** Where the steps' output left the cursor (the caller's io.saw feeds it). */
  lines?: LineEnds;
}

export interface StepRun {
  result: StepResult;
  /** What the runner did around the step (background steps it stopped). */
  notes: string[];
  outcome: StepOutcome;
  /** Warnings for the person (context not carried, retries, ...). */
  warnings: string[];
}

export class Engine {
  context: Context;
  readonly record: RunRecord;
  private current?: AbortController;
  /** The step each step is followed by, for a caller that runs steps in order (runsInOrder). */
  private following?: Map<number, Step>;
  private readonly writer: RecordWriter;
  private readonly session: ShellSession;
  private readonly secrets: RunSecrets;
  /** The background steps that run now, and those that ended on their own. */
  readonly background: BackgroundSteps;
  private stepList: Step[];
  /** The analyses the run started with, by the step they were made for, and by code. */
  private readonly analysed = new Map<number, { step: Step; analysis: VariableAnalysis }>();
  private readonly byCode = new Map<string, VariableAnalysis>();

  constructor(private readonly opts: EngineOptions) {
    this.stepList = opts.steps;
    for (const step of opts.steps) {
      const analysis = opts.analyses?.get(step.index);
      if (!analysis) continue;
      this.analysed.set(step.index, { step, analysis });
      this.byCode.set(`${step.kind}\0${step.code}`, analysis);
    }
    this.record = opts.record;
    this.context = opts.record.context;
    const place = opts.place ?? placeOf(opts.file, '', { cwd: path.dirname(opts.file), env: opts.env });
    const secrets = new RunSecrets(opts.secrets, opts.env);
    this.secrets = secrets;
    this.writer = new RecordWriter(recordPath(place), undefined, (name) => secrets.withheld(name));
    this.writer.onError = (err) => this.recordFailed(err);
    this.session = opts.session;
    this.background = new BackgroundSteps({
      shellLine: opts.shellLine ?? DEFAULT_SHELL,
      env: opts.env,
      scratch: () => this.session.dir,
      result: (step) => this.result(step),
      redact: (text) => this.redact(text),
      save: () => this.save(),
    });
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
    const fresh = newRecord(this.opts.file, steps, this.context).steps;
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

  /**
   * The steps the caller runs in this order, each once the one before succeeded (an unattended run): the
   * step shell may then start a step the moment the one before it ends (see shell/launched.ts).
   */
  runsInOrder(steps: Step[]): void {
    this.following = new Map(steps.slice(0, -1).map((s, i) => [s.index, steps[i + 1] as Step]));
  }

  /** Runs a step (with `code` if the person edited it), honouring timeout=, retries= and cwd=. */
  async run(step: Step, code = step.code, onRetry?: (attempt: number, outcome: StepOutcome) => void) {
    const result = this.result(step);
    const notes: string[] = [];
    for (const name of stopNames(step.attributes.stop)) {
      const was = await this.background.stop(name);
      notes.push(was ? `stopped background step ${name}` : `background step ${name} was not running`);
    }
    const timeout = Number(step.attributes.timeout ?? 0);
    const timeoutMs = timeout > 0 ? timeout * 1000 : undefined;
    const retries = Number(step.attributes.retries ?? 0);
    const warnings: string[] = [];
    const started = new Date();
    let outcome: StepOutcome;
    let attempt = 0;
    // What it prints is kept only to compare with its output block or to capture it.
    const expectation = checksOutput(step) ? expectationOf(step) : undefined;
    const capture = captureName(step);
    const tap = expectation || capture ? this.tap() : undefined;
    let printed: Tapped | undefined;
    let check: OutputCheck | undefined;
    // A shell step's context is the session's live view. A step whose outcome may not be kept (its output
    // could fail its check, or overflow its capture) starts from a copy, which stays if it is not kept.
    if (tap) this.context = { ...this.context, vars: { ...this.context.vars } };
    const before = this.context;
    // Not saved yet: a run killed outright mid-step resumes at this step either way, and a save per step
    // instead of two is a measurable share of a short step.
    result.status = 'running';
    result.startedAt = started.toISOString();
    // One controller for every attempt and the pauses between them, so Ctrl-C during a pause stops too.
    const control = new AbortController();
    this.current = control;
    try {
      for (;;) {
        attempt++;
        tap?.keep();
        outcome = await this.runOnce(step, code, control.signal, timeoutMs, tap !== undefined).catch(
          (err) => {
            throw this.runnerFailed(step, err);
          },
        );
        printed = tap?.take();
        check = undefined;
        if (expectation && printed && outcome.exitCode === 0 && !outcome.interrupted && !outcome.timedOut) {
          const where = `${path.basename(this.opts.file)}:${expectation.line}`;
          check = await checkPrinted(expectation, printed, where, (text) => this.redact(text));
        }
        const failed = outcome.exitCode !== 0 || outcome.timedOut || check?.matched === false;
        if (!failed || outcome.interrupted || attempt > retries) break;
        onRetry?.(attempt, outcome);
        await pause(this.opts.retryDelayMs ?? 2000, control.signal);
        if (control.signal.aborted) {
          outcome = { ...outcome, interrupted: true };
          break;
        }
      }
    } finally {
      this.current = undefined;
    }
    result.attempts += attempt;
    result.durationMs = Date.now() - started.getTime();
    result.exitCode = outcome.exitCode;
    result.codeHash = codeHash(code);
    result.sourceHash = codeHash(step.code);
    result.runs = (result.runs ?? 0) + 1;
    if (code !== step.code) result.editedCode = code;
    else delete result.editedCode;
    delete result.message;
    delete result.output;
    if (check) result.output = check;
    const verdict = verdictOf(outcome, {
      timeout,
      check,
      threshold: expectation?.threshold,
      capture,
      overflowed: printed?.overflowed,
    });
    result.status = verdict.status;
    if (verdict.status !== 'done') result.message = verdict.message;
    else {
      let after = outcome.context;
      if (after) {
        // A step with its own cwd= runs there without moving where later steps start.
        if (step.attributes.cwd) after = { ...after, cwd: before.cwd };
      } else if (outcome.warning) {
        warnings.push(outcome.warning);
        result.message = outcome.warning;
      }
      // The captured value is data: it travels to bash as a value, never as code.
      if (capture && printed) after = withValue(after ?? this.context, capture, capturedValue(printed.text));
      if (after) {
        const setVars = outcome.changed ? [...outcome.changed] : changedNames(before, after);
        if (capture && printed && !setVars.includes(capture)) setVars.push(capture);
        this.secrets.stepped(before, after, setVars);
        this.context = after;
        result.setVars = setVars;
        result.setValues = this.secrets.values(after, result.setVars);
      }
    }
    const why = (outcome as BackgroundOutcome).why;
    if (why && result.status === 'failed') result.message = why;
    if (!isBackground(step)) delete result.background;
    // After the context update, so secrets this very step set are hidden in its own tail.
    result.tail = this.redact(outcome.tail);
    this.save();
    return { result, outcome, warnings, notes } satisfies StepRun;
  }

  /** The copy of standard output the caller's stream keeps (see EngineOptions.tap). */
  private tap(): StreamTap {
    if (!this.opts.tap) throw new Error('this engine was given no output tap, so it cannot keep output');
    return this.opts.tap;
  }

  private async runOnce(
    step: Step,
    code: string,
    signal: AbortSignal,
    timeoutMs: number | undefined,
    observed = false,
  ): Promise<StepOutcome> {
    let context = this.context;
    if (typeof step.attributes.cwd === 'string') {
      context = { ...context, cwd: path.resolve(this.opts.baseDir, step.attributes.cwd) };
    }
    if (isBackground(step)) return this.background.start(step, code, context, signal, timeoutMs);
    if (step.kind === 'js') {
      const { runJsStep } = await import('../js/step.ts');
      const { io, env, file } = this.opts;
      const scratch = this.session.dir;
      return runJsStep({ step, code, context, io, signal, timeoutMs, env, file, scratch });
    }
    // Output that is compared or captured must be exactly what the step wrote to stdout: pipes, not the
    // walkthrough's terminal, which merges stderr and ends lines with CRLF.
    const io = observed ? { ...this.opts.io, terminal: undefined } : this.opts.io;
    const changes = this.changesOf(step, code);
    const { name, line } = step;
    const next = observed ? undefined : this.upNext(step);
    return this.session.run({ name, code, line, changes, context, io, signal, timeoutMs, next });
  }

  /**
   * The step that follows `step` in the caller's order, when it may start the moment `step` ends: a shell
   * step starting exactly where `step` leaves (no cwd= on either), whose output is not kept (a step whose
   * output is compared or captured may yet fail, or change the context) and which is not a background step.
   */
  private upNext(step: Step) {
    const next = this.following?.get(step.index);
    if (next?.kind !== 'shell' || observesOutput(next) || isBackground(next)) return undefined;
    if (step.attributes.cwd !== undefined || next.attributes.cwd !== undefined) return undefined;
    return { name: next.name, code: next.code, line: next.line, changes: this.changesOf(next, next.code) };
  }

  /** What the analysis says running this code can change (it depends on the code alone). */
  private changesOf(step: Step, code: string) {
    return this.byCode.get(`${step.kind}\0${code}`)?.changes;
  }

  /**
   * The run's analysis of a step, when it was made for this very step: same place, code and attributes
   * (the file may have changed since, or the person edited the code).
   */
  analysisOf(step: Step, code = step.code): VariableAnalysis | undefined {
    const made = this.analysed.get(step.index);
    return made && made.step.code === code && sameAttributes(made.step, step) ? made.analysis : undefined;
  }

  /**
   * The runner's own failure during a step (its scratch disk full): the step is not blamed, and not done
   * either; the record says why, and --resume runs it again.
   */
  private runnerFailed(step: Step, err: unknown): unknown {
    if (!(err instanceof RunnerError)) return err;
    const result = this.result(step);
    result.status = 'interrupted';
    result.message = `the runner failed: ${err.message}`;
    this.save();
    return new RunnerError(`step ${step.index} ${step.name}: ${err.message}; --resume runs the step again`);
  }

  /** A newline when a step's output ended mid-line, for the caller to write before its own next line. */
  lineBreak(): string {
    return this.opts.lines?.takeMidLine() ? '\n' : '';
  }

  /** Ends the running step's whole process tree; its run() then resolves as interrupted. */
  interrupt(): boolean {
    if (!this.current) return false;
    this.current.abort();
    return true;
  }

  get running(): boolean {
    return this.current !== undefined;
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
      runbookPath: this.opts.file,
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

  /**
   * Ends the background steps (the run is over, however it ended) and waits for the last save of the
   * record to reach the disk. The step shell is its owner's to end.
   */
  async close(): Promise<void> {
    await this.background.endAll();
    await this.writer.flush();
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
    this.opts.onRecordError?.(err);
  }
}

function sameAttributes(a: Step, b: Step): boolean {
  return a.kind === b.kind && JSON.stringify(a.attributes) === JSON.stringify(b.attributes);
}

/** Waits `ms`, or less if `signal` aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Where steps start: the runbook's directory (RunbookPlace.dir), or front matter cwd relative to it. */
export function baseDirFor(runbookDir: string, cwd: string | undefined): string {
  return path.resolve(runbookDir, cwd ?? '.');
}

export function assertDir(dir: string, what: string): void {
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch (err) {
    throw new InputError(
      `${what} ${dir} is not usable (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  if (!ok) throw new InputError(`${what} ${dir} is not a directory`);
}
