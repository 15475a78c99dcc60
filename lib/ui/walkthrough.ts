// The interactive walkthrough: the runbook as a notebook at a terminal. The person reads a step and picks
// what happens with one key: run it (again), skip, edit, go anywhere, back, see its last output. The
// notebook (engine/notebook.ts) holds where the walk is and what each step came to, and reads the file
// again when it changes; this decides what to show and ask, and ui/view.ts says how it looks.
import { EXIT } from '../core/errors.ts';
import type { ResolvedInput } from '../core/inputs.ts';
import type { RunIO } from '../core/options.ts';
import type { Paint } from '../core/style.ts';
import type { Step } from '../core/types.ts';
import type { Engine } from '../engine/engine.ts';
import type { Notebook } from '../engine/notebook.ts';
import { type Stop, trapSignals } from '../os/signals.ts';
import { cellStatus, pickStep } from './outline.ts';
import { chooseStepAction } from './prompts.ts';
import { Renderer } from './renderer.ts';
import { StepVariables } from './step-vars.ts';
import { terminalRenderOptions } from './text.ts';
import { allowedToFail, firstShowing, summaryTable, tally } from './view.ts';
import { finishWalk, quitCode, stopWalk } from './walk-end.ts';
import { StepMoves } from './walk-moves.ts';
import { Questions } from './walk-questions.ts';
import { WalkScreen } from './walk-screen.ts';

export async function walkthrough(
  book: Notebook,
  engine: Engine,
  io: RunIO,
  /** Declared inputs the run was not given: asked for in one form before the first step. */
  inputs: ResolvedInput[] = [],
  /** With the runbook's render cache (run.ts); else one that renders everything. */
  renderer = new Renderer(terminalRenderOptions(io.stdout, io.env)),
  /**
   * What a resumed run does once the inputs are given, before the first step (steps run again to make
   * withheld values; each is given what it needs first, asked for here): an exit code when that fails.
   */
  ready?: (provide: (step: Step) => Promise<boolean>) => Promise<number | undefined>,
): Promise<number> {
  try {
    return await new Walk(book, engine, io, inputs, renderer, ready).run();
  } finally {
    // What the runbook shows as it is now, for the next walk's first screen.
    const pieces = book.steps.flatMap((s) => firstShowing(s));
    await renderer.save([...pieces, { kind: 'prose', text: book.runbook.epilogue }]);
  }
}

/** A step's moment decides the keys: a step not run, one done, one that just failed. */
type Moment = 'new' | 'done' | 'failed';

class Walk {
  private readonly screen: WalkScreen;
  private readonly paint: Paint;
  private readonly questions: Questions;
  private readonly moves: StepMoves;
  private readonly vars: StepVariables;
  /** After `a`: run the remaining steps without asking (a failure still asks what to do). */
  private auto = false;
  private endShown = false;

  constructor(
    private readonly book: Notebook,
    private readonly engine: Engine,
    private readonly io: RunIO,
    private readonly inputs: ResolvedInput[],
    private readonly renderer: Renderer,
    private readonly ready?: (provide: (step: Step) => Promise<boolean>) => Promise<number | undefined>,
  ) {
    const width = renderer.opts.width - 20;
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
    this.screen = new WalkScreen(io, renderer, book, engine, this.vars);
    this.paint = this.screen.paint;
    this.questions = new Questions(io, this.screen, () => book.changedOnDisk());
    this.moves = new StepMoves(book, engine, io, this.screen, this.questions, this.vars);
  }

  async run(): Promise<number> {
    const untrap = trapSignals((sig) => this.onSignal(sig));
    const unwatch = this.book.watch(() => this.questions.onFileChange());
    this.engine.background.onNotice = (notice) => this.questions.onBackgroundNotice(notice);
    try {
      this.screen.opening();
      if (this.inputs.length && !(await this.moves.askInputs(this.inputs)))
        return this.stop(EXIT.interrupted);
      const failed = await this.ready?.((step) => this.moves.provideMissing(step, step.code));
      if (failed !== undefined) return this.stop(failed);
      for (;;) {
        if (this.questions.stopRequested) return this.stop(EXIT.interrupted);
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
    const questions = this.questions;
    if (sig !== 'SIGINT') questions.terminated = true;
    if (sig === 'EPIPE') this.screen.closed = true;
    if (this.engine.running) {
      this.write(
        this.paint('yellow', `\nrunbook: ${sig === 'SIGINT' ? 'Ctrl-C' : sig}: stopping the step\n`),
      );
      this.engine.interrupt();
    } else if (questions.up) {
      questions.stopRequested = true;
      questions.abort();
    } else if (!this.moves.editing || sig !== 'SIGINT') questions.stopRequested = true;
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
    if (this.moves.justFailed === step.name && (status === 'failed' || status === 'interrupted'))
      return 'failed';
    return status === 'done' ? 'done' : 'new';
  }

  /** Shows the step, asks what to do and does it; an exit code when the walk ends. */
  private async atStep(step: Step): Promise<number | undefined> {
    const cell = this.book.cell(step);
    await this.screen.show(step);
    const moment = this.moment(step);
    if (this.auto && moment !== 'failed') {
      if ((cell.status === 'done' && !cell.stale) || cell.status === 'skipped') {
        this.write(this.paint('dim', `· ${step.index} ${step.name} is ${cellStatus(cell)}; passed over\n`));
        this.book.advance();
        return undefined;
      }
      return this.moves.run(step);
    }
    const stale = cell.stale ? ' (its code changed since)' : '';
    const message =
      moment === 'failed'
        ? `Step ${step.index} ${cell.status}: what now?`
        : moment === 'done'
          ? `Step ${step.index} is done${stale}: run it again?`
          : `Step ${step.index}: run it?`;
    const choice = await this.questions.ask((pio) => chooseStepAction(message, moment, pio), true);
    if (this.questions.fileChanged) return undefined;
    switch (choice) {
      case 'quit':
        return this.stop(quitCode(this.book));
      case 'all':
        this.auto = true;
        return this.moves.run(step);
      case 'run':
        return this.moves.run(step);
      case 'skip':
        await this.moves.skip(step);
        this.book.advance();
        return undefined;
      case 'edit':
        return this.moves.edit(step, moment === 'failed');
      case 'output':
        this.screen.showOutput(cell);
        return undefined;
      default:
        await this.moveTo(choice);
        return undefined;
    }
  }

  /** `g`, `b`, `n`: the person takes the walk elsewhere (and out of `a`). */
  private async moveTo(choice: string): Promise<void> {
    this.auto = false;
    this.moves.justFailed = undefined;
    if (choice === 'back') {
      if (!this.book.back()) this.write(this.paint('dim', 'This is the first step.\n'));
    } else if (choice === 'next') {
      this.book.advance();
    } else if (choice === 'go') {
      const picked = await this.questions.ask(
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
      if (picked !== undefined && !this.questions.fileChanged) this.book.goTo(picked);
    }
  }

  /** The background steps running now, by name. */
  private inBackground(): Set<string> {
    return new Set(this.engine.background.running().map((r) => r.name));
  }

  /** Past the last step: the summary, then finish or go back into the runbook. */
  private async atEnd(): Promise<number | undefined> {
    const walked = this.book.steps.filter((s) => this.book.inWalk(s));
    const results = walked.map((s) => this.engine.result(s));
    if (!this.endShown) {
      this.endShown = true;
      this.screen.forget();
      const last = this.book.steps.at(-1);
      if (last && this.book.inWalk(last)) {
        const text = this.book.runbook.epilogue;
        const epilogue = (await this.renderer.render([{ kind: 'prose', text }])).prose(text);
        if (epilogue) this.write(`\n${epilogue}`);
      }
      this.write(`\n${summaryTable(results, this.book.steps.length, this.paint)}`);
    }
    const message = `End of the runbook (${tally(results, allowedToFail(walked))}): Enter or q finishes`;
    const choice = await this.questions.ask((pio) => chooseStepAction(message, 'end', pio), true);
    if (this.questions.fileChanged) return undefined;
    if (choice === 'finish' || this.questions.stopRequested) {
      return finishWalk(this.book, this.engine, this.screen);
    }
    if (choice === 'output') {
      const ran = this.book.cells().filter((c) => c.runs > 0 || this.inBackground().has(c.step.name));
      const picked = await this.questions.ask(
        (pio) => pickStep('Whose output?', ran, this.paint, pio, undefined, this.inBackground()),
        true,
      );
      const cell = ran.find((c) => c.step.index === picked);
      if (cell) this.screen.showOutput(cell);
      return undefined;
    }
    this.endShown = false;
    await this.moveTo(choice);
    return undefined;
  }

  private stop(exitCode: number): number {
    return stopWalk(this.book, this.engine, this.screen, this.io.stderr, exitCode);
  }

  private write(text: string): void {
    this.screen.write(text);
  }
}
