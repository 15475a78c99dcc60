// The interactive walkthrough: the runbook as a notebook at a terminal. The person reads a step and picks
// what happens with one key: run it (again), skip, edit, go anywhere, back, see its last output. The
// notebook (engine/notebook.ts) holds where the walk is and what each step came to, and reads the file
// again when it changes; this decides what to show and ask, and ui/view.ts says how it looks.
import path from 'node:path';
import type { Writable } from 'node:stream';
import { intro, outro } from '@clack/prompts';
import { withValue } from '../core/context.ts';
import { EXIT } from '../core/errors.ts';
import type { ResolvedInput } from '../core/inputs.ts';
import type { RunIO } from '../core/options.ts';
import { type Paint, painter } from '../core/style.ts';
import type { Step } from '../core/types.ts';
import type { BackgroundNotice } from '../engine/background.ts';
import type { Engine, StepRun } from '../engine/engine.ts';
import type { Cell, Notebook } from '../engine/notebook.ts';
import { isFlagSet } from '../markdown/attributes.ts';
import { type Stop, trapSignals } from '../os/signals.ts';
import { editCode } from './editor.ts';
import { askInputs } from './inputs-form.ts';
import { cellStatus, pickStep, statusBadge } from './outline.ts';
import { outputView } from './output-view.ts';
import {
  askValue,
  chooseEditScope,
  chooseStepAction,
  type PromptIO,
  promptOutput,
  releaseInput,
} from './prompts.ts';
import { Renderer } from './renderer.ts';
import { backgroundLines, backgroundNotice, failureSummary, statusLine } from './status.ts';
import { StepVariables } from './step-vars.ts';
import { type RenderOptions, terminalRenderOptions } from './text.ts';
import { firstShowing, runbookTitle, stepCount, stepPieces, stepView, summaryTable, tally } from './view.ts';

export async function walkthrough(
  book: Notebook,
  engine: Engine,
  io: RunIO,
  /** Declared inputs the run was not given: asked for in one form before the first step. */
  inputs: ResolvedInput[] = [],
  /** With the runbook's render cache (run.ts); else one that renders everything. */
  renderer = new Renderer(terminalRenderOptions(io.stdout, io.env)),
): Promise<number> {
  try {
    return await new Walk(book, engine, io, inputs, renderer).run();
  } finally {
    // What the runbook shows as it is now, for the next walk's first screen.
    const pieces = book.steps.flatMap((s) => firstShowing(s));
    await renderer.save([...pieces, { kind: 'prose', text: book.runbook.epilogue }]);
  }
}

/** A step's moment decides the keys: a step not run, one done, one that just failed. */
type Moment = 'new' | 'done' | 'failed';

class Walk {
  private readonly paint: Paint;
  private readonly opts: RenderOptions;
  private readonly output: Writable;
  private readonly vars: StepVariables;
  /** After `a`: run the remaining steps without asking (a failure still asks what to do). */
  private auto = false;
  /** A signal that arrived outside a step: quit at the next decision. */
  private stopRequested = false;
  /** SIGTERM, SIGHUP or SIGQUIT: the person is not coming back to answer, so no failure choices either. */
  private terminated = false;
  /** The reader of stdout went away: nothing more is written there. */
  private outputClosed = false;
  private prompt?: AbortController;
  /** The prompt up now gives way when the file changes (a step's question, not a form). */
  private yieldsToFile = false;
  private fileChanged = false;
  private editing = false;
  /** What is on screen: the step (name, code, prose) last shown. */
  private shown?: { name: string; code: string; prose: string };
  /** The step that just failed: it is asked about even after `a`. */
  private justFailed?: string;
  private endShown = false;
  /** Background steps that ended while a question was on the screen, to say once it is down. */
  private readonly notices: BackgroundNotice[] = [];
  /** The question was taken down for a notice: ask it again. */
  private redraw = false;

  constructor(
    private readonly book: Notebook,
    private readonly engine: Engine,
    private readonly io: RunIO,
    private readonly inputs: ResolvedInput[],
    private readonly renderer: Renderer,
  ) {
    this.opts = renderer.opts;
    const { color } = this.opts;
    this.paint = painter(color);
    this.output = promptOutput(io.stdout, color);
    const width = this.opts.width - 20;
    this.vars = new StepVariables(
      () => ({
        context: engine.context,
        env: io.env,
        isSecret: (name) => engine.secret(name),
        redact: (text) => engine.redact(text),
        width,
      }),
      book.steps,
      (step, code) => engine.analysisOf(step, code),
    );
  }

  async run(): Promise<number> {
    const untrap = trapSignals((sig) => this.onSignal(sig));
    const unwatch = this.book.watch(() => this.onFileChange());
    this.engine.background.onNotice = (notice) => this.onBackgroundNotice(notice);
    try {
      const first = this.book.current;
      const walked = this.book.steps.filter((s) => this.book.inWalk(s)).length;
      const where = first && first.index > 1 ? `, from step ${first.index} of ${this.book.steps.length}` : '';
      intro(this.paint('bold', runbookTitle(this.book.runbook, this.engine.record.runbook)), {
        output: this.output,
      });
      const keys = 'r run · s skip · e edit · a all · g go to · b back · n next · o output · q quit';
      this.write(this.paint('dim', `${stepCount(walked)}${where} · ${keys}\n`));
      if (this.inputs.length && !(await this.askInputs())) return this.stop(EXIT.interrupted);
      for (;;) {
        if (this.stopRequested) return this.stop(EXIT.interrupted);
        await this.refresh();
        const step = this.book.current;
        const exit = step ? await this.atStep(step) : await this.atEnd();
        if (exit !== undefined) return exit;
      }
    } finally {
      unwatch();
      untrap();
    }
  }

  private onSignal(sig: Stop): void {
    if (sig !== 'SIGINT') this.terminated = true;
    if (sig === 'EPIPE') this.outputClosed = true;
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

  /** The file changed on disk: a question waiting for a key gives way, and the file is read again. */
  private onFileChange(): void {
    if (!this.prompt || !this.yieldsToFile || this.stopRequested || this.fileChanged) return;
    if (!this.book.changedOnDisk()) return;
    this.fileChanged = true;
    this.takeDown();
  }

  /**
   * A background step ended on its own: said at once. A question on the screen is taken down first and
   * asked again below the notice, since writing under it would garble clack's redraw.
   */
  private onBackgroundNotice(notice: BackgroundNotice): void {
    if (this.prompt) {
      this.notices.push(notice);
      this.redraw = true;
      this.takeDown();
    } else this.write(backgroundNotice(notice, this.paint));
  }

  /** As if Escape was pressed: the question is drawn as set aside (an abort would leave it on screen). */
  private takeDown(): void {
    this.io.stdin.emit('keypress', '', { name: 'escape', sequence: '\u001b' });
  }

  /** Reads the file again before a question; says in one line what changed, or why it cannot be used. */
  private async refresh(): Promise<void> {
    const reload = await this.book.refresh();
    if (reload.notice) this.write(this.paint('yellow', `runbook: ${reload.notice}\n`));
    for (const w of reload.warnings) this.write(this.paint('yellow', `runbook: warning: ${w}\n`));
    if (reload.changed) {
      this.vars.setSteps(this.book.steps);
      this.endShown = false;
    }
  }

  private moment(step: Step): Moment {
    const { status } = this.book.cell(step);
    if (this.justFailed === step.name && (status === 'failed' || status === 'interrupted')) return 'failed';
    return status === 'done' ? 'done' : 'new';
  }

  /** Shows the step, asks what to do and does it; an exit code when the walk ends. */
  private async atStep(step: Step): Promise<number | undefined> {
    const cell = this.book.cell(step);
    await this.show(step);
    const moment = this.moment(step);
    if (this.auto && moment !== 'failed') {
      if ((cell.status === 'done' && !cell.stale) || cell.status === 'skipped') {
        this.write(this.paint('dim', `· ${step.index} ${step.name} is ${cellStatus(cell)}; passed over\n`));
        this.book.advance();
        return undefined;
      }
      return this.runStep(step);
    }
    const stale = cell.stale ? ' (its code changed since)' : '';
    const message =
      moment === 'failed'
        ? `Step ${step.index} ${cell.status}: what now?`
        : moment === 'done'
          ? `Step ${step.index} is done${stale}: run it again?`
          : `Step ${step.index}: run it?`;
    const choice = await this.asking((pio) => chooseStepAction(message, moment, pio), true);
    if (this.fileChanged) return undefined;
    switch (choice) {
      case 'quit':
        return this.stop(this.quitCode());
      case 'all':
        this.auto = true;
        return this.runStep(step);
      case 'run':
        return this.runStep(step);
      case 'skip':
        await this.skip(step);
        this.book.advance();
        return undefined;
      case 'edit':
        return this.editStep(step, moment === 'failed');
      case 'output':
        this.showOutput(cell);
        return undefined;
      default:
        await this.moveTo(choice);
        return undefined;
    }
  }

  /** `g`, `b`, `n`: the person takes the walk elsewhere (and out of `a`). */
  private async moveTo(choice: string): Promise<void> {
    this.auto = false;
    this.justFailed = undefined;
    if (choice === 'back') {
      if (!this.book.back()) this.write(this.paint('dim', 'This is the first step.\n'));
    } else if (choice === 'next') {
      this.book.advance();
    } else if (choice === 'go') {
      const picked = await this.asking(
        (pio) =>
          pickStep(
            'Go to which step?',
            this.book.cells(),
            this.paint,
            pio,
            this.io.stdout.rows,
            this.inBackground(),
          ),
        true,
      );
      if (picked !== undefined && !this.fileChanged) this.book.goTo(picked);
    }
  }

  private async runStep(step: Step): Promise<number | undefined> {
    const code = this.book.code(step);
    if (!(await this.provideMissing(step, code))) return this.stop(EXIT.interrupted);
    const run = await this.execute(step);
    const { status } = run.result;
    if (status === 'done') {
      this.justFailed = undefined;
      this.book.advance();
      return undefined;
    }
    // A signal between a retries= attempt and the next, or SIGTERM: nobody to answer the failure choices.
    if (this.terminated || this.stopRequested) return this.stop(EXIT.interrupted);
    if (status === 'failed' && isFlagSet(step, 'continue-on-error')) {
      this.write(failureSummary(run, this.book.steps.length, this.paint));
      this.write(this.paint('yellow', `runbook: ${step.name} failed; continuing (continue-on-error)\n`));
      this.book.advance();
      return undefined;
    }
    // After `a`, a failure pauses the run for the person; once it is dealt with, the run goes on unasked.
    if (status === 'failed') this.write(failureSummary(run, this.book.steps.length, this.paint));
    this.justFailed = step.name;
    return undefined;
  }

  /** `e`: the code in the editor, then for this run only or saved into the file; after a failure, retried. */
  private async editStep(step: Step, retry: boolean): Promise<number | undefined> {
    const code = this.book.code(step);
    const edited = await this.edit(step, code);
    if (edited === undefined) return undefined;
    if (edited === code) {
      this.write(this.paint('dim', 'The code is unchanged.\n'));
      return undefined;
    }
    const scope = await this.asking((pio) => chooseEditScope(this.book.name, pio));
    if (scope === 'discard' || this.stopRequested) return undefined;
    if (scope === 'save') {
      const saved = await this.book.save(step, edited);
      if ('error' in saved) {
        if (saved.reload?.notice) this.write(this.paint('yellow', `runbook: ${saved.reload.notice}\n`));
        this.write(this.paint('yellow', `runbook: ${saved.error}; the edit is for this run only\n`));
        const now = this.book.step(step.name);
        if (now) this.book.edit(now, edited);
      } else {
        this.vars.setSteps(this.book.steps);
        this.write(`${this.paint('green', '✔')} saved into ${this.book.name}\n`);
      }
    } else this.book.edit(step, edited);
    const now = this.book.current;
    if (!now) return undefined;
    await this.show(now);
    return retry ? this.runStep(now) : undefined;
  }

  private async show(step: Step): Promise<void> {
    const code = this.book.code(step);
    const shown = this.shown;
    if (shown && shown.name === step.name && shown.code === code && shown.prose === step.prose) return;
    const prose = !shown || shown.name !== step.name || shown.prose !== step.prose;
    this.shown = { name: step.name, code, prose: step.prose };
    const cell = this.book.cell(step);
    const status = cell.status === 'pending' ? undefined : statusBadge(cell, this.paint);
    const vars = await this.vars.views(step, code);
    const bg = this.engine.background;
    const background = backgroundLines(bg.running(), bg.takeNotices(), this.paint);
    const parts = { prose, code, vars, status, background };
    const rendered = await this.renderer.render(stepPieces(step, parts));
    this.write(stepView(step, this.book.steps.length, parts, rendered, this.opts));
    // The next step in the walk is rendered while this one is read.
    const next = this.book.steps.find((s) => s.index > step.index && this.book.inWalk(s));
    if (next) this.renderer.ahead(firstShowing(next, this.book.code(next)));
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

  private async execute(step: Step): Promise<StepRun> {
    releaseInput(this.io.stdin);
    this.write(this.paint('dim', `── ${step.name} is running; Ctrl-C stops it ──\n`));
    const run = await this.book.run(step, (attempt, outcome) => {
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

  /** The background steps running now, by name. */
  private inBackground(): Set<string> {
    return new Set(this.engine.background.running().map((r) => r.name));
  }

  /** `o`: the step's last output, or a background step's output so far while it runs. */
  private showOutput(cell: Cell): void {
    this.write(outputView(cell.result, this.paint, undefined, this.engine.background.log(cell.step.name)));
  }

  private async skip(step: Step): Promise<void> {
    this.book.skip(step);
    this.justFailed = undefined;
    this.write(`${this.paint('yellow', '↷')} ${step.name} skipped\n`);
    for (const warning of await this.vars.skipWarnings(step, this.book.remaining(step))) {
      this.write(this.paint('yellow', `runbook: warning: ${warning}\n`));
    }
  }

  /** Past the last step: the summary, then finish or go back into the runbook. */
  private async atEnd(): Promise<number | undefined> {
    const walked = this.book.steps.filter((s) => this.book.inWalk(s));
    const results = walked.map((s) => this.engine.result(s));
    if (!this.endShown) {
      this.endShown = true;
      this.shown = undefined;
      const last = this.book.steps.at(-1);
      if (last && this.book.inWalk(last)) {
        const text = this.book.runbook.epilogue;
        const epilogue = (await this.renderer.render([{ kind: 'prose', text }])).prose(text);
        if (epilogue) this.write(`\n${epilogue}`);
      }
      this.write(`\n${summaryTable(results, this.book.steps.length, this.paint)}`);
    }
    const message = `End of the runbook (${tally(results)}): Enter or q finishes`;
    const choice = await this.asking((pio) => chooseStepAction(message, 'end', pio), true);
    if (this.fileChanged) return undefined;
    if (choice === 'finish' || this.stopRequested) return this.finish();
    if (choice === 'output') {
      const ran = this.book.cells().filter((c) => c.runs > 0 || this.inBackground().has(c.step.name));
      const picked = await this.asking(
        (pio) => pickStep('Whose output?', ran, this.paint, pio, undefined, this.inBackground()),
        true,
      );
      const cell = ran.find((c) => c.step.index === picked);
      if (cell) this.showOutput(cell);
      return undefined;
    }
    this.endShown = false;
    await this.moveTo(choice);
    return undefined;
  }

  /**
   * Runs a question with an abort handle: SIGTERM takes it off the screen, and so may a file change (the
   * caller then sees `fileChanged`); one taken down for a background step's notice is asked again.
   */
  private async asking<T>(question: (io: PromptIO) => Promise<T>, yieldsToFile = false): Promise<T> {
    this.fileChanged = false;
    for (;;) {
      const controller = new AbortController();
      this.prompt = controller;
      this.yieldsToFile = yieldsToFile;
      let answer: T;
      try {
        answer = await question({ input: this.io.stdin, output: this.output, signal: controller.signal });
      } finally {
        this.prompt = undefined;
        this.yieldsToFile = false;
      }
      for (const notice of this.notices.splice(0)) this.write(backgroundNotice(notice, this.paint));
      if (!this.redraw || this.stopRequested || this.fileChanged) {
        this.redraw = false;
        return answer;
      }
      this.redraw = false;
    }
  }

  /** 1 when a step's last run failed (and was not allowed to), else 130: quitting part-way. */
  private quitCode(): number {
    const failed = this.book
      .cells()
      .some(
        (c) => c.status === 'failed' && this.book.inWalk(c.step) && !isFlagSet(c.step, 'continue-on-error'),
      );
    return failed ? EXIT.stepFailed : EXIT.interrupted;
  }

  /** Quitting: the record is saved (every change already was), and says where --resume will continue. */
  private stop(exitCode: number): number {
    this.engine.save();
    const total = this.book.steps.length;
    const touched = this.engine.record.steps.filter((r) => r.status !== 'pending');
    const step = this.book.current ?? this.book.steps.find((s) => this.engine.result(s).status !== 'done');
    const where = step ? `stopped at step ${step.index} ${step.name}` : 'stopped';
    const line = `runbook: ${where}; continue with: runbook --resume ${this.relativeFile()}\n`;
    // The reader of stdout went away (`| head`): the one line that is left to say goes to stderr.
    if (this.outputClosed) {
      this.io.stderr.write(line.replace('runbook: ', 'runbook: output closed; '));
      return exitCode;
    }
    if (touched.length) this.write(`\n${summaryTable(touched, total, this.paint)}`);
    this.write(line);
    return exitCode;
  }

  /** Finishing at the end: 0 when every step walked ran or was skipped, as an unattended run. */
  private finish(): number {
    const walked = this.book.steps.filter((s) => this.book.inWalk(s));
    const results = walked.map((s) => this.engine.result(s));
    outro(`Finished: ${tally(results)}`, { output: this.output });
    const failed = walked.filter(
      (s) => this.engine.result(s).status === 'failed' && !isFlagSet(s, 'continue-on-error'),
    );
    if (failed.length) return EXIT.stepFailed;
    const open = walked.filter((s) => !['done', 'skipped', 'failed'].includes(this.engine.result(s).status));
    if (open.length === 0) return EXIT.ok;
    const names = open.map((s) => `${s.index} ${s.name}`).join(', ');
    this.write(`runbook: not run: ${names}; continue with: runbook --resume ${this.relativeFile()}\n`);
    return EXIT.interrupted;
  }

  private relativeFile(): string {
    return path.relative(process.cwd(), this.engine.record.runbook) || this.engine.record.runbook;
  }

  private write(text: string): void {
    if (!this.outputClosed) this.io.stdout.write(text);
  }
}
