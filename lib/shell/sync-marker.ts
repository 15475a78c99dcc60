// The step server writes a marker to stdout and stderr after each step, so the runner knows it has every
// byte the step printed before it reports the step done; the one on stdout also carries how the step
// ended. A marker is a fixed prefix (with the run's nonce), a short report, and a NUL. This filter takes
// the markers out of the stream, holding back a chunk's end only while it could be the start of one.
// It can start closed: what comes before a given marker (the server's own start-up) is kept aside, never
// passed on, and serves only to say why a shell did not start.
import { Transform, type TransformCallback } from 'node:stream';
import { TailBuffer } from '../os/tail.ts';

/** Longest report a marker carries; a longer "marker" is output that happens to look like one. */
const MAX_REPORT = 64;

export class MarkerFilter extends Transform {
  private held = Buffer.alloc(0);
  /** What came before the opening marker, when the filter starts closed. */
  readonly discarded = new TailBuffer(4096);

  constructor(
    private readonly prefix: Buffer,
    private readonly onMarker: (report: string) => void,
    /** The report of the marker before which nothing is passed on; undefined: open from the start. */
    private closedUntil?: string,
  ) {
    super();
  }

  private pass(bytes: Buffer): void {
    if (this.closedUntil === undefined) this.push(bytes);
    else this.discarded.push(Buffer.from(bytes));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let buf = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    for (let at = buf.indexOf(this.prefix); at >= 0; at = buf.indexOf(this.prefix, at)) {
      const from = at + this.prefix.length;
      const end = buf.indexOf(0, from);
      if (end < 0 && buf.length - from <= MAX_REPORT) {
        // The report is still coming: keep the marker's start for the next chunk.
        if (at > 0) this.pass(buf.subarray(0, at));
        this.held = Buffer.from(buf.subarray(at));
        done();
        return;
      }
      if (end < 0 || end - from > MAX_REPORT) {
        at = from;
        continue;
      }
      if (at > 0) this.pass(buf.subarray(0, at));
      const report = buf.toString('utf8', from, end);
      buf = buf.subarray(end + 1);
      at = 0;
      if (report === this.closedUntil) this.closedUntil = undefined;
      this.onMarker(report);
    }
    const keep = this.partialAtEnd(buf);
    if (keep > 0) this.held = Buffer.from(buf.subarray(buf.length - keep));
    if (buf.length - keep > 0) this.pass(buf.subarray(0, buf.length - keep));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.held.length) this.pass(this.held);
    done();
  }

  /** Length of the longest end of `buf` that begins the prefix. */
  private partialAtEnd(buf: Buffer): number {
    const first = this.prefix[0] as number;
    const from = Math.max(0, buf.length - this.prefix.length + 1);
    for (let i = buf.indexOf(first, from); i >= 0 && i < buf.length; i = buf.indexOf(first, i + 1)) {
      const tail = buf.subarray(i);
      if (this.prefix.subarray(0, tail.length).equals(tail)) return tail.length;
    }
    return 0;
  }
}
