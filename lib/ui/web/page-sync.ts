// What every open page is sent of the notebook: the whole document when a page opens or the runbook
// changed (with each step's last output, or what the running one printed so far), each cell whose view
// changed since it was last sent, and notices. The pages draw only what they are sent.
import type { ResolvedInput } from '../../core/inputs.ts';
import type { Notebook } from '../../engine/notebook.ts';
import { DEFAULT_TAIL_BYTES } from '../../os/tail.ts';
import type { Hub } from './channel.ts';
import type { DocBuilder } from './doc.ts';
import { inputField } from './inputs.ts';
import type { OutputSink } from './output.ts';
import type { Busy, CellView, ServerMessage } from './protocol.ts';

export class PageSync {
  /** Bytes each step printed in its last run here, for the "dropped" note of a page drawn later. */
  readonly printed = new Map<string, number>();
  /** What each page was last sent per cell, to send only what changed. */
  private readonly sent = new Map<string, string>();

  constructor(
    private readonly notebook: Notebook,
    private readonly hub: Hub,
    private readonly sink: OutputSink,
    private readonly docs: DocBuilder,
    /** What runs now, and the declared inputs still to give, as the controller has them. */
    private readonly now: () => { busy?: Busy; inputs: ResolvedInput[] },
  ) {}

  /** The whole document, with what runs now and the declared inputs still to give. */
  async docMessage(): Promise<ServerMessage> {
    const states = this.notebook.steps.map((step) => ({
      state: this.notebook.cell(step),
      code: this.notebook.code(step),
    }));
    const doc = await this.docs.doc(this.notebook.runbook, this.notebook.file, states);
    for (const cell of doc.cells) this.sent.set(cell.name, JSON.stringify(cell));
    const { busy, inputs } = this.now();
    const tails: Record<string, string> = {};
    const dropped: Record<string, number> = {};
    for (const { state } of states) {
      const name = state.step.name;
      if (busy?.step === name) {
        // A page opened while a step runs sees what it printed so far.
        tails[name] = this.sink.tailText();
        continue;
      }
      if (state.result.tail) tails[name] = state.result.tail;
      // Dropped only when the record's tail is full: what it keeps is redacted and has LF line ends, so it
      // is shorter than what was printed even when it holds all of it.
      const printed = this.printed.get(name) ?? 0;
      const kept = Buffer.byteLength(state.result.tail);
      if (printed > DEFAULT_TAIL_BYTES && printed > kept) dropped[name] = printed - kept;
    }
    const message: ServerMessage = { t: 'doc', doc, busy, tails, dropped };
    if (inputs.length) message.inputs = inputs.map(inputField);
    return message;
  }

  async broadcastDoc(): Promise<void> {
    this.hub.broadcast(await this.docMessage());
  }

  /** Sends every cell whose view changed since it was last sent. */
  async update(): Promise<void> {
    for (const step of this.notebook.steps) {
      const cell: CellView = await this.docs.cell(this.notebook.cell(step), this.notebook.code(step));
      const json = JSON.stringify(cell);
      if (this.sent.get(cell.name) === json) continue;
      this.sent.set(cell.name, json);
      this.hub.broadcast({ t: 'cell', cell });
    }
  }

  notice(level: 'info' | 'warn' | 'error', text: string, step?: string): void {
    this.hub.broadcast(step ? { t: 'notice', level, text, step } : { t: 'notice', level, text });
  }
}
