// Bash names the file it read a command from in its own messages ("FILE: line 47: Some: command not
// found"). For a step that file is the runner's script in the scratch directory, whose lines are the
// runbook's (session-files.ts): this filter puts the runbook in its place, `runbook.md:47: Some: command
// not found`, as JavaScript steps' errors read. Only that exact form is changed; a chunk's end is held
// back only while it could be the start of one.
import { Transform, type TransformCallback } from 'node:stream';

/** Longest step script name plus bash's `: line NNN: `. */
const MAX_TAIL = 160;
const MESSAGE = /^([\w.-]{1,100}\.sh): line (\d{1,9}): /;

export class ScriptNameFilter extends Transform {
  private held = Buffer.alloc(0);
  private readonly prefix: Buffer;

  /** `scripts`: the directory the step scripts are in; `runbook`: the name to show instead. */
  constructor(
    scripts: string,
    private readonly runbook: string,
  ) {
    super();
    this.prefix = Buffer.from(`${scripts}/`);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const buf = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    let from = 0;
    for (let at = buf.indexOf(this.prefix); at >= 0; at = buf.indexOf(this.prefix, at + 1)) {
      const rest = buf.toString('latin1', at + this.prefix.length, at + this.prefix.length + MAX_TAIL);
      const match = MESSAGE.exec(rest);
      if (!match) {
        // Maybe the rest of the message is in the next chunk.
        if (buf.length - at - this.prefix.length < MAX_TAIL && !rest.includes('\n')) {
          this.held = Buffer.from(buf.subarray(at));
          if (at > from) this.push(buf.subarray(from, at));
          done();
          return;
        }
        continue;
      }
      if (at > from) this.push(buf.subarray(from, at));
      this.push(Buffer.from(`${this.runbook}:${match[2]}: `));
      from = at + this.prefix.length + (match[0] as string).length;
      at = from - 1;
    }
    const keep = partialAtEnd(buf, this.prefix, from);
    if (keep > 0) this.held = Buffer.from(buf.subarray(buf.length - keep));
    if (buf.length - keep > from) this.push(buf.subarray(from, buf.length - keep));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.held.length) this.push(this.held);
    done();
  }
}

/** Length of the longest end of `buf` (from `from` on) that begins `prefix`. */
function partialAtEnd(buf: Buffer, prefix: Buffer, from: number): number {
  const first = prefix[0] as number;
  const start = Math.max(from, buf.length - prefix.length + 1);
  for (let i = buf.indexOf(first, start); i >= 0 && i < buf.length; i = buf.indexOf(first, i + 1)) {
    const tail = buf.subarray(i);
    if (prefix.subarray(0, tail.length).equals(tail)) return tail.length;
  }
  return 0;
}
