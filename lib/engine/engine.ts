// The step state machine, without any rendering: runs one step at a time with the carried context, keeps
// the run record current on disk, and reports what happened. The --yes driver and the interactive
// walkthrough both drive it; neither knows how a step runs.
import type { VariableAnalysis } from '../analysis/variables.ts';
import { RunnerError } from '../core/errors.ts';
import type { CarriedVar, Step, StepIO, StepOutcome, StepResult } from '../core/types.ts';
import { expectationOf } from '../markdown/expectation.ts';
import { captureName, isBackground, stopNames } from '../markdown/step-options.ts';
import type { LineEnds } from '../os/line-ends.ts';
import type { StreamTap } from '../os/stream-tap.ts';
import { DEFAULT_SHELL, type ShellSession } from '../shell/session.ts';
import { type BackgroundOutcome, BackgroundSteps } from './background.ts';
import { RunState, type RunStateOptions } from './run-state.ts';
import { StepAnalyses } from './step-analyses.ts';
import { type Attempted, attempt } from './step-attempts.ts';
import { StepLauncher } from './step-launch.ts';
import { contextAfter, enterRun } from './step-result.ts';
import { checksOutput } from './step-rules.ts';

export interface EngineOptions extends RunStateOptions {
  /** Base directory steps start in (runbook dir + front matter cwd). */
  baseDir: string;
  io: StepIO;
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

export class Engine extends RunState {
  private current?: AbortController;
  /** The background steps that run now, and those that ended on their own. */
  readonly background: BackgroundSteps;
  private readonly analyses: StepAnalyses;
  private readonly launcher: StepLauncher;

  constructor(private readonly opts: EngineOptions) {
    super(opts);
    this.analyses = new StepAnalyses(opts.steps, opts.analyses);
    this.background = new BackgroundSteps({
      shellLine: opts.shellLine ?? DEFAULT_SHELL,
      env: opts.env,
      scratch: () => opts.session.dir,
      result: (step) => this.result(step),
      redact: (text) => this.redact(text),
      save: () => this.save(),
    });
    this.launcher = new StepLauncher(opts, this.background, this.analyses);
  }

  /**
   * The steps the caller runs in this order, each once the one before succeeded (an unattended run): the
   * step shell may then start a step the moment the one before it ends (see shell/launched.ts).
   */
  runsInOrder(steps: Step[]): void {
    this.launcher.runsInOrder(steps);
  }

  /** Runs a step (with `code` if the person edited it), honouring timeout=, retries= and cwd=. */
  async run(
    step: Step,
    code = step.code,
    onRetry?: (attempt: number, outcome: StepOutcome, why: string) => void,
  ) {
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
    // What it prints is kept only to compare with its output block or to capture it.
    const expectation = checksOutput(step) ? expectationOf(step) : undefined;
    const capture = captureName(step);
    const tap = expectation || capture ? this.tap() : undefined;
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
    const { signal } = control;
    const once = () =>
      this.launcher.once(step, code, this.context, signal, timeoutMs, tap !== undefined).then(
        (outcome) => {
          // Secrets an attempt set that may not be carried (it failed, or its output is still to be
          // checked) are hidden in all that is written about it, the check's diff included.
          const left = outcome.leftVars ?? (expectation ? setBy(outcome) : undefined);
          if (left) this.secrets.left(this.context, left);
          return outcome;
        },
        (err) => {
          throw this.runnerFailed(step, err);
        },
      );
    const { file } = this.opts;
    const delayMs = this.opts.retryDelayMs ?? 2000;
    const redact = (text: string) => this.redact(text);
    let attempted: Attempted;
    try {
      attempted = await attempt(once, { retries, delayMs, signal, tap, expectation, file, redact, onRetry });
    } finally {
      this.current = undefined;
    }
    const { outcome, printed } = attempted;
    const status = enterRun(result, { step, code, started, attempted, timeout, expectation, capture });
    if (status === 'done') {
      if (!outcome.context && outcome.warning) {
        warnings.push(outcome.warning);
        result.message = outcome.warning;
      }
      const after = contextAfter(step, outcome, before, this.context, capture, printed);
      if (after) {
        this.secrets.stepped(before, after.context, after.setVars);
        this.context = after.context;
        result.setVars = after.setVars;
        result.setValues = this.secrets.values(after.context, result.setVars);
      }
    }
    const why = (outcome as BackgroundOutcome).why;
    if (why && status === 'failed') result.message = why;
    if (!isBackground(step)) delete result.background;
    // After the context update, so secrets this very step set are hidden in its own tail, and in what its
    // end says (a ready= URL that holds a token, a warning quoting a value).
    result.tail = this.redact(outcome.tail);
    if (result.message !== undefined) result.message = this.redact(result.message);
    this.save();
    return { result, outcome, warnings, notes } satisfies StepRun;
  }

  /** The copy of standard output the caller's stream keeps (see EngineOptions.tap). */
  private tap(): StreamTap {
    if (!this.opts.tap) throw new Error('this engine was given no output tap, so it cannot keep output');
    return this.opts.tap;
  }

  /**
   * The run's analysis of a step, when it was made for this very step: same place, code and attributes
   * (the file may have changed since, or the person edited the code).
   */
  analysisOf(step: Step, code = step.code): VariableAnalysis | undefined {
    return this.analyses.of(step, code);
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

  /**
   * Ends the background steps (the run is over, however it ended) and waits for the last save of the
   * record to reach the disk. The step shell is its owner's to end.
   */
  async close(): Promise<void> {
    await this.background.endAll();
    await this.flush();
  }
}

/** The variables a step that exited 0 set, as its shell reported them. */
function setBy(outcome: StepOutcome): Record<string, CarriedVar> | undefined {
  const vars = outcome.context?.vars;
  if (!vars || !outcome.changed) return undefined;
  return Object.fromEntries(outcome.changed.filter((n) => vars[n]).map((n) => [n, vars[n] as CarriedVar]));
}
