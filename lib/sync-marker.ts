// The step server writes a marker to stdout and stderr after each step, so the runner knows it has every
// byte the step printed before it reports the step done. This filter removes the marker from the stream,
// holding back a chunk's end only while it could be the start of one.
import { Transform, type TransformCallback } from 'node:stream';

export class MarkerFilter extends Transform {
  private held = Buffer.alloc(0);

  constructor(
    private readonly marker: Buffer,
    private readonly onMarker: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let buf = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    for (let at = buf.indexOf(this.marker); at >= 0; at = buf.indexOf(this.marker)) {
      if (at > 0) this.push(buf.subarray(0, at));
      buf = buf.subarray(at + this.marker.length);
      this.onMarker();
    }
    const keep = this.partialAtEnd(buf);
    if (keep > 0) this.held = Buffer.from(buf.subarray(buf.length - keep));
    if (buf.length - keep > 0) this.push(buf.subarray(0, buf.length - keep));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.held.length) this.push(this.held);
    done();
  }

  /** Length of the longest end of `buf` that begins the marker. */
  private partialAtEnd(buf: Buffer): number {
    const first = this.marker[0] as number;
    const from = Math.max(0, buf.length - this.marker.length + 1);
    for (let i = buf.indexOf(first, from); i >= 0 && i < buf.length; i = buf.indexOf(first, i + 1)) {
      const tail = buf.subarray(i);
      if (this.marker.subarray(0, tail.length).equals(tail)) return tail.length;
    }
    return 0;
  }
}
