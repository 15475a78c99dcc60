// The page's runs, one at a time: a step, or run all from one (as `a`: a failure pauses it until the
// person retries or skips that step, then it goes on); what each asks first, what it prints, and how it
// ended go to every page. Stop ends run all after the running step; closing ends the running one.
import { withValue } from '../../core/context.ts';
import type { Step } from '../../core/types.ts';
import type { Engine, StepRun } from '../../engine/engine.ts';
import type { Notebook } from '../../engine/notebook.ts';
import { isFlagSet } from '../../markdown/attributes.ts';
import type { Hub } from './channel.ts';
import type { DocBuilder } from './doc.ts';
import type { OutputSink } from './output.ts';
import type { PageSync } from './page-sync.ts';
import type { Busy } from './protocol.ts';

export class Runs {
  /** The step running now, and the run it is. */
  busy?: Busy;
  /** A run asked for and not ended: it may still be reading what its first step needs, not yet `busy`. */
  private requested?: string;
  /** Closed: nothing more starts. */
  closed = false;
  private runs = 0;
  /** The step a run-all paused at after a failure: retrying or skipping it carries the run on. */
  private pausedAll?: string;
  /** Stop pressed: run all ends after the running step. */
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly notebook: Notebook,
    private readonly engine: Engine,
    private readonly hub: Hub,
    private readonly sink: OutputSink,
    private readonly docs: DocBuilder,
    private readonly pages: PageSync,
    /** Called once a run has ended and every page was told. */
    private readonly onIdle: () => void,
  ) {}

  /** The step being run, or a run asked for that has not started its step yet (one run at a time). */
  get occupied(): string | undefined {
    return this.busy?.step ?? this.requested;
  }

  /** Run (or, `all`, run all from) `step`; a run all paused at it goes on. `values`: what it asked for. */
  request(step: Step, all: boolean, values?: Record<string, string>): void {
    const auto = all || this.pausedAll === step.name;
    this.pausedAll = undefined;
    this.requested = step.name;
    this.start(this.runFrom(step, auto, values));
  }

  /** Stop: the running step's tree is ended, and a run all goes no further. */
  stop(): void {
    this.stopped = true;
    this.pausedAll = undefined;
    this.engine.interrupt();
  }

  /** `step` was skipped: a run all paused at it goes on from the first of `later`. */
  skipped(step: Step, later: Step[]): void {
    if (this.pausedAll !== step.name) return;
    this.pausedAll = undefined;
    const next = later[0];
    if (!next) return;
    this.requested = next.name;
    this.start(this.runFrom(next, true));
  }

  /** Nothing more starts; the running step's tree is ended. Whether a step was running. */
  async close(): Promise<boolean> {
    this.closed = true;
    const wasRunning = this.engine.interrupt();
    await this.running?.catch(() => {});
    return wasRunning;
  }

  private start(work: Promise<void>): void {
    this.running = work.finally(() => {
      this.running = undefined;
      this.requested = undefined;
      this.busy = undefined;
      this.hub.broadcast({ t: 'idle' });
      this.onIdle();
    });
    this.running.catch((err: Error) => this.pages.notice('error', `runbook: ${err.message}`));
  }

  /** Runs `first` and, when `auto`, the steps of the walk after it, until one fails or Stop is pressed. */
  private async runFrom(first: Step, auto: boolean, values?: Record<string, string>): Promise<void> {
    this.stopped = false;
    const queue = auto ? [first, ...this.notebook.remaining(first)] : [first];
    let given = values;
    for (const step of queue) {
      if (this.stopped || this.closed) return;
      // As `a` in the walkthrough: after the first, a step done (its code unchanged since) or skipped is
      // passed over.
      const cell = this.notebook.cell(step);
      if (step !== first && ((cell.status === 'done' && !cell.stale) || cell.status === 'skipped')) {
        this.pages.notice('info', `${step.name} is ${cell.status}; passed over`, step.name);
        continue;
      }
      if (!(await this.provide(step, auto, given))) return;
      given = undefined;
      const run = await this.runOne(step, auto);
      const { status } = run.result;
      if (status === 'done') continue;
      if (status === 'failed' && isFlagSet(step, 'continue-on-error')) {
        this.pages.notice('warn', `${step.name} failed; continuing (continue-on-error)`, step.name);
        continue;
      }
      if (auto && status === 'failed' && !this.stopped) this.pausedAll = step.name;
      return;
    }
  }

  /** Sets the values the page gave for what the step needs; asks for any still missing. */
  private async provide(step: Step, auto: boolean, values?: Record<string, string>): Promise<boolean> {
    let missing = await this.docs.missing(step, this.notebook.code(step));
    for (const name of missing) {
      const value = values?.[name];
      if (typeof value === 'string') this.engine.setContext(withValue(this.engine.context, name, value));
    }
    missing = missing.filter((name) => typeof values?.[name] !== 'string');
    if (missing.length === 0) return true;
    const fields = missing.map((name) => ({ name, secret: this.engine.secret(name) }));
    this.hub.broadcast({ t: 'ask', step: step.name, fields, auto });
    return false;
  }

  private async runOne(step: Step, auto: boolean): Promise<StepRun> {
    this.notebook.goTo(step.index);
    const run = ++this.runs;
    this.busy = { step: step.name, run, auto };
    this.hub.begin(step.name, run);
    this.sink.begin((chunk) => this.hub.output(chunk));
    const running = this.notebook.run(step, (attempt, _outcome, why) => {
      this.pages.notice('warn', `${step.name} failed (${why}), retry ${attempt}`, step.name);
    });
    this.hub.broadcast({ t: 'started', step: step.name, run, auto });
    await this.pages.update();
    let result: StepRun;
    try {
      result = await running;
    } finally {
      const tail = this.sink.end();
      this.pages.printed.set(step.name, this.sink.bytes);
      this.hub.end(tail);
    }
    for (const w of result.warnings) this.pages.notice('warn', `${step.name}: ${w}`, step.name);
    // As in the walkthrough, a step that ran is done with: the walk is at the next one.
    if (result.result.status === 'done') this.notebook.advance();
    await this.pages.update();
    return result;
  }
}
