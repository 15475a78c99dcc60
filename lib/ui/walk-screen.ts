// What the walkthrough writes to the screen: its opening lines, a step drawn once until its code or prose
// changes (the next one rendered ahead meanwhile), a step's output, and nothing at all once the reader of
// stdout is gone. The questions are clack's (walk-questions.ts); this is the rest of what the walk shows.
import type { Writable } from 'node:stream';
import { intro } from '@clack/prompts';
import type { RunIO } from '../core/options.ts';
import { type Paint, painter } from '../core/style.ts';
import type { Step } from '../core/types.ts';
import type { Engine } from '../engine/engine.ts';
import type { Cell, Notebook } from '../engine/notebook.ts';
import { statusBadge } from './outline.ts';
import { outputView } from './output-view.ts';
import { promptOutput } from './prompts.ts';
import type { Renderer } from './renderer.ts';
import { backgroundLines } from './status.ts';
import type { StepVariables } from './step-vars.ts';
import type { RenderOptions } from './text.ts';
import { firstShowing, runbookTitle, stepCount, stepPieces, stepView } from './view.ts';

export class WalkScreen {
  readonly paint: Paint;
  readonly opts: RenderOptions;
  /** Where the questions are drawn: stdout, its colours taken out when there are to be none. */
  readonly output: Writable;
  /** The reader of stdout went away: nothing more is written there. */
  closed = false;
  /** What is on screen: the step (name, code, prose) last shown. */
  private shown?: { name: string; code: string; prose: string };

  constructor(
    private readonly io: RunIO,
    private readonly renderer: Renderer,
    private readonly book: Notebook,
    private readonly engine: Engine,
    private readonly vars: StepVariables,
  ) {
    this.opts = renderer.opts;
    const { color } = this.opts;
    this.paint = painter(color);
    this.output = promptOutput(io.stdout, color);
  }

  /** The walk's first lines: the runbook's title, its steps (and where the walk starts), the keys. */
  opening(): void {
    const first = this.book.current;
    const walked = this.book.steps.filter((s) => this.book.inWalk(s)).length;
    const where = first && first.index > 1 ? `, from step ${first.index} of ${this.book.steps.length}` : '';
    intro(this.paint('bold', runbookTitle(this.book.runbook, this.engine.record.runbook)), {
      output: this.output,
    });
    const keys = 'r run · s skip · e edit · a all · g go to · b back · n next · o output · q quit';
    this.write(this.paint('dim', `${stepCount(walked)}${where} · ${keys}\n`));
  }

  write(text: string): void {
    if (!this.closed) this.io.stdout.write(text);
  }

  /** Shows the step, unless it is what is on screen already (its prose again only when that changed). */
  async show(step: Step): Promise<void> {
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

  /** Something else was written below the step: the next one shown is shown whole. */
  forget(): void {
    this.shown = undefined;
  }

  /** `o`: the step's last output, or a background step's output so far while it runs. */
  showOutput(cell: Cell): void {
    this.write(outputView(cell.result, this.paint, undefined, this.engine.background.log(cell.step.name)));
  }
}
