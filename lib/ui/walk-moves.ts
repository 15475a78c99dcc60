// What the walkthrough's keys do to a step: run it (asking first for the variables it reads that nothing
// has set), edit it (for this run, or saved into the file; retried after a failure), skip it; and the
// declared inputs, asked in one form before step 1. Which key is asked for, and when, is walkthrough.ts's.
import { withValue } from '../core/context.ts';
import { EXIT } from '../core/errors.ts';
import type { ResolvedInput } from '../core/inputs.ts';
import type { RunIO } from '../core/options.ts';
import type { Paint } from '../core/style.ts';
import type { Step } from '../core/types.ts';
import type { Engine, StepRun } from '../engine/engine.ts';
import type { Notebook } from '../engine/notebook.ts';
import { isFlagSet } from '../markdown/attributes.ts';
import { editCode } from './editor.ts';
import { askInputs } from './inputs-form.ts';
import { askValue, chooseEditScope, releaseInput } from './prompts.ts';
import { failureSummary, statusLine } from './status.ts';
import type { StepVariables } from './step-vars.ts';
import { stopWalk } from './walk-end.ts';
import type { Questions } from './walk-questions.ts';
import type { WalkScreen } from './walk-screen.ts';

export class StepMoves {
  /** The step that just failed: it is asked about even after `a`. */
  justFailed?: string;
  /** The editor is open: Ctrl-C is the editor's. */
  editing = false;
  private readonly paint: Paint;

  constructor(
    private readonly book: Notebook,
    private readonly engine: Engine,
    private readonly io: RunIO,
    private readonly screen: WalkScreen,
    private readonly questions: Questions,
    private readonly vars: StepVariables,
  ) {
    this.paint = screen.paint;
  }

  /** `r` (or each step after `a`): an exit code when the walk ends here. */
  async run(step: Step): Promise<number | undefined> {
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
    if (this.questions.terminated || this.questions.stopRequested) return this.stop(EXIT.interrupted);
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
  async edit(step: Step, retry: boolean): Promise<number | undefined> {
    const code = this.book.code(step);
    const edited = await this.editor(step, code);
    if (edited === undefined) return undefined;
    if (edited === code) {
      this.write(this.paint('dim', 'The code is unchanged.\n'));
      return undefined;
    }
    const scope = await this.questions.ask((pio) => chooseEditScope(this.book.name, pio));
    if (scope === 'discard' || this.questions.stopRequested) return undefined;
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
    await this.screen.show(now);
    return retry ? this.run(now) : undefined;
  }

  /** `s`: the step is skipped, with a warning for each later step that reads what it sets. */
  async skip(step: Step): Promise<void> {
    this.book.skip(step);
    this.justFailed = undefined;
    this.write(`${this.paint('yellow', '↷')} ${step.name} skipped\n`);
    for (const warning of await this.vars.skipWarnings(step, this.book.remaining(step))) {
      this.write(this.paint('yellow', `runbook: warning: ${warning}\n`));
    }
  }

  /** The declared inputs, in one form; false when the person cancels it. */
  async askInputs(inputs: ResolvedInput[]): Promise<boolean> {
    const answers = await this.questions.ask((pio) => askInputs(inputs, pio));
    if (!answers || this.questions.stopRequested) return false;
    let context = this.engine.context;
    for (const [name, value] of Object.entries(answers)) context = withValue(context, name, value);
    this.engine.setContext(context);
    return true;
  }

  /** Asks for each variable the step reads that nothing has set, just before it runs. */
  async provideMissing(step: Step, code: string): Promise<boolean> {
    for (const name of await this.vars.missing(step, code)) {
      const why = `Step ${step.index} reads ${name}, which is not set.`;
      const value = await this.questions.ask((pio) => askValue(name, this.engine.secret(name), pio, why));
      if (value === undefined || this.questions.stopRequested) return false;
      this.engine.setContext(withValue(this.engine.context, name, value));
    }
    return true;
  }

  private async execute(step: Step): Promise<StepRun> {
    releaseInput(this.io.stdin);
    this.write(this.paint('dim', `── ${step.name} is running; Ctrl-C stops it ──\n`));
    const run = await this.book.run(step, (attempt, _outcome, why) => {
      this.write(
        `${this.engine.lineBreak()}${this.paint('yellow', `↻ ${step.name} failed (${why}), retry ${attempt}\n`)}`,
      );
    });
    // Output that did not end its last line: the runner's own lines start on one of their own.
    this.write(this.engine.lineBreak());
    for (const note of run.notes) this.write(this.paint('dim', `■ ${note}\n`));
    for (const w of run.warnings) this.write(this.paint('yellow', `runbook: warning: ${step.name}: ${w}\n`));
    this.write(statusLine(run, this.paint));
    return run;
  }

  /** The edited code, or undefined when the editor failed (and said so). */
  private async editor(step: Step, code: string): Promise<string | undefined> {
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

  private stop(exitCode: number): number {
    return stopWalk(this.book, this.engine, this.screen, this.io.stderr, exitCode);
  }

  private write(text: string): void {
    this.screen.write(text);
  }
}
