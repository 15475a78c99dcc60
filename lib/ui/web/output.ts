// Where a step's output goes under `runbook serve`: to the page (through the hub), never to the terminal
// that runs the server. Writing never waits: the hub decides what each page is sent, and only the run's
// size and a bounded tail are kept here. The page's terminal stands in for the person's: shell steps get
// a pseudo-terminal of their own (shell/step-terminal.ts), sized like the page's, fed what is typed there.
import { EventEmitter } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import type { PersonTerminal, StepIO } from '../../core/types.ts';
import { DEFAULT_TAIL_BYTES, TailBuffer } from '../../os/tail.ts';

/** The page's terminal as the step server sees a person's: keys in, a size that can change. */
class PageTerminal extends EventEmitter {
  columns = 100;
  rows = 20;
}

export class OutputSink {
  readonly io: StepIO;
  private readonly keys = new PassThrough();
  private readonly screen = new PageTerminal();
  /** Bytes the current run printed. */
  bytes = 0;
  private tail = new TailBuffer(DEFAULT_TAIL_BYTES);
  private target?: (chunk: Buffer) => void;

  /** `outside` gets what the step shell prints when no step runs (its own start-up errors). */
  constructor(private readonly outside: NodeJS.WritableStream) {
    const stream = () =>
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          this.push(chunk);
          done();
        },
      });
    const terminal = { input: this.keys, output: this.screen } as unknown as PersonTerminal;
    this.io = { stdin: 'ignore', stdout: stream(), stderr: stream(), terminal };
  }

  /** Keys typed into the running step's terminal on the page. */
  type(data: string): void {
    this.keys.write(data);
  }

  /** The page's terminal is `cols` by `rows` now: the step's terminal follows (SIGWINCH). */
  resize(cols: number, rows: number): void {
    const c = Math.floor(cols);
    const r = Math.floor(rows);
    if (!(c >= 2 && c <= 1000 && r >= 2 && r <= 500)) return;
    if (c === this.screen.columns && r === this.screen.rows) return;
    this.screen.columns = c;
    this.screen.rows = r;
    this.screen.emit('resize');
  }

  /** From now on output goes to `target`, counted and tailed afresh. */
  begin(target: (chunk: Buffer) => void): void {
    this.target = target;
    this.bytes = 0;
    this.tail = new TailBuffer(DEFAULT_TAIL_BYTES);
  }

  /** What the running step printed last, so far. */
  tailText(): string {
    return this.target ? this.tail.text() : '';
  }

  /** The run ended: what it printed last (raw bytes, at most the tail's size). */
  end(): Buffer {
    this.target = undefined;
    return Buffer.from(this.tail.text());
  }

  private push(chunk: Buffer): void {
    if (!this.target) {
      this.outside.write(chunk);
      return;
    }
    this.bytes += chunk.length;
    this.tail.push(chunk);
    this.target(chunk);
  }
}
