// A pseudo-terminal pair for the steps of a walkthrough, from node-pty's prebuilt binding (openpty): the
// runner holds the master, reading what steps print and writing what the person types; the step server
// opens the slave by its path, which makes it the controlling terminal of the server's session (see
// server-script.ts). Loaded only when a walkthrough runs at a terminal.
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import tty from 'node:tty';

interface Binding {
  open(cols: number, rows: number): { master: number; slave: number; pty: string };
  resize(fd: number, cols: number, rows: number): void;
}

let binding: Binding | undefined;

function load(): Binding {
  const require = createRequire(import.meta.url);
  // The package's own loader picks the binary for this platform; its `open()` would read the slave itself.
  const { requireBinary } = require('@lydell/node-pty/requireBinary.js') as {
    requireBinary(file: string): Binding;
  };
  binding ??= requireBinary('pty.node');
  return binding;
}

export class Pty {
  /** The slave's path (/dev/pts/N): what the steps' standard streams are. */
  readonly path: string;
  /** What the steps write to the terminal. */
  readonly output: tty.ReadStream;
  /** The binding's descriptors are inherited by children; the server closes its copies of these. */
  readonly fds: number[];
  private readonly master: number;
  private slave?: number;
  private closed = false;

  constructor(cols: number, rows: number) {
    const pair = load().open(Math.max(1, cols), Math.max(1, rows));
    this.path = pair.pty;
    this.master = pair.master;
    this.slave = pair.slave;
    this.fds = [pair.master, pair.slave];
    this.output = new tty.ReadStream(pair.master);
    // EIO once no process has the slave open any more: the steps' terminal is gone, nothing to report.
    this.output.on('error', () => {});
  }

  /** Types `data` into the terminal, as the person's keyboard would. */
  write(data: Buffer | string): void {
    if (!this.closed) this.output.write(data);
  }

  /** Follows the person's window: the terminal's foreground process group gets SIGWINCH. */
  resize(cols: number, rows: number): void {
    if (!this.closed && cols > 0 && rows > 0) load().resize(this.master, cols, rows);
  }

  /**
   * Lets go of the runner's own slave descriptor, once the server has the terminal open: from then on the
   * terminal ends with the server.
   */
  releaseSlave(): void {
    if (this.slave === undefined) return;
    closeSync(this.slave);
    this.slave = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.releaseSlave();
    this.output.destroy();
  }
}
