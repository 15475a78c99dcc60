// A cell's output as a terminal (xterm.js): ANSI colours drawn, and while its step runs, keys typed into it
// go to the step. Bounded: a fixed scrollback, and the server sends only a window of bytes ahead of what
// has been drawn (each drawn chunk is acknowledged), so a step printing without end never grows the tab.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';

const SCROLLBACK = 2000;
const MAX_ROWS = 20;
const THEME = {
  background: '#1e1e24',
  foreground: '#e4e4e7',
  cursor: '#e4e4e7',
  selectionBackground: '#44475a',
};

/** xterm.js adds style elements at run time: they carry the page's style nonce, which its policy allows. */
export function allowTerminalStyles(): void {
  const nonce = document.querySelector<HTMLMetaElement>('meta[name="runbook-style-nonce"]')?.content;
  if (!nonce) return;
  const create = document.createElement.bind(document);
  document.createElement = ((tag: string, options?: ElementCreationOptions) => {
    const node = create(tag, options);
    if (tag.toLowerCase() === 'style') (node as HTMLStyleElement).nonce = nonce;
    return node;
  }) as typeof document.createElement;
}

export class CellTerminal {
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  private opened = false;
  private rows = 2;

  constructor(
    private readonly host: HTMLElement,
    private readonly onDrawn: (bytes: number) => void,
    onKeys: (data: string) => void,
  ) {
    this.term = new Terminal({
      rows: this.rows,
      cols: 100,
      scrollback: SCROLLBACK,
      // Steps write to pipes: a bare line feed starts a new line, as in a terminal.
      convertEol: true,
      cursorBlink: false,
      disableStdin: false,
      fontSize: 13,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      theme: THEME,
    });
    this.term.loadAddon(this.fit);
    this.term.onData(onKeys);
    // Tab and Escape leave a terminal whose step is not running (no keyboard trap): the browser moves
    // focus on as from any field. A running step gets them, as in a terminal.
    this.term.attachCustomKeyEventHandler((e) => this.live || (e.key !== 'Tab' && e.key !== 'Escape'));
  }

  /** Whether a running step takes this terminal's keys. */
  private live = false;

  /** Puts the terminal on the page (it appears with its first output otherwise). */
  show(): void {
    this.open();
  }

  private open(): void {
    if (this.opened) return;
    this.opened = true;
    this.host.hidden = false;
    this.term.open(this.host);
    this.resizeToWidth();
  }

  /** Columns to the cell's width; rows grow with the output, up to MAX_ROWS. */
  resizeToWidth(): void {
    if (!this.opened) return;
    const cols = this.fit.proposeDimensions()?.cols;
    if (cols && cols > 10 && cols !== this.term.cols) this.term.resize(cols, this.rows);
    this.host.dataset.cols = String(this.term.cols);
  }

  private grow(): void {
    const buffer = this.term.buffer.active;
    const used = buffer.type === 'alternate' ? MAX_ROWS : buffer.baseY + buffer.cursorY + 1;
    const rows = Math.min(MAX_ROWS, Math.max(2, used));
    if (rows > this.rows) {
      this.rows = rows;
      this.term.resize(this.term.cols, rows);
    }
  }

  /** The run ended: as many rows as the output has lines (up to MAX_ROWS), no empty last row. */
  fitRows(): void {
    if (!this.opened) return;
    this.term.write('', () => {
      const buffer = this.term.buffer.active;
      let last = buffer.length - 1;
      while (last > 0 && !buffer.getLine(last)?.translateToString(true).trim()) last--;
      const rows = Math.min(MAX_ROWS, Math.max(1, last + 1));
      if (rows !== this.rows && buffer.length <= MAX_ROWS + 1) {
        this.rows = rows;
        this.term.resize(this.term.cols, rows);
        // The empty line the cursor is on went below the rows; the output itself is above it.
        this.term.scrollToTop();
      }
    });
  }

  /** Output bytes from the step; acknowledged once drawn. */
  write(data: Uint8Array | string, ack = true): void {
    this.open();
    const bytes = typeof data === 'string' ? 0 : data.length;
    this.term.write(data, () => {
      this.grow();
      if (ack && bytes) this.onDrawn(bytes);
    });
  }

  /** A note of the runner's own in the output (dimmed), e.g. how much was not shown. */
  note(text: string): void {
    this.open();
    const buffer = this.term.buffer.active;
    const atLineStart = buffer.cursorX === 0;
    this.write(`${atLineStart ? '' : '\r\n'}\x1b[2m${text}\x1b[0m\r\n`, false);
  }

  /** Shows or hides the cursor (only a running step's terminal takes keys). */
  cursor(show: boolean): void {
    this.live = show;
    if (this.opened || show) this.write(show ? '\x1b[?25h' : '\x1b[?25l', false);
  }

  /** A new run: the last one's output goes. */
  reset(): void {
    this.term.reset();
    this.rows = 2;
    if (this.opened) this.term.resize(this.term.cols, this.rows);
  }

  /** Text as shown, for tests and copying: the visible buffer's lines. */
  text(): string {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n').replace(/\n+$/, '');
  }

  focus(): void {
    this.open();
    this.term.focus();
  }

  get size(): { cols: number; rows: number } {
    return { cols: this.term.cols, rows: MAX_ROWS };
  }
}
