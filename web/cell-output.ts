// A cell's output: the step's terminal (made when first needed) and the line saying how much output the
// page did not show, when it fell behind or the record keeps only a tail. Apart from the cell so the rest
// of the cell (code, buttons, questions) reads on its own.
import { el, formatBytes } from './markup.ts';
import { CellTerminal } from './term.ts';

export class CellOutput {
  private readonly dropped = el('div', { class: 'dropped', 'data-dropped': '', hidden: '' });
  private readonly host = el('div', { class: 'term', hidden: '' });
  readonly root = el('div', { class: 'output', 'data-output': '' }, this.dropped, this.host);
  current?: CellTerminal;
  private droppedBytes = 0;

  constructor(
    private readonly drawn: (bytes: number) => void,
    private readonly keys: (data: string) => void,
  ) {}

  terminal(): CellTerminal {
    this.current ??= new CellTerminal(this.host, this.drawn, this.keys);
    return this.current;
  }

  /** A new run starts: the last output goes, and keys typed go to it. */
  started(focus: boolean): void {
    this.droppedBytes = 0;
    this.dropped.hidden = true;
    const term = this.terminal();
    term.reset();
    term.cursor(true);
    if (focus) term.focus();
  }

  /** The run ended: no cursor in a terminal nobody types into. */
  ended(): void {
    this.current?.cursor(false);
    this.current?.fitRows();
  }

  write(bytes: Uint8Array): void {
    this.terminal().write(bytes);
  }

  /** What an earlier run printed last (the record's tail), with how much of it is not kept. */
  showTail(tail: string, dropped: number): void {
    const term = this.terminal();
    term.reset();
    term.cursor(false);
    if (dropped > 0) this.markDropped(dropped, true);
    term.write(tail, false);
    term.fitRows();
  }

  /** The page fell behind the step: `bytes` were not shown; `tail` is its last output, at its end. */
  droppedOutput(bytes: number, tail?: string): void {
    if (bytes > 0) this.markDropped(bytes, false);
    if (tail) this.terminal().write(tail, false);
  }

  private markDropped(bytes: number, earlier: boolean): void {
    this.droppedBytes += bytes;
    this.terminal().note(`[… ${formatBytes(bytes)} of output not shown …]`);
    this.dropped.hidden = false;
    this.dropped.textContent = earlier
      ? `Only the last of this step's output is kept: ${formatBytes(this.droppedBytes)} earlier not shown.`
      : `${formatBytes(this.droppedBytes)} of this step's output not shown (the page keeps a tail).`;
  }

  resize(): void {
    this.current?.resizeToWidth();
  }
}
