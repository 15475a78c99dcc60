// What the page's buttons do, on the notebook controller the terminal walkthrough drives too (one engine,
// one context, one run record): run or re-run a step, run all from here (both runs.ts's), skip, save an
// edit into the file, stop, give the declared inputs. Every change goes to every open page (page-sync.ts).
// No HTTP here: messages in, messages out.
import type { WebSocket } from 'ws';
import { withValue } from '../../core/context.ts';
import type { ResolvedInput } from '../../core/inputs.ts';
import type { Step } from '../../core/types.ts';
import type { BackgroundNotice } from '../../engine/background.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Notebook } from '../../engine/notebook.ts';
import type { Hub } from './channel.ts';
import type { DocBuilder } from './doc.ts';
import { checkAnswers } from './inputs.ts';
import type { OutputSink } from './output.ts';
import { PageSync } from './page-sync.ts';
import type { ClientMessage } from './protocol.ts';
import { Runs } from './runs.ts';

export class WebController {
  private readonly pages: PageSync;
  private readonly runs: Runs;
  /** The file changed while a step ran: read it once the step ends. */
  private reloadPending = false;

  constructor(
    private readonly notebook: Notebook,
    private readonly engine: Engine,
    private readonly hub: Hub,
    private readonly sink: OutputSink,
    private readonly docs: DocBuilder,
    /** Declared inputs the run was not given: asked for in one form before any step runs. */
    private inputs: ResolvedInput[] = [],
    /** Run once the inputs are taken, before any step can (a resumed run making withheld values). */
    private readonly ready?: () => Promise<number | undefined>,
  ) {
    this.pages = new PageSync(notebook, hub, sink, docs, () => ({
      busy: this.runs.busy,
      inputs: this.inputs,
    }));
    this.runs = new Runs(notebook, engine, hub, sink, docs, this.pages, () => {
      if (this.reloadPending) void this.reload();
    });
  }

  /** Calls `reload` whenever the file may have changed; returns the stop function. */
  watch(): () => void {
    return this.notebook.watch(() => void this.reload());
  }

  /** A page opened: it gets the whole document, what is running, and each step's last output. */
  async connect(ws: WebSocket): Promise<void> {
    this.hub.add(ws);
    ws.on('message', (data, binary) => {
      if (binary) return;
      let message: ClientMessage;
      try {
        message = JSON.parse(String(data)) as ClientMessage;
      } catch {
        return;
      }
      void this.handle(ws, message).catch((err: Error) => this.notice('error', `runbook: ${err.message}`));
    });
    this.hub.send(ws, await this.pages.docMessage());
  }

  async handle(ws: WebSocket, message: ClientMessage): Promise<void> {
    if (this.runs.closed) return;
    switch (message.t) {
      case 'ack':
        this.hub.ack(ws, message.bytes);
        return;
      case 'input': {
        // Keys for a shell step only: a JavaScript step reads no input, and keys typed meanwhile would
        // wait in the steps' terminal for the next step that reads (a `Delete? [y/N]` answered unseen).
        const running = this.runs.busy && this.notebook.step(this.runs.busy.step);
        if (running && running.kind !== 'js' && typeof message.data === 'string')
          this.sink.type(message.data);
        return;
      }
      case 'resize':
        this.sink.resize(message.cols, message.rows);
        return;
      case 'edit': {
        const step = this.find(message.step);
        if (!step || typeof message.code !== 'string') return;
        if (this.runs.occupied === step.name) {
          this.notice('error', `${step.name} is running; edit it when it has ended`, step.name);
          return;
        }
        this.notebook.edit(step, message.code);
        await this.pages.update();
        return;
      }
      case 'stop':
        this.runs.stop();
        return;
      case 'inputs':
        await this.takeInputs(message.values);
        return;
      case 'run':
      case 'runAll': {
        const step = this.find(message.step);
        if (!step || this.refuseWhileBusy('run', step) || this.refuseBeforeInputs(step)) return;
        this.runs.request(step, message.t === 'runAll', message.values);
        return;
      }
      case 'skip': {
        const step = this.find(message.step);
        if (!step || this.refuseWhileBusy('skip', step) || this.refuseBeforeInputs(step)) return;
        await this.skip(step);
        return;
      }
      case 'save': {
        const step = this.find(message.step);
        if (!step || typeof message.code !== 'string') return;
        if (this.runs.occupied === step.name) {
          this.notice('error', `${step.name} is running; save the edit when it has ended`, step.name);
          return;
        }
        if (typeof message.base === 'string' && message.base !== step.code) {
          this.notice(
            'error',
            `${step.name} changed in ${this.notebook.name} while it was being edited; nothing was saved (the edit is kept on the page)`,
            step.name,
          );
          return;
        }
        await this.save(ws, step, message.code);
        return;
      }
    }
  }

  private find(name: unknown): Step | undefined {
    if (typeof name !== 'string') return undefined;
    const step = this.notebook.step(name);
    if (!step) this.notice('error', `there is no step ${name} (any more)`);
    return step;
  }

  private refuseBeforeInputs(step: Step): boolean {
    if (this.inputs.length === 0) return false;
    this.notice(
      'error',
      `give the runbook's inputs first (the form at the top), then run ${step.name}`,
      step.name,
    );
    return true;
  }

  /** The form's answers: each checked as the terminal's form does; all taken once all are good. */
  private async takeInputs(values: Record<string, string>): Promise<void> {
    if (this.inputs.length === 0 || typeof values !== 'object' || values === null) return;
    const { checked, taken } = checkAnswers(this.inputs, values);
    if (checked.some((i) => i.problem)) {
      this.inputs = checked;
    } else {
      let context = this.engine.context;
      for (const [name, value] of taken) context = withValue(context, name, value);
      this.engine.setContext(context);
      // Steps stay refused (the inputs are not cleared) until what the resume makes again is made.
      const failed = await this.ready?.();
      if (failed !== undefined)
        this.notice(
          'error',
          "a value the run makes again could not be made (see the server's terminal); steps that read it find it unset",
        );
      this.inputs = [];
    }
    await this.pages.broadcastDoc();
  }

  /** A background step ended on its own: every page is told, with its last lines. */
  backgroundEnded(notice: BackgroundNotice): void {
    const how = notice.signal ? `killed by ${notice.signal}` : `exit code ${notice.exitCode}`;
    const last = notice.lastLines.trim() ? `; its last lines:\n${notice.lastLines}` : '; it printed nothing';
    this.notice(
      'error',
      `background step ${notice.step.name} ended on its own (${how})${last}`,
      notice.step.name,
    );
    void this.pages.update();
  }

  private refuseWhileBusy(what: string, step: Step): boolean {
    const busy = this.runs.occupied;
    if (!busy) return false;
    this.notice('error', `cannot ${what} ${step.name}: ${busy} is running`, step.name);
    return true;
  }

  private async skip(step: Step): Promise<void> {
    this.notebook.goTo(step.index);
    this.notebook.skip(step);
    this.notebook.advance();
    const later = this.notebook.remaining(step);
    for (const w of await this.docs.skipWarnings(step, later)) this.notice('warn', w, step.name);
    await this.pages.update();
    this.runs.skipped(step, later);
  }

  /** Saves an edit into the file; only the page that saved it closes its editor (others may be editing). */
  private async save(ws: WebSocket, step: Step, code: string): Promise<void> {
    const saved = await this.notebook.save(step, code);
    if ('error' in saved) {
      this.notice('error', saved.error, step.name);
      await this.pages.broadcastDoc();
      return;
    }
    this.hub.send(ws, { t: 'saved', step: step.name });
    this.notice('info', `${step.name} saved into ${this.notebook.name}`, step.name);
    await this.pages.broadcastDoc();
  }

  /** Reads the file again; a change goes to every page with its one-line notice. */
  async reload(): Promise<void> {
    if (this.runs.closed) return;
    if (this.runs.occupied) {
      this.reloadPending = true;
      return;
    }
    this.reloadPending = false;
    const reload = await this.notebook.refresh();
    if (reload.deferred) {
      this.reloadPending = true;
      return;
    }
    if (reload.notice) this.notice(reload.changed ? 'info' : 'warn', reload.notice);
    for (const w of reload.warnings) this.notice('warn', w);
    if (reload.changed) await this.pages.broadcastDoc();
  }

  notice(level: 'info' | 'warn' | 'error', text: string, step?: string): void {
    this.pages.notice(level, text, step);
  }

  /** Ctrl-C in the server's terminal: the running step's tree is ended, and nothing more starts. */
  async close(why: string): Promise<boolean> {
    const wasRunning = await this.runs.close();
    this.hub.broadcast({ t: 'bye', why });
    return wasRunning;
  }
}
