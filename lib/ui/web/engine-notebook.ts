// A stand-in for the notebook controller (engine/notebook.ts) until it is on main: the engine's steps as
// they were read, run and skipped in place. No file watching and no saving into the file.
import type { Selection } from '../../core/select.ts';
import type { Runbook, Step } from '../../core/types.ts';
import type { Engine, StepRun } from '../../engine/engine.ts';
import type { NotebookPort } from './controller.ts';
import type { CellState } from './doc.ts';

export class EngineNotebook implements NotebookPort {
  constructor(
    private readonly engine: Engine,
    readonly runbook: Runbook,
    readonly file: string,
    private readonly selection: Selection,
  ) {}

  get steps(): Step[] {
    return this.engine.steps;
  }

  step(ref: number | string): Step | undefined {
    if (typeof ref === 'number') return this.steps[ref - 1];
    return this.steps.find((s) => s.name === ref);
  }

  cell(step: Step): CellState {
    const result = this.engine.result(step);
    const runs = result.attempts > 0 ? 1 : 0;
    return { step, status: result.status, stale: false, runs, current: false, edited: false, result };
  }

  code(step: Step): string {
    return step.code;
  }

  run(step: Step, onRetry?: Parameters<Engine['run']>[2]): Promise<StepRun> {
    return this.engine.run(step, step.code, onRetry);
  }

  skip(step: Step): void {
    this.engine.skip(step);
  }

  remaining(step: Step): Step[] {
    return this.selection.selected.filter((s) => s.index > step.index);
  }

  async refresh() {
    return { changed: false, warnings: [] };
  }

  async save(): Promise<{ error: string }> {
    return { error: 'saving into the file needs the notebook controller' };
  }

  watch(): () => void {
    return () => {};
  }
}
