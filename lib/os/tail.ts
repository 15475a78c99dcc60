// A bounded window on a stream: the last bytes of a step's output, for failure summaries and records,
// without ever holding the whole output in memory.
export const DEFAULT_TAIL_BYTES = 64 * 1024;

export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = DEFAULT_TAIL_BYTES) {}

  push(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.limit <= 0) return;
    this.chunks.push(buf);
    this.size += buf.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      this.size -= (this.chunks.shift() as Buffer).length;
    }
    if (this.size > this.limit) {
      const only = this.chunks[0] as Buffer;
      this.chunks = [only.subarray(only.length - this.limit)];
      this.size = this.limit;
    }
  }

  /** The kept bytes as text; a multi-byte character cut at the front is dropped, not mangled. */
  text(): string {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return s.startsWith('\uFFFD') ? s.replace(/^\uFFFD+/, '') : s;
  }
}

/** The last `n` lines of a text. */
export function lastLines(text: string, n: number): string {
  return text.replace(/\n$/, '').split('\n').slice(-n).join('\n');
}

/**
 * An output store for zx that keeps nothing: the runner streams output itself and keeps its own tail, and
 * zx's default store would otherwise hold every byte a step prints.
 */
export function discardingStore() {
  const none = () => ({
    length: 0,
    push: () => 0,
    join: () => '',
    reduce: <T>(_fn: unknown, init: T) => init,
    [Symbol.iterator]: function* (): Generator<string | Buffer> {},
  });
  return { stdout: none(), stderr: none(), stdall: none() };
}
