// The page's script: draws the runbook from what the live channel sends and sends back what the person
// does. The server holds every state (one engine for the page and the terminal); this only shows it.
import type {
  Busy,
  CellView,
  ClientMessage,
  DocView,
  InputField,
  ServerMessage,
} from '../lib/ui/web/protocol.ts';
import { OUTPUT_FRAME } from '../lib/ui/web/protocol.ts';
import { typedValues, valueInput } from './ask-fields.ts';
import { Cell } from './cell.ts';
import { el, highlightBlocks, safeHtml } from './markup.ts';
import { allowTerminalStyles } from './term.ts';

/** Drawn bytes are acknowledged in batches this large (or after a short pause). */
const ACK_BATCH = 64 * 1024;

class Page {
  private readonly ws: WebSocket;
  private readonly cells = new Map<string, Cell>();
  private readonly runs = new Map<number, string>();
  private busy?: Busy;
  private doc?: DocView;
  /** The step whose button this page pressed last: its terminal takes the keyboard when it starts. */
  private pressed?: string;
  private unacked = 0;
  private ackTimer?: number;
  private readonly title = el('h1', { 'data-title': '' });
  private readonly file = el('span', { class: 'file' });
  private readonly connection = el(
    'span',
    { class: 'connection', 'data-connection': 'connecting', role: 'status' },
    'connecting…',
  );
  private readonly notices = el('div', {
    class: 'notices',
    'data-notices': '',
    role: 'log',
    'aria-live': 'polite',
  });
  /** Read out by screen readers: a step's start and end, which a sighted user sees in its cell. */
  private readonly announcer = el('div', { class: 'sr-only', role: 'status', 'data-announce': '' });
  private readonly outline = el('ol', {});
  private readonly main = el('main', { 'data-doc': '' });
  private readonly epilogue = el('section', { class: 'prose epilogue' });
  private readonly inputs = el('form', { class: 'inputs', 'data-inputs': '', hidden: '' });

  constructor(private readonly root: HTMLElement) {
    root.replaceChildren(
      el('header', { class: 'top' }, this.title, this.file, this.connection),
      this.notices,
      this.announcer,
      el(
        'div',
        { class: 'layout' },
        el('nav', { class: 'outline', 'data-outline': '' }, el('h2', {}, 'Steps'), this.outline),
        this.main,
      ),
    );
    this.ws = new WebSocket(`ws://${location.host}/live?token=${encodeURIComponent(pageToken())}`);
    this.ws.binaryType = 'arraybuffer';
    this.ws.addEventListener('open', () => this.setConnection('open', 'connected'));
    this.ws.addEventListener('close', (e) => {
      const why = e.reason ? `disconnected: ${e.reason}` : 'disconnected';
      if (this.connection.dataset.connection !== 'closed') this.setConnection('closed', why);
      if (e.reason) this.notice('warn', why);
      for (const cell of this.cells.values()) cell.root.classList.add('offline');
    });
    this.ws.addEventListener('message', (e) => this.receive(e.data));
    window.addEventListener('resize', () => this.resized());
  }

  private setConnection(state: string, text: string): void {
    this.connection.dataset.connection = state;
    this.connection.textContent = text;
    this.root.dataset.state = state;
  }

  send(message: ClientMessage): void {
    if (message.t === 'run' || message.t === 'runAll' || message.t === 'skip') this.pressed = message.step;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private receive(data: unknown): void {
    if (data instanceof ArrayBuffer) {
      this.output(new Uint8Array(data));
      return;
    }
    const message = JSON.parse(String(data)) as ServerMessage;
    switch (message.t) {
      case 'doc':
        this.drawDoc(message.doc, message.busy, message.tails, message.dropped);
        this.drawInputs(message.inputs);
        return;
      case 'cell':
        this.drawCell(message.cell);
        return;
      case 'started': {
        if (this.busy) this.cells.get(this.busy.step)?.ended();
        this.busy = { step: message.step, run: message.run, auto: message.auto };
        this.runs.clear();
        this.runs.set(message.run, message.step);
        this.cells.get(message.step)?.started(this.pressed === message.step);
        this.announce(message.step, 'running');
        this.redrawAll();
        return;
      }
      case 'idle':
        if (this.busy) this.cells.get(this.busy.step)?.ended();
        this.busy = undefined;
        this.redrawAll();
        return;
      case 'dropped':
        this.cells.get(message.step)?.droppedOutput(message.bytes, message.tail);
        return;
      case 'ask': {
        const cell = this.cells.get(message.step);
        cell?.askFor(message.fields, message.auto);
        cell?.root.scrollIntoView({ block: 'center' });
        return;
      }
      case 'notice':
        this.notice(message.level, message.text, message.step);
        return;
      case 'saved':
        this.cells.get(message.step)?.saved();
        return;
      case 'bye':
        this.setConnection('closed', `the server stopped (${message.why})`);
        this.notice('warn', `runbook serve stopped (${message.why}); start it again to go on`);
        return;
    }
  }

  private output(frame: Uint8Array): void {
    if (frame[0] !== OUTPUT_FRAME || frame.length < 5) return;
    const run = new DataView(frame.buffer, frame.byteOffset + 1, 4).getUint32(0);
    const step = this.runs.get(run);
    const cell = step ? this.cells.get(step) : undefined;
    const bytes = frame.subarray(5);
    if (cell) cell.output(bytes);
    else this.drawn(bytes.length);
  }

  /** Acknowledges drawn output so the server sends more. */
  drawn(bytes: number): void {
    this.unacked += bytes;
    if (this.unacked >= ACK_BATCH) this.flushAcks();
    else this.ackTimer ??= window.setTimeout(() => this.flushAcks(), 30);
  }

  private flushAcks(): void {
    if (this.ackTimer !== undefined) window.clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.unacked > 0) this.send({ t: 'ack', bytes: this.unacked });
    this.unacked = 0;
  }

  private drawDoc(
    doc: DocView,
    busy: Busy | undefined,
    tails: Record<string, string>,
    dropped: Record<string, number>,
  ): void {
    this.doc = doc;
    this.busy = busy;
    if (busy) this.runs.set(busy.run, busy.step);
    document.title = `${doc.title} · runbook`;
    this.title.textContent = doc.title;
    this.file.textContent = doc.file;
    const names = new Set(doc.cells.map((c) => c.name));
    for (const [name, cell] of this.cells) {
      if (!names.has(name)) {
        cell.prose.remove();
        cell.root.remove();
        this.cells.delete(name);
      }
    }
    const order: Node[] = [];
    for (const view of doc.cells) {
      let cell = this.cells.get(view.name);
      if (!cell) {
        cell = new Cell(view, {
          send: (m) => this.send(m),
          drawn: (n) => this.drawn(n),
          keys: (step, data) => {
            if (this.busy?.step === step) this.send({ t: 'input', data });
          },
        });
        this.cells.set(view.name, cell);
        const tail = tails[view.name];
        if (tail) cell.showTail(tail, dropped[view.name] ?? 0);
      }
      cell.update(view, busy?.step, doc.cells.length);
      order.push(cell.prose, cell.root);
    }
    this.epilogue.replaceChildren(safeHtml(doc.epilogueHtml));
    highlightBlocks(this.epilogue);
    this.main.replaceChildren(this.inputs, ...order, this.epilogue);
    this.drawOutline();
  }

  /** The runbook's declared inputs not given yet: one form, as the terminal asks before step 1. */
  private drawInputs(fields: InputField[] | undefined): void {
    this.inputs.hidden = !fields?.length;
    if (!fields?.length) {
      this.inputs.replaceChildren();
      return;
    }
    const typed = typedValues(this.inputs, 'data-input-name');
    const rows = fields.map((f) => {
      const input = valueInput(f.name, f.secret, 'data-input-name');
      if (f.default !== undefined) input.placeholder = f.default;
      // Own keys only: an input may be named `constructor`.
      input.value = Object.hasOwn(typed, f.name) ? (typed[f.name] as string) : '';
      const about = [f.description, f.required ? '' : 'optional', f.pattern ? `matches ${f.pattern}` : '']
        .filter(Boolean)
        .join(' · ');
      const row = el('label', {}, el('span', { class: 'input-name' }, f.name), input, el('small', {}, about));
      if (f.problem) row.append(el('strong', { class: 'problem', 'data-problem': '' }, f.problem));
      return row;
    });
    const count = fields.length === 1 ? '1 input' : `${fields.length} inputs`;
    const submit = el('button', { type: 'submit', 'data-action': 'inputs' }, 'Use these values');
    this.inputs.replaceChildren(el('h2', {}, `This runbook takes ${count}`), ...rows, submit);
    this.inputs.onsubmit = (e) => {
      e.preventDefault();
      this.send({ t: 'inputs', values: typedValues(this.inputs, 'data-input-name') });
    };
  }

  private drawCell(view: CellView): void {
    if (!this.doc) return;
    const i = this.doc.cells.findIndex((c) => c.name === view.name);
    const before = i >= 0 ? this.doc.cells[i]?.status : undefined;
    if (i >= 0) this.doc.cells[i] = view;
    if (before !== undefined && before !== view.status && view.status !== 'running') {
      this.announce(view.name, view.message ? `${view.status}, ${view.message}` : view.status);
    }
    this.cells.get(view.name)?.update(view, this.busy?.step, this.doc.cells.length);
    this.drawOutline();
  }

  private announce(step: string, what: string): void {
    const view = this.doc?.cells.find((c) => c.name === step);
    if (view) this.announcer.textContent = `Step ${view.index} ${view.name}: ${what}`;
  }

  private redrawAll(): void {
    if (!this.doc) return;
    for (const view of this.doc.cells)
      this.cells.get(view.name)?.update(view, this.busy?.step, this.doc.cells.length);
    this.drawOutline();
  }

  private drawOutline(): void {
    if (!this.doc) return;
    this.outline.replaceChildren(
      ...this.doc.cells.map((view) => {
        const status = this.busy?.step === view.name ? 'running' : view.status;
        const link = el(
          'a',
          { href: `#step-${view.index}` },
          el('span', { class: 'mark' }),
          `${view.index} ${view.name}`,
        );
        const item = el('li', { 'data-outline-step': view.name, 'data-status': status }, link);
        if (view.stale) item.classList.add('stale');
        if (view.current) item.classList.add('current');
        return item;
      }),
    );
  }

  private notice(level: string, text: string, step?: string): void {
    const cell = step ? this.cells.get(step) : undefined;
    if (cell) cell.note(level, text);
    const line = el('p', { class: `notice ${level}`, 'data-notice': level }, text);
    const close = el('button', { type: 'button', class: 'close', title: 'dismiss' }, '×');
    close.addEventListener('click', () => line.remove());
    line.append(close);
    this.notices.append(line);
    while (this.notices.childElementCount > 6) this.notices.firstElementChild?.remove();
  }

  private resized(): void {
    for (const cell of this.cells.values()) cell.resize();
    const running = this.busy ? this.cells.get(this.busy.step)?.terminal : undefined;
    if (running) this.send({ t: 'resize', ...running.size });
  }
}

allowTerminalStyles();
const root = document.getElementById('app');
if (root) new Page(root);

/**
 * The token the printed URL carries: kept in this tab's session storage (its origin's alone, port and all;
 * a cookie would go to every port of the host) and taken out of the address bar and the history, so that
 * a reload still has it and the URL shown holds no secret.
 */
function pageToken(): string {
  const key = 'runbook-token';
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  if (given) {
    sessionStorage.setItem(key, given);
    url.searchParams.delete('token');
    history.replaceState(null, '', `${url.pathname}${url.search}${url.hash}`);
  }
  return sessionStorage.getItem(key) ?? '';
}
