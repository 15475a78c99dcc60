// The interactive walkthrough: a person at a terminal reads each step and picks what happens, one key at a
// time. The engine runs the steps; this decides what to ask and when, and ui/view.ts says how it looks.
import path from 'node:path';
import type { Writable } from 'node:stream';
import { intro, outro } from '@clack/prompts';
import { withValue } from '../core/context.ts';
import { EXIT } from '../core/errors.ts';
import type { ResolvedInput } from '../core/inputs.ts';
import type { RunIO } from '../core/options.ts';
import type { Selection } from '../core/select.ts';
import { colorEnabled, type Paint, painter } from '../core/style.ts';
import type { Runbook, Step } from '../core/types.ts';
import type { BackgroundNotice } from '../engine/background.ts';
import type { Engine, StepRun } from '../engine/engine.ts';
import { isFlagSet } from '../markdown/attributes.ts';
import { trapSignals } from '../os/signals.ts';
import { editCode } from './editor.ts';
import { askInputs } from './inputs-form.ts';
import {
  askValue,
  chooseAfterFailure,
  chooseStepAction,
  type FailureChoice,
  type PromptIO,
  promptOutput,
  releaseInput,
} from './prompts.ts';
import { type RenderOptions, renderProse } from './render.ts';
import { backgroundLines, backgroundNotice, failureSummary, statusLine } from './status.ts';
import { StepVariables } from './step-vars.ts';
import { runbookTitle, stepCount, stepView, summaryTable, tally } from './view.ts';

/** What walking one step came to: on to the next, or an exit code to stop with. */
type Outcome = { next: true } | { exit: number };
const NEXT: Outcome = { next: true };

export async function walkthrough(
  engine: Engine,
  runbook: Runbook,
  selection: Selection,
  io: RunIO,
  /** Declared inputs the run was not given: asked for in one form before the first step. */
  inputs: ResolvedInput[] = [],
): Promise<number> {
  return new Walk(engine, runbook, selection, io, inputs).run();
}

class Walk {
  private readonly paint: Paint;
  private readonly opts: RenderOptions;
  private readonly output: Writable;
  private readonly vars: StepVariables;
  private readonly total: number;
  /** After `a`: run the remaining steps without asking (a failure still asks what to do). */
  private auto = false;
  /** A signal that arrived outside a step: quit at the next decision. */
  private stopRequested = false;
  /** SIGTERM or SIGHUP: the person is not coming back to answer, so no failure choices either. */
  private terminated = false;
  private prompt?: AbortController;
  private editing = false;
  /** Background steps that ended while a question was on the screen, to say once it is down. */
  private readonly notices: BackgroundNotice[] = [];
  /** The question was taken down for a notice: ask it again. */
  private redraw = false;

  constructor(
    private readonly engine: Engine,
    private readonly runbook: Runbook,
    private readonly selection: Selection,
    private readonly io: RunIO,
    private readonly inputs: ResolvedInput[] = [],
  ) {
    const color = colorEnabled(io.stdout, io.env);
    this.paint = painter(color);
    this.output = promptOutput(io.stdout, color);
    this.opts = { color, width: Math.max(40, Math.min(io.stdout.columns ?? 80, 100) - 2) };
    const width = this.opts.width - 20;
    this.vars = new StepVariables(
      () => ({
        context: engine.context,
        env: io.env,
        isSecret: (name) => engine.secret(name),
        redact: (text) => engine.redact(text),
        width,
      }),
      engine.steps,
    );
    this.total = engine.steps.length;
  }

  async run(): Promise<number> {
    const untrap = trapSignals((sig) => this.onSignal(sig));
    this.engine.background.onNotice = (notice) => this.onBackgroundNotice(notice);
    try {
      const { selected, skippedOver } = this.selection;
      const where = skippedOver.length ? `, from step ${selected[0]?.index} of ${this.total}` : '';
      intro(this.paint('bold', runbookTitle(this.runbook, this.engine.record.runbook)), {
        output: this.output,
      });
      this.write(
        this.paint(
          'dim',
          `${stepCount(selected.length)}${where} · r run · s skip · e edit · a all · q quit\n`,
        ),
      );
      if (this.inputs.length && !(await this.askInputs())) {
        const first = selected[0] as Step;
        return this.stop(first, EXIT.interrupted);
      }
      for (const step of selected) {
        const outcome = await this.walk(step);
        if ('exit' in outcome) return this.stop(step, outcome.exit);
      }
      return this.finish();
    } finally {
      untrap();
    }
  }

  private onSignal(sig: NodeJS.Signals): void {
    if (sig !== 'SIGINT') this.terminated = true;
    if (this.engine.running) {
      this.write(
        this.paint('yellow', `\nrunbook: ${sig === 'SIGINT' ? 'Ctrl-C' : sig}: stopping the step\n`),
      );
      this.engine.interrupt();
    } else if (this.prompt) {
      this.stopRequested = true;
      this.prompt.abort();
    } else if (!this.editing || sig !== 'SIGINT') this.stopRequested = true;
  }

  private async walk(step: Step): Promise<Outcome> {
    let code = step.code;
    let ask = !this.auto;
    await this.show(step, code, true);
    for (;;) {
      if (this.stopRequested) return { exit: EXIT.interrupted };
      if (ask) {
        const choice = await this.asking((pio) => chooseStepAction(`Step ${step.index}: run it?`, pio));
        if (choice === 'quit') return { exit: EXIT.interrupted };
        if (choice === 'skip') return this.skip(step);
        if (choice === 'edit') {
          code = (await this.edit(step, code)) ?? code;
          await this.show(step, code, false);
          continue;
        }
        if (choice === 'all') this.auto = true;
      }
      if (!(await this.provideMissing(step, code))) return { exit: EXIT.interrupted };
      const run = await this.execute(step, code);
      const { status } = run.result;
      if (status === 'done') return NEXT;
      // A signal between a retries= attempt and the next, or SIGTERM: nobody to answer the failure choices.
      if (this.terminated || this.stopRequested) return { exit: EXIT.interrupted };
      if (status === 'failed' && isFlagSet(step, 'continue-on-error')) {
        this.write(failureSummary(run, this.total, this.paint));
        this.write(this.paint('yellow', `runbook: ${step.name} failed; continuing (continue-on-error)\n`));
        return NEXT;
      }
      // After `a`, a failure pauses the run for the person; once it is dealt with, the run goes on unasked.
      if (status === 'failed') this.write(failureSummary(run, this.total, this.paint));
      let next: FailureChoice;
      for (;;) {
        next = await this.asking((pio) => chooseAfterFailure(`Step ${step.index} ${status}: what now?`, pio));
        if (next !== 'edit') break;
        const edited = await this.edit(step, code);
        // An editor that failed changed nothing: ask again rather than rerun the same code.
        if (edited === undefined) continue;
        code = edited;
        await this.show(step, code, false);
        break;
      }
      if (next === 'quit') return { exit: status === 'failed' ? EXIT.stepFailed : EXIT.interrupted };
      if (next === 'skip') return this.skip(step);
      ask = false;
    }
  }

  private async show(step: Step, code: string, prose: boolean): Promise<void> {
    const vars = await this.vars.views(step, code);
    const bg = this.engine.background;
    const background = backgroundLines(bg.running(), bg.takeNotices(), this.paint);
    this.write(stepView(step, this.total, { prose, code, vars, background }, this.opts));
  }

  /**
   * A background step ended on its own: said at once. A question on the screen is taken down first and
   * asked again below the notice, since writing under it would garble clack's redraw.
   */
  private onBackgroundNotice(notice: BackgroundNotice): void {
    if (this.prompt) {
      this.notices.push(notice);
      this.redraw = true;
      this.prompt.abort();
    } else this.write(backgroundNotice(notice, this.paint));
  }

  /** The declared inputs, in one form; false when the person cancels it. */
  private async askInputs(): Promise<boolean> {
    const answers = await this.asking((pio) => askInputs(this.inputs, pio));
    if (!answers || this.stopRequested) return false;
    let context = this.engine.context;
    for (const [name, value] of Object.entries(answers)) context = withValue(context, name, value);
    this.engine.setContext(context);
    return true;
  }

  /** Asks for each variable the step reads that nothing has set, just before it runs. */
  private async provideMissing(step: Step, code: string): Promise<boolean> {
    for (const name of await this.vars.missing(step, code)) {
      const why = `Step ${step.index} reads ${name}, which is not set.`;
      const value = await this.asking((pio) => askValue(name, this.engine.secret(name), pio, why));
      if (value === undefined || this.stopRequested) return false;
      this.engine.setContext(withValue(this.engine.context, name, value));
    }
    return true;
  }

  private async execute(step: Step, code: string): Promise<StepRun> {
    releaseInput(this.io.stdin);
    this.write(this.paint('dim', `── ${step.name} is running; Ctrl-C stops it ──\n`));
    const run = await this.engine.run(step, code, (attempt, outcome) => {
      const why = outcome.exitCode ?? outcome.signal;
      this.write(this.paint('yellow', `↻ ${step.name} failed (exit ${why}), retry ${attempt}\n`));
    });
    for (const note of run.notes) this.write(this.paint('dim', `■ ${note}\n`));
    for (const w of run.warnings) this.write(this.paint('yellow', `runbook: warning: ${step.name}: ${w}\n`));
    this.write(statusLine(run, this.paint));
    return run;
  }

  /** The edited code, or undefined when the editor failed (and said so). */
  private async edit(step: Step, code: string): Promise<string | undefined> {
    this.editing = true;
    try {
      const edited = await editCode(step, code, this.io.env);
      if ('error' in edited) {
        this.write(this.paint('yellow', `runbook: ${edited.error}; the code is unchanged\n`));
        return undefined;
      }
      return edited.code;
    } finally {
      this.editing = false;
    }
  }

  private async skip(step: Step): Promise<Outcome> {
    this.engine.skip(step);
    this.write(`${this.paint('yellow', '↷')} ${step.name} skipped\n`);
    const later = this.selection.selected.filter((s) => s.index > step.index);
    for (const warning of await this.vars.skipWarnings(step, later)) {
      this.write(this.paint('yellow', `runbook: warning: ${warning}\n`));
    }
    return NEXT;
  }

  /** Runs a question with an abort handle, so a SIGTERM while it waits takes it off the screen. */
  private async asking<T>(question: (io: PromptIO) => Promise<T>): Promise<T> {
    for (;;) {
      const controller = new AbortController();
      this.prompt = controller;
      let answer: T;
      try {
        answer = await question({ input: this.io.stdin, output: this.output, signal: controller.signal });
      } finally {
        this.prompt = undefined;
      }
      if (!this.redraw || this.stopRequested) return answer;
      this.redraw = false;
      for (const notice of this.notices.splice(0)) this.write(backgroundNotice(notice, this.paint));
    }
  }

  /** Quitting: the record is saved (every change already was), and says where --resume will continue. */
  private stop(step: Step, exitCode: number): number {
    this.engine.save();
    const touched = this.engine.record.steps.filter((r) => r.status !== 'pending');
    if (touched.length) this.write(`\n${summaryTable(touched, this.total, this.paint)}`);
    const file = path.relative(process.cwd(), this.engine.record.runbook) || this.engine.record.runbook;
    this.write(
      `runbook: stopped at step ${step.index} ${step.name}; continue with: runbook --resume ${file}\n`,
    );
    return exitCode;
  }

  private finish(): number {
    const { selected } = this.selection;
    const last = selected.at(-1);
    if (last?.index === this.total) {
      const epilogue = renderProse(this.runbook.epilogue, this.opts);
      if (epilogue) this.write(`\n${epilogue}`);
    }
    const results = selected.map((s) => this.engine.result(s));
    this.write(`\n${summaryTable(results, this.total, this.paint)}`);
    outro(`Finished: ${tally(results)}`, { output: this.output });
    return EXIT.ok;
  }

  private write(text: string): void {
    this.io.stdout.write(text);
  }
}
