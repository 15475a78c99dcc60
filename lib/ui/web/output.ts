// Where a step's output goes under `runbook serve`: to the page (through the hub), never to the terminal
// that runs the server. Writing never waits: the hub decides what each page is sent, and only the run's
// size and a bounded tail are kept here.
import { Writable } from 'node:stream';
import type { StepIO } from '../../core/types.ts';
import { DEFAULT_TAIL_BYTES, TailBuffer } from '../../os/tail.ts';

export class OutputSink {
  readonly io: StepIO;
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
    this.io = { stdin: 'ignore', stdout: stream(), stderr: stream() };
  }

  /** From now on output goes to `target`, counted and tailed afresh. */
  begin(target: (chunk: Buffer) => void): void {
    this.target = target;
    this.bytes = 0;
    this.tail = new TailBuffer(DEFAULT_TAIL_BYTES);
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
