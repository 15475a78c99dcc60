// A pass-through in front of the terminal that can keep a copy of what goes by: a step's standard output
// still streams live while the runner keeps it to compare with the step's output block or to capture it
// into a variable. Nothing is kept unless asked for, and never more than a bound.
import { Writable } from 'node:stream';

/** Most a step's kept output may be: enough for any expected output or captured value a person writes. */
export const TAP_LIMIT = 16 * 1024 * 1024;

export interface Tapped {
  text: string;
  /** More than the limit went by: `text` is only its start. */
  overflowed: boolean;
}

export class StreamTap extends Writable {
  private kept?: Buffer[];
  private size = 0;
  private overflowed = false;
  private broken = false;

  constructor(
    private readonly target: NodeJS.WritableStream,
    private readonly limit = TAP_LIMIT,
  ) {
    super();
    // A closed terminal or pipe must not stall the step: what cannot be shown is dropped.
    target.on('error', () => {
      this.broken = true;
    });
  }

  /** Starts keeping a copy of everything written from now on (a fresh one). */
  keep(): void {
    this.kept = [];
    this.size = 0;
    this.overflowed = false;
  }

  /** Stops keeping, and returns what was kept since keep(). */
  take(): Tapped {
    const text = Buffer.concat(this.kept ?? []).toString('utf8');
    const overflowed = this.overflowed;
    this.kept = undefined;
    this.size = 0;
    return { text, overflowed };
  }

  // Kept as it is written, not as it is forwarded: by the time a step's end is known, all it wrote
  // has been written here, even while the terminal is slow to take it.
  // biome-ignore lint/suspicious/noExplicitAny: Writable.write's own overloads
  override write(chunk: any, encoding?: any, callback?: any): boolean {
    if (this.kept) {
      this.copy(
        typeof chunk === 'string'
          ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
          : chunk,
      );
    }
    return super.write(chunk, encoding, callback);
  }

  private copy(chunk: Buffer): void {
    if (this.overflowed) return;
    const room = this.limit - this.size;
    if (chunk.length > room) {
      this.overflowed = true;
      if (room > 0) (this.kept as Buffer[]).push(Buffer.from(chunk.subarray(0, room)));
      this.size = this.limit;
      return;
    }
    (this.kept as Buffer[]).push(chunk);
    this.size += chunk.length;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.broken) {
      done();
      return;
    }
    if (this.target.write(chunk)) {
      done();
      return;
    }
    // Drained, or closed while waiting (the reader went away): either way the step may write on.
    const go = () => {
      this.target.off('drain', go);
      this.target.off('close', go);
      done();
    };
    this.target.once('drain', go);
    this.target.once('close', go);
  }
}
