import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StreamTap } from '../../lib/os/stream-tap.ts';

function tapped(limit?: number) {
  const target = new PassThrough();
  const seen: Buffer[] = [];
  target.on('data', (d: Buffer) => seen.push(d));
  const tap = new StreamTap(target, limit);
  return { tap, shown: () => Buffer.concat(seen).toString() };
}
const flushed = () => new Promise((r) => setImmediate(r));

describe('the stdout tap', () => {
  it('passes everything through', async () => {
    const { tap, shown } = tapped();
    tap.write('a');
    tap.write(Buffer.from('b'));
    await flushed();
    expect(shown()).toBe('ab');
  });
  it('keeps nothing until asked', () => {
    const { tap } = tapped();
    tap.write('before');
    tap.keep();
    tap.write('after');
    expect(tap.take()).toEqual({ text: 'after', overflowed: false });
  });
  it('keeps a fresh copy each time', () => {
    const { tap } = tapped();
    tap.keep();
    tap.write('one');
    tap.take();
    tap.keep();
    tap.write('two');
    expect(tap.take().text).toBe('two');
  });
  it('keeps what was written even before the target took it', () => {
    const target = new PassThrough({ highWaterMark: 1 });
    const tap = new StreamTap(target);
    tap.keep();
    for (let i = 0; i < 100; i++) tap.write(`${i},`);
    expect(tap.take().text.split(',').length).toBe(101);
  });
  it('keeps at most its limit and says it overflowed', () => {
    const { tap } = tapped(4);
    tap.keep();
    tap.write('abc');
    tap.write('def');
    expect(tap.take()).toEqual({ text: 'abcd', overflowed: true });
  });
  it('still passes on what it cannot keep', async () => {
    const { tap, shown } = tapped(2);
    tap.keep();
    tap.write('abcdef');
    await flushed();
    expect(shown()).toBe('abcdef');
  });
  it('drops output once the target fails, without stalling', async () => {
    const target = new PassThrough();
    const tap = new StreamTap(target);
    target.emit('error', new Error('EPIPE'));
    const done = new Promise((r) => tap.write('x', r));
    await expect(done).resolves.toBeNull();
  });
});
