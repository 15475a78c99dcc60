// One step as a cell of the page: number, name, status and duration, the code highlighted (or an editor),
// the variables it uses, the questions it needs answered, what a failure came to, the buttons, and its
// output terminal. Stable selectors for automation: data-step, data-status, data-action, data-output.
import type { AskField, CellView } from '../lib/ui/web/protocol.ts';
import { askFields, typedValues } from './ask-fields.ts';
import { CellOutput } from './cell-output.ts';
import { el, formatDuration, highlightBlocks, highlighted, safeHtml } from './markup.ts';
import type { CellTerminal } from './term.ts';

export interface CellActions {
  send(message: import('../lib/ui/web/protocol.ts').ClientMessage): void;
  drawn(bytes: number): void;
  keys(step: string, data: string): void;
}

const STATUS_TEXT: Record<CellView['status'], string> = {
  pending: 'not run',
  running: 'running',
  done: 'done',
  failed: 'failed',
  skipped: 'skipped',
  interrupted: 'interrupted',
};

export class Cell {
  readonly prose = el('section', { class: 'prose' });
  readonly root = el('article', { class: 'cell' });
  view!: CellView;
  private readonly heading = el('header', { class: 'cell-head' });
  private readonly code = el('code', { class: 'hljs' });
  private readonly pre = el('pre', { class: 'code', 'data-code': '' }, this.code);
  private readonly editor = el('textarea', {
    class: 'editor',
    'data-editor': '',
    spellcheck: 'false',
    hidden: '',
  });
  private readonly vars = el('dl', { class: 'vars', 'data-vars': '' });
  private readonly ask = el('div', { class: 'ask', 'data-ask': '', hidden: '' });
  private readonly failure = el('div', { class: 'failure', 'data-failure': '', hidden: '' });
  private readonly notes = el('div', { class: 'cell-notes', 'data-notes': '' });
  private readonly actions = el('div', { class: 'actions' });
  private readonly buttons: Record<string, HTMLButtonElement> = {};
  private readonly out: CellOutput;
  private editing = false;
  /** The file's code the edit started from. */
  private base?: string;
  /** The file's code for the step changed while it was edited: what it is now, until Save is refused once. */
  private newer?: string;
  /** The step running anywhere on the page, if one is. */
  private busy?: string;
  private status: CellView['status'] = 'pending';
  private asking?: { fields: AskField[]; auto: boolean };
  private lastCode?: string;
  private lastProse?: string;

  constructor(
    view: CellView,
    private readonly actions_: CellActions,
  ) {
    this.out = new CellOutput(
      (bytes) => this.actions_.drawn(bytes),
      (data) => this.actions_.keys(this.view.name, data),
    );
    this.root.append(
      this.heading,
      this.pre,
      this.editor,
      this.vars,
      this.ask,
      this.failure,
      this.notes,
      this.actions,
      this.out.root,
    );
    const button = (action: string, label: string, onClick: () => void) => {
      const b = el('button', { type: 'button', 'data-action': action }, label);
      b.addEventListener('click', onClick);
      this.buttons[action] = b;
      this.actions.append(b);
    };
    button('run', 'Run', () => this.run('run'));
    button('run-all', 'Run all from here', () => this.run('runAll'));
    button('skip', 'Skip', () => this.actions_.send({ t: 'skip', step: this.view.name }));
    button('edit', 'Edit', () => this.startEdit());
    button('save', 'Save', () => this.save());
    button('use', 'Use for this run only', () => {
      this.actions_.send({ t: 'edit', step: this.view.name, code: this.editor.value });
      this.stopEdit();
    });
    button('cancel', 'Cancel', () => this.stopEdit());
    button('stop', 'Stop', () => this.actions_.send({ t: 'stop' }));
    this.editor.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 's') {
        e.preventDefault();
        this.buttons.save?.click();
      }
    });
    this.update(view, undefined);
  }

  get name(): string {
    return this.view.name;
  }

  private run(asked: 'run' | 'runAll'): void {
    // Run with these values carries on a run all that stopped to ask, as Enter in a field does.
    const kind = asked === 'run' && this.asking?.auto ? 'runAll' : asked;
    const values = this.asking ? this.answers() : undefined;
    // The step's terminal is sized like this cell's before the step starts (`tput cols` sees it).
    const term = this.out.terminal();
    term.show();
    this.actions_.send({ t: 'resize', ...term.size });
    this.actions_.send(
      values ? { t: kind, step: this.view.name, values } : { t: kind, step: this.view.name },
    );
  }

  update(view: CellView, busy: string | undefined, total = 0): void {
    this.view = view;
    this.busy = busy;
    const running = busy === view.name;
    const status = running ? 'running' : view.status;
    this.status = status;
    this.root.dataset.step = view.name;
    this.root.dataset.status = status;
    this.root.id = `step-${view.index}`;
    this.root.classList.toggle('stale', view.stale);
    this.root.classList.toggle('current', view.current);
    const badges: (Node | string)[] = [];
    if (view.stale)
      badges.push(el('span', { class: 'badge stale', title: 'its code changed since it ran' }, 'stale'));
    if (view.edited) badges.push(el('span', { class: 'badge edited' }, 'edited for this run'));
    if (view.runs > 1) badges.push(el('span', { class: 'badge' }, `ran ${view.runs}×`));
    if (view.attempts > 1 && view.runs <= 1)
      badges.push(el('span', { class: 'badge' }, `${view.attempts} attempts`));
    const took =
      view.status !== 'pending' &&
      view.status !== 'skipped' &&
      view.status !== 'running' &&
      view.attempts > 0;
    this.heading.replaceChildren(
      el('span', { class: 'num' }, `Step ${view.index}${total ? `/${total}` : ''}`),
      el('span', { class: 'name' }, view.name),
      el('span', { class: `status ${status}`, 'data-status-text': '' }, STATUS_TEXT[status]),
      el('span', { class: 'duration', 'data-duration': '' }, took ? formatDuration(view.durationMs) : ''),
      ...badges,
    );
    if (view.proseHtml !== this.lastProse) {
      this.lastProse = view.proseHtml;
      this.prose.replaceChildren(safeHtml(view.proseHtml));
      highlightBlocks(this.prose);
    }
    if (this.editing && this.base !== undefined && view.fileCode !== (this.newer ?? this.base)) {
      this.newer = view.fileCode === this.base ? undefined : view.fileCode;
      if (this.newer !== undefined)
        this.note('warn', 'This step changed in the file while you were editing it; your text is kept.');
    }
    if (view.code !== this.lastCode) {
      this.lastCode = view.code;
      this.code.replaceChildren(highlighted(view.code, view.lang));
    }
    this.vars.replaceChildren(
      ...view.vars.flatMap((v) => [
        el('dt', { 'data-var': v.name }, v.name),
        v.value !== undefined
          ? el('dd', { 'data-value': '' }, v.value)
          : el('dd', { class: 'unset' }, v.note ?? 'not set'),
      ]),
    );
    this.vars.hidden = view.vars.length === 0;
    this.showFailure(view, running);
    this.buttonsFor(status, busy);
  }

  private showFailure(view: CellView, running: boolean): void {
    const failed = !running && (view.status === 'failed' || view.status === 'interrupted');
    this.failure.hidden = !failed;
    if (!failed) return;
    const why =
      view.status === 'interrupted'
        ? 'Interrupted'
        : `Failed: ${view.message ?? `exit code ${view.exitCode}`}`;
    this.failure.replaceChildren(
      el('strong', {}, why),
      ` after ${formatDuration(view.durationMs)}. Fix the cause and Retry, Edit the code, or Skip the step.`,
    );
  }

  private buttonsFor(status: CellView['status'], busy: string | undefined): void {
    const b = this.buttons;
    const idle = busy === undefined;
    const label =
      status === 'failed' || status === 'interrupted' ? 'Retry' : status === 'done' ? 'Re-run' : 'Run';
    (b.run as HTMLButtonElement).textContent = this.asking ? 'Run with these values' : label;
    for (const action of ['run', 'run-all', 'skip']) {
      const button = b[action] as HTMLButtonElement;
      button.disabled = !idle;
      button.hidden = this.editing || status === 'running';
    }
    (b.edit as HTMLButtonElement).hidden = this.editing || status === 'running';
    (b.save as HTMLButtonElement).hidden = !this.editing;
    (b.use as HTMLButtonElement).hidden = !this.editing;
    (b.cancel as HTMLButtonElement).hidden = !this.editing;
    (b.stop as HTMLButtonElement).hidden = status !== 'running';
  }

  /**
   * Saves the edit into the file, unless the file's code for the step changed since the edit began: then
   * nothing is saved, once, and a second Save replaces the file's new code with the edit, knowingly.
   */
  private save(): void {
    if (this.newer !== undefined) {
      this.base = this.newer;
      this.newer = undefined;
      this.note(
        'error',
        "Not saved: this step changed in the file since you began editing it. Your text is kept; Save again to replace the file's new code with it, or Cancel to see the new code.",
      );
      return;
    }
    this.actions_.send({ t: 'save', step: this.view.name, code: this.editor.value, base: this.base });
  }

  startEdit(): void {
    this.editing = true;
    this.newer = undefined;
    this.base = this.view.fileCode;
    this.editor.value = this.view.code;
    this.editor.rows = Math.min(30, Math.max(3, this.view.code.split('\n').length + 1));
    this.editor.hidden = false;
    this.pre.hidden = true;
    this.root.classList.add('editing');
    this.buttonsFor(this.status, this.busy);
    this.editor.focus();
  }

  stopEdit(): void {
    this.editing = false;
    this.editor.hidden = true;
    this.pre.hidden = false;
    this.root.classList.remove('editing');
    this.buttonsFor(this.status, this.busy);
  }

  /** The step needs values nothing has set: fields for them, then Run with them. */
  askFor(fields: AskField[], auto: boolean): void {
    this.asking = { fields, auto };
    this.ask.replaceChildren(...askFields(this.view.index, fields, () => this.run(auto ? 'runAll' : 'run')));
    this.ask.hidden = false;
    this.ask.querySelector('input')?.focus();
    this.buttonsFor(this.status, this.busy);
  }

  /** The values typed in; the fields go. */
  private answers(): Record<string, string> {
    const values = typedValues(this.ask, 'data-ask-name');
    this.asking = undefined;
    this.ask.hidden = true;
    this.ask.replaceChildren();
    return values;
  }

  note(level: string, text: string): void {
    const line = el('p', { class: `note ${level}`, 'data-note': level }, text);
    this.notes.append(line);
    while (this.notes.childElementCount > 5) this.notes.firstElementChild?.remove();
  }

  clearNotes(): void {
    this.notes.replaceChildren();
  }

  saved(): void {
    this.stopEdit();
  }

  /** The terminal of the step's output, once it has one. */
  get terminal(): CellTerminal | undefined {
    return this.out.current;
  }

  /** A new run starts: the last output and notes go, and keys typed go to it. */
  started(focus: boolean): void {
    this.clearNotes();
    this.out.started(focus);
  }

  ended(): void {
    this.out.ended();
  }

  output(bytes: Uint8Array): void {
    this.out.write(bytes);
  }

  showTail(tail: string, dropped: number): void {
    this.out.showTail(tail, dropped);
  }

  droppedOutput(bytes: number, tail?: string): void {
    this.out.droppedOutput(bytes, tail);
  }

  resize(): void {
    this.out.resize();
  }
}
