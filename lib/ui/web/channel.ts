// The live channel's server side: every open page, and a running step's output sent to each with a bound.
// A page is sent at most OUTPUT_WINDOW bytes ahead of what it has drawn (it acknowledges as it draws);
// what comes while it is that far behind is dropped for that page and counted, and when the step ends a
// page that missed its end is sent the last of it. So neither the server nor a tab grows with what a step
// prints, and the step itself never waits for a browser.
import type { WebSocket } from 'ws';
import { OUTPUT_FRAME, OUTPUT_WINDOW, type ServerMessage } from './protocol.ts';

/** One open page. */
class Page {
  /** Output bytes sent and not yet acknowledged. */
  inflight = 0;
  /** Bytes of the current run not sent, since the last ones that were. */
  pendingDrop = 0;
  /** All bytes of the current run not sent. */
  droppedTotal = 0;
  constructor(readonly ws: WebSocket) {}
}

/** The most output one frame carries. */
const FRAME_BYTES = 64 * 1024;
/** How long output is gathered before it goes out: less than a person notices. */
const GATHER_MS = 4;

export class Hub {
  private readonly pages = new Set<Page>();
  private readonly byWs = new Map<WebSocket, Page>();
  private run = 0;
  private step = '';
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushing?: NodeJS.Timeout;

  constructor(private readonly window = OUTPUT_WINDOW) {}

  get size(): number {
    return this.pages.size;
  }

  add(ws: WebSocket): void {
    const page = new Page(ws);
    this.pages.add(page);
    this.byWs.set(ws, page);
    ws.on('close', () => {
      this.pages.delete(page);
      this.byWs.delete(ws);
    });
  }

  send(ws: WebSocket, message: ServerMessage): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  }

  broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const page of this.pages) if (page.ws.readyState === page.ws.OPEN) page.ws.send(text);
  }

  /** The page drew `bytes` more of the output. */
  ack(ws: WebSocket, bytes: number): void {
    const page = this.byWs.get(ws);
    if (page && Number.isFinite(bytes) && bytes > 0) page.inflight = Math.max(0, page.inflight - bytes);
  }

  /** A new run: its output frames carry `run`. */
  begin(step: string, run: number): void {
    this.step = step;
    this.run = run;
    for (const page of this.pages) {
      page.pendingDrop = 0;
      page.droppedTotal = 0;
    }
  }

  /**
   * A chunk of the running step's output. Chunks are gathered into one frame for a few milliseconds (a
   * terminal is read a few kilobytes at a time), up to FRAME_BYTES.
   */
  output(chunk: Buffer): void {
    if (this.pages.size === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= FRAME_BYTES) this.flush();
    else this.flushing ??= setTimeout(() => this.flush(), GATHER_MS);
  }

  /** Sends what was gathered to every page that is not too far behind; the rest is dropped for it. */
  private flush(): void {
    if (this.flushing) clearTimeout(this.flushing);
    this.flushing = undefined;
    if (this.pendingBytes === 0) return;
    const chunk = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    let frame: Buffer | undefined;
    for (const page of this.pages) {
      if (page.ws.readyState !== page.ws.OPEN) continue;
      if (page.inflight + chunk.length > this.window) {
        page.pendingDrop += chunk.length;
        page.droppedTotal += chunk.length;
        continue;
      }
      if (page.pendingDrop > 0) {
        this.send(page.ws, { t: 'dropped', step: this.step, run: this.run, bytes: page.pendingDrop });
        page.pendingDrop = 0;
      }
      frame ??= outputFrame(this.run, chunk);
      page.ws.send(frame, { binary: true });
      page.inflight += chunk.length;
    }
  }

  /**
   * The run ended and `tail` is the last of its output: a page that missed its end gets as much of it as it
   * missed (at most the tail). Returns how much each page dropped in all, by the page's socket.
   */
  end(tail: Buffer): Map<WebSocket, number> {
    this.flush();
    const dropped = new Map<WebSocket, number>();
    for (const page of this.pages) {
      if (page.pendingDrop > 0) {
        const missed = tail.subarray(Math.max(0, tail.length - page.pendingDrop));
        const bytes = page.pendingDrop - missed.length;
        const text = missed.toString('utf8').replace(/^\uFFFD+/, '');
        this.send(page.ws, { t: 'dropped', step: this.step, run: this.run, bytes, tail: text });
        page.pendingDrop = 0;
      }
      dropped.set(page.ws, page.droppedTotal);
    }
    return dropped;
  }

  closeAll(code: number, why: string): void {
    for (const page of this.pages) page.ws.close(code, why);
  }
}

function outputFrame(run: number, chunk: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(5 + chunk.length);
  frame[0] = OUTPUT_FRAME;
  frame.writeUInt32BE(run >>> 0, 1);
  chunk.copy(frame, 5);
  return frame;
}
