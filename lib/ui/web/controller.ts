// What the page's buttons do, on the notebook controller the terminal walkthrough drives too (one engine,
// one context, one run record): run or re-run a step, run all from here (as `a`: a failure pauses the run
// until the person retries or skips, then it goes on), skip, save an edit into the file, stop, ask for
// variables nothing has set. Every change goes to every open page. No HTTP here: messages in, messages out.
import type { WebSocket } from 'ws';
import { withValue } from '../../core/context.ts';
import { inputProblem, type ResolvedInput } from '../../core/inputs.ts';
import type { Step } from '../../core/types.ts';
import type { BackgroundNotice } from '../../engine/background.ts';
import type { Engine, StepRun } from '../../engine/engine.ts';
import type { Notebook } from '../../engine/notebook.ts';
import { isFlagSet } from '../../markdown/attributes.ts';
import type { Hub } from './channel.ts';
import type { DocBuilder } from './doc.ts';
import type { OutputSink } from './output.ts';
import type { Busy, CellView, ClientMessage, InputField, ServerMessage } from './protocol.ts';

export class WebController {
  private busy?: Busy;
  private runs = 0;
  /** The step a run-all paused at after a failure: retrying or skipping it carries the run on. */
  private pausedAll?: string;
  /** Stop pressed: run all ends after the running step. */
  private stopped = false;
  /** The file changed while a step ran: read it once the step ends. */
  private reloadPending = false;
  /** Bytes each step printed in its last run here, for the "dropped" note of a page drawn later. */
  private readonly printed = new Map<string, number>();
  /** What each page was last sent per cell, to send only what changed. */
  private readonly sent = new Map<string, string>();
  private running?: Promise<void>;
  private closed = false;

  constructor(
    private readonly notebook: Notebook,
    private readonly engine: Engine,
    private readonly hub: Hub,
    private readonly sink: OutputSink,
    private readonly docs: DocBuilder,
    /** Declared inputs the run was not given: asked for in one form before any step runs. */
    private inputs: ResolvedInput[] = [],
  ) {}

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
    this.hub.send(ws, await this.docMessage());
  }

  private async docMessage(): Promise<ServerMessage> {
    const states = this.notebook.steps.map((step) => ({
      state: this.notebook.cell(step),
      code: this.notebook.code(step),
    }));
    const doc = await this.docs.doc(this.notebook.runbook, this.notebook.file, states);
    for (const cell of doc.cells) this.sent.set(cell.name, JSON.stringify(cell));
    const tails: Record<string, string> = {};
    const dropped: Record<string, number> = {};
    for (const { state } of states) {
      const name = state.step.name;
      if (this.busy?.step === name) {
        // A page opened while a step runs sees what it printed so far.
        tails[name] = this.sink.tailText();
        continue;
      }
      if (state.result.tail) tails[name] = state.result.tail;
      const printed = this.printed.get(name) ?? 0;
      const kept = Buffer.byteLength(state.result.tail);
      if (printed > kept) dropped[name] = printed - kept;
    }
    const message: ServerMessage = { t: 'doc', doc, busy: this.busy, tails, dropped };
    if (this.inputs.length) message.inputs = this.inputs.map(inputField);
    return message;
  }

  async handle(ws: WebSocket, message: ClientMessage): Promise<void> {
    if (this.closed) return;
    switch (message.t) {
      case 'ack':
        this.hub.ack(ws, message.bytes);
        return;
      case 'input':
        if (this.busy && typeof message.data === 'string') this.sink.type(message.data);
        return;
      case 'resize':
        this.sink.resize(message.cols, message.rows);
        return;
      case 'edit': {
        const step = this.find(message.step);
        if (!step || typeof message.code !== 'string') return;
        if (this.busy?.step === step.name) {
          this.notice('error', `${step.name} is running; edit it when it has ended`, step.name);
          return;
        }
        this.notebook.edit(step, message.code);
        await this.update();
        return;
      }
      case 'stop':
        this.stopped = true;
        this.pausedAll = undefined;
        this.engine.interrupt();
        return;
      case 'inputs':
        await this.takeInputs(message.values);
        return;
      case 'run':
      case 'runAll': {
        const step = this.find(message.step);
        if (!step || this.refuseWhileBusy('run', step) || this.refuseBeforeInputs(step)) return;
        const auto = message.t === 'runAll' || this.pausedAll === step.name;
        this.pausedAll = undefined;
        this.start(this.runFrom(step, auto, message.values));
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
        if (this.busy?.step === step.name) {
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
        await this.save(step, message.code);
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
    const taken: [string, string][] = [];
    const checked = this.inputs.map((input): ResolvedInput => {
      const raw = values[input.name];
      const value = typeof raw === 'string' && raw !== '' ? raw : (input.spec.default ?? '');
      const problem =
        value === ''
          ? input.spec.required === false
            ? undefined
            : `${input.name} needs a value`
          : inputProblem(input.spec, value);
      if (!problem && value !== '') taken.push([input.name, value]);
      const { problem: _old, ...rest } = input;
      return problem ? { ...rest, problem } : rest;
    });
    if (checked.some((i) => i.problem)) {
      this.inputs = checked;
    } else {
      let context = this.engine.context;
      for (const [name, value] of taken) context = withValue(context, name, value);
      this.engine.setContext(context);
      this.inputs = [];
    }
    await this.broadcastDoc();
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
    void this.update();
  }

  private refuseWhileBusy(what: string, step: Step): boolean {
    if (!this.busy) return false;
    this.notice('error', `cannot ${what} ${step.name}: ${this.busy.step} is running`, step.name);
    return true;
  }

  private start(work: Promise<void>): void {
    this.running = work.finally(() => {
      this.running = undefined;
      this.busy = undefined;
      this.hub.broadcast({ t: 'idle' });
      if (this.reloadPending) void this.reload();
    });
    this.running.catch((err: Error) => this.notice('error', `runbook: ${err.message}`));
  }

  /** Runs `first` and, when `auto`, the steps of the walk after it, until one fails or Stop is pressed. */
  private async runFrom(first: Step, auto: boolean, values?: Record<string, string>): Promise<void> {
    this.stopped = false;
    const queue = auto ? [first, ...this.notebook.remaining(first)] : [first];
    let given = values;
    for (const step of queue) {
      if (this.stopped || this.closed) return;
      if (!(await this.provide(step, auto, given))) return;
      given = undefined;
      const run = await this.runOne(step, auto);
      const { status } = run.result;
      if (status === 'done') continue;
      if (status === 'failed' && isFlagSet(step, 'continue-on-error')) {
        this.notice('warn', `${step.name} failed; continuing (continue-on-error)`, step.name);
        continue;
      }
      if (auto && status === 'failed' && !this.stopped) this.pausedAll = step.name;
      return;
    }
  }

  /** Sets the values the page gave for what the step needs; asks for any still missing. */
  private async provide(step: Step, auto: boolean, values?: Record<string, string>): Promise<boolean> {
    let missing = await this.docs.missing(step, this.notebook.code(step));
    for (const name of missing) {
      const value = values?.[name];
      if (typeof value === 'string') this.engine.setContext(withValue(this.engine.context, name, value));
    }
    missing = missing.filter((name) => typeof values?.[name] !== 'string');
    if (missing.length === 0) return true;
    const fields = missing.map((name) => ({ name, secret: this.engine.secret(name) }));
    this.hub.broadcast({ t: 'ask', step: step.name, fields, auto });
    return false;
  }

  private async runOne(step: Step, auto: boolean): Promise<StepRun> {
    this.notebook.goTo(step.index);
    const run = ++this.runs;
    this.busy = { step: step.name, run, auto };
    this.hub.begin(step.name, run);
    this.sink.begin((chunk) => this.hub.output(chunk));
    const running = this.notebook.run(step, (attempt, outcome) => {
      this.notice('warn', `${step.name} failed (exit ${outcome.exitCode}), retry ${attempt}`, step.name);
    });
    this.hub.broadcast({ t: 'started', step: step.name, run, auto });
    await this.update();
    let result: StepRun;
    try {
      result = await running;
    } finally {
      const tail = this.sink.end();
      this.printed.set(step.name, this.sink.bytes);
      this.hub.end(tail);
    }
    for (const w of result.warnings) this.notice('warn', `${step.name}: ${w}`, step.name);
    // As in the walkthrough, a step that ran is done with: the walk is at the next one.
    if (result.result.status === 'done') this.notebook.advance();
    await this.update();
    return result;
  }

  private async skip(step: Step): Promise<void> {
    this.notebook.goTo(step.index);
    this.notebook.skip(step);
    this.notebook.advance();
    const later = this.notebook.remaining(step);
    for (const w of await this.docs.skipWarnings(step, later)) this.notice('warn', w, step.name);
    await this.update();
    if (this.pausedAll === step.name) {
      this.pausedAll = undefined;
      const next = later[0];
      if (next) this.start(this.runFrom(next, true));
    }
  }

  private async save(step: Step, code: string): Promise<void> {
    const saved = await this.notebook.save(step, code);
    if ('error' in saved) {
      this.notice('error', saved.error, step.name);
      await this.broadcastDoc();
      return;
    }
    this.hub.broadcast({ t: 'saved', step: step.name });
    this.notice('info', `${step.name} saved into ${this.notebook.name}`, step.name);
    await this.broadcastDoc();
  }

  /** Reads the file again; a change goes to every page with its one-line notice. */
  async reload(): Promise<void> {
    if (this.closed) return;
    if (this.busy) {
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
    if (reload.changed) await this.broadcastDoc();
  }

  private async broadcastDoc(): Promise<void> {
    this.hub.broadcast(await this.docMessage());
  }

  /** Sends every cell whose view changed since it was last sent. */
  private async update(): Promise<void> {
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

  /** Ctrl-C in the server's terminal: the running step's tree is ended, and nothing more starts. */
  async close(why: string): Promise<boolean> {
    this.closed = true;
    const wasRunning = this.engine.interrupt();
    await this.running?.catch(() => {});
    this.hub.broadcast({ t: 'bye', why });
    return wasRunning;
  }
}

/** A declared input as the page's form shows it: a secret's default is not sent. */
function inputField(input: ResolvedInput): InputField {
  const { spec } = input;
  const field: InputField = {
    name: input.name,
    secret: spec.secret === true,
    required: spec.required !== false,
  };
  if (spec.description) field.description = spec.description;
  if (spec.default !== undefined && !spec.secret) field.default = spec.default;
  if (spec.pattern) field.pattern = spec.pattern;
  if (input.problem && input.problem !== 'missing') field.problem = input.problem;
  return field;
}
