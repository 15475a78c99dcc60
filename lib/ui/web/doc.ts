// The runbook as the page shows it: title, prose as HTML, and each step as a cell with its status, code and
// the variables it uses. Pure apart from the variable analysis: the notebook's cells in, plain data out.
// The prose HTML is marked's, unsanitised: the page runs it through DOMPurify before showing it.
import path from 'node:path';
import { Marked } from 'marked';
import type { Runbook, Step, StepResult, StepStatus } from '../../core/types.ts';
import type { VarSources } from '../step-vars.ts';
import { StepVariables } from '../step-vars.ts';
import { runbookTitle } from '../view.ts';
import type { CellView, DocView } from './protocol.ts';

/** One step as the notebook controller reports it (engine/notebook.ts's Cell). */
export interface CellState {
  step: Step;
  status: StepStatus;
  stale: boolean;
  runs: number;
  current: boolean;
  edited: boolean;
  result: StepResult;
}

const markdown = new Marked({ gfm: true });

export function proseHtml(text: string): string {
  if (!text.trim()) return '';
  return markdown.parse(text, { async: false });
}

/** The variables of each step, analysed once per code; values from the live context. */
export class DocBuilder {
  private readonly vars: StepVariables;

  constructor(sources: () => VarSources) {
    this.vars = new StepVariables(sources);
  }

  async cell(state: CellState, code: string): Promise<CellView> {
    const { step, result } = state;
    const vars = await this.vars.views(step, code);
    const view: CellView = {
      index: step.index,
      name: step.name,
      lang: step.kind === 'js' ? 'javascript' : 'bash',
      code,
      proseHtml: proseHtml(step.prose),
      status: state.status,
      stale: state.stale,
      edited: state.edited,
      runs: state.runs,
      attempts: result.attempts,
      durationMs: result.durationMs,
      exitCode: result.exitCode,
      vars: vars.map((v) =>
        v.note ? { ...v, note: 'not set; the page asks for it before the step runs' } : v,
      ),
      current: state.current,
    };
    if (result.message) view.message = result.message;
    return view;
  }

  async doc(runbook: Runbook, file: string, cells: { state: CellState; code: string }[]): Promise<DocView> {
    return {
      title: runbookTitle(runbook, file),
      file: path.basename(file),
      cells: await Promise.all(cells.map((c) => this.cell(c.state, c.code))),
      epilogueHtml: proseHtml(runbook.epilogue),
    };
  }

  /** Names the step reads that nothing provides: the page asks for them before it runs. */
  missing(step: Step, code: string): Promise<string[]> {
    return this.vars.missing(step, code);
  }

  skipWarnings(step: Step, later: Step[]): Promise<string[]> {
    return this.vars.skipWarnings(step, later);
  }
}
