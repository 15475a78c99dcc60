// The markers that end a step's output: taken out of the stream wherever the chunks happen to be cut, with
// the report they carry, and output that merely resembles one passed through.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MarkerFilter } from '../../lib/shell/sync-marker.ts';

const PREFIX = Buffer.from('\0RBSYNCn0nce');

async function filter(chunks: Buffer[]): Promise<{ text: string; reports: string[] }> {
  const reports: string[] = [];
  const f = new MarkerFilter(PREFIX, (r) => reports.push(r));
  const out: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (d: Buffer) => out.push(d));
  f.pipe(sink);
  for (const c of chunks) f.write(c);
  f.end();
  await new Promise((r) => sink.on('end', r));
  return { text: Buffer.concat(out).toString('latin1'), reports };
}

const whole = Buffer.from('before\n\0RBSYNCn0nce\0out\n\0RBSYNCn0nceexit 0 1\0after', 'latin1');

describe('MarkerFilter', () => {
  it('takes out markers and their reports, in one chunk', async () => {
    expect(await filter([whole])).toEqual({ text: 'before\nout\nafter', reports: ['', 'exit 0 1'] });
  });

  it('does the same for every way of cutting the stream in two or three', async () => {
    for (let i = 0; i <= whole.length; i++) {
      for (const j of [i, Math.min(whole.length, i + 7)]) {
        const chunks = [whole.subarray(0, i), whole.subarray(i, j), whole.subarray(j)];
        expect(await filter(chunks)).toEqual({ text: 'before\nout\nafter', reports: ['', 'exit 0 1'] });
      }
    }
  });

  it('passes on output that only begins like a marker, or has no end within a report', async () => {
    const lookalike = Buffer.from(`x\0RBSYNCn0n\0RBSYNCn0nce${'y'.repeat(100)}\0z`, 'latin1');
    expect(await filter([lookalike])).toEqual({ text: lookalike.toString('latin1'), reports: [] });
    const unfinished = Buffer.from('tail \0RBSYNCn0nceexit', 'latin1');
    expect(await filter([unfinished])).toEqual({ text: unfinished.toString('latin1'), reports: [] });
  });
});
