// The live channel's bound, without a browser: what each page is sent of a running step's output.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { Hub } from '../../../lib/ui/web/channel.ts';

/** A page's socket: records what it was sent. */
class FakePage extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  frames: Buffer[] = [];
  messages: { t: string; bytes?: number; tail?: string }[] = [];
  send(data: Buffer | string) {
    if (typeof data === 'string') this.messages.push(JSON.parse(data));
    else this.frames.push(data);
  }
  close() {}
  get outputBytes() {
    return this.frames.reduce((n, f) => n + f.length - 5, 0);
  }
}

const ws = (p: FakePage) => p as unknown as WebSocket;

function setup(window: number) {
  const hub = new Hub(window);
  const slow = new FakePage();
  const fast = new FakePage();
  hub.add(ws(slow));
  hub.add(ws(fast));
  hub.begin('flood', 7);
  return { hub, slow, fast };
}

describe('the live channel', () => {
  it('sends a page no more than the window ahead of what it acknowledged, and counts the rest', () => {
    const { hub, slow, fast } = setup(100_000);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let i = 0; i < 50; i++) {
      // A chunk this large goes out at once; the fast page draws it before the next comes.
      hub.output(chunk);
      hub.ack(ws(fast), chunk.length);
    }
    const dropped = hub.end(Buffer.from('the last line\n'));
    expect(slow.outputBytes).toBeLessThanOrEqual(100_000);
    expect(fast.outputBytes).toBe(50 * chunk.length);
    expect(dropped.get(ws(slow))).toBe(50 * chunk.length - slow.outputBytes);
    expect(dropped.get(ws(fast))).toBe(0);
    // The page that missed the end is sent the last of it.
    const last = slow.messages.at(-1);
    expect(last).toMatchObject({ t: 'dropped', tail: 'the last line\n' });
    expect(fast.messages.filter((m) => m.t === 'dropped')).toEqual([]);
  });

  it('says how much a page missed before it sends it more', () => {
    const { hub, slow } = setup(10);
    hub.output(Buffer.from('0123456789'));
    hub.end(Buffer.alloc(0));
    hub.begin('flood', 8);
    hub.output(Buffer.from('abcdefghijklmnop'));
    hub.end(Buffer.alloc(0));
    expect(slow.outputBytes).toBe(10);
    hub.ack(ws(slow), 10);
    hub.begin('again', 9);
    hub.output(Buffer.from('12345'));
    hub.end(Buffer.from('12345'));
    expect(slow.frames.at(-1)?.subarray(5).toString()).toBe('12345');
    // Frames carry the run they belong to.
    expect(slow.frames.at(-1)?.readUInt32BE(1)).toBe(9);
  });

  it('gathers small chunks into one frame', () => {
    const { hub, fast } = setup(1_000_000);
    for (let i = 0; i < 100; i++) hub.output(Buffer.from('a line of output\n'));
    hub.end(Buffer.alloc(0));
    expect(fast.frames).toHaveLength(1);
    expect(fast.outputBytes).toBe(1700);
  });
});
