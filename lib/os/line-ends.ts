// Where a step's output left the cursor: a step that prints no final newline (`kubectl -o jsonpath`,
// `curl -s`) must not have the runner's next line stuck to its last one. The streams a step writes are
// watched as they are forwarded; the runner asks before it writes its own line after a step.
import { fstatSync } from 'node:fs';

export type StreamName = 'out' | 'err';

export class LineEnds {
  private readonly midLine = { out: false, err: false };
  private last?: StreamName;

  /** `shared`: stdout and stderr go to one place (a terminal, one log), so the last writer decides. */
  constructor(private readonly shared: boolean) {}

  /** A chunk a step wrote to `stream`. */
  readonly saw = (stream: StreamName, chunk: Buffer): void => {
    if (chunk.length === 0) return;
    this.midLine[stream] = chunk[chunk.length - 1] !== 0x0a;
    this.last = stream;
  };

  /** Whether the runner's next line on stderr needs a newline first; from then on it does not. */
  takeMidLine(): boolean {
    const mid = this.shared && this.last ? this.midLine[this.last] : this.midLine.err;
    this.midLine.out = false;
    this.midLine.err = false;
    this.last = undefined;
    return mid;
  }
}

/** Whether two streams write to the same file, pipe or terminal. */
export function sameDestination(a: object, b: object): boolean {
  const [fa, fb] = [(a as { fd?: unknown }).fd, (b as { fd?: unknown }).fd];
  if (typeof fa !== 'number' || typeof fb !== 'number') return true;
  try {
    const [x, y] = [fstatSync(fa), fstatSync(fb)];
    return x.dev === y.dev && x.ino === y.ino && x.rdev === y.rdev;
  } catch {
    return true;
  }
}
