// The step server as a process (started by server-spawn.ts): the steps sent to it, the markers that end
// each one's output, a bounded tail, its events, and its end with its process group. What it runs and what
// it holds is ShellSession's business (session.ts); the script it runs is server-script.ts.
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { InputError } from '../core/errors.ts';
import { endLeftovers } from '../os/kill.ts';
import type { Pty } from '../os/pty.ts';
import { outputSockets } from '../os/run-processes.ts';
import { TailBuffer } from '../os/tail.ts';
import { EventReader } from './events.ts';
import type { OutputHolder } from './server-output.ts';
import { type ServerOptions, type Start, spawnShell } from './server-spawn.ts';
import { startFailure } from './shell-line.ts';

export type { ServerOptions } from './server-spawn.ts';

export class StepServer {
  readonly events: EventReader;
  /** Commands sent: the server counts its subshells the same way, so the count is the next token. */
  sent = 0;
  /** The running step's output, as much as is kept. */
  tail = new TailBuffer(4096);
  /** The token of the step whose end is awaited, and which streams' markers have come for it. */
  private awaited = '';
  private outReport?: string;
  private errDone = false;
  private ttyDone = false;
  /** The steps' terminal, once the server has made it its own (walkthroughs at a terminal). */
  pty?: Pty;
  private offered?: { pty: Pty; stop: () => void };
  private onEnded?: (report: string) => void;

  /** Whether a process other than the server held its output pipes when they were let go. */
  held = false;

  private constructor(
    readonly child: ChildProcess,
    private readonly done: Promise<{ exitCode: number | null }>,
    private readonly opts: ServerOptions,
    private readonly start: Start,
  ) {
    this.events = new EventReader(child.stdio[4] as Readable);
    this.commands.on('error', () => {});
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    this.lifeline.on('error', () => {});
  }

  /** Resolves when the shell's process has exited (its output may still be held open by what it left). */
  readonly exited: Promise<void>;

  private get commands(): Writable {
    return this.child.stdio[3] as Writable;
  }

  /** Never written but `q` (see watcher-script.ts): its end tells the server that the runner is gone. */
  private get lifeline(): Writable {
    return (this.child.stdio as unknown as Writable[])[5] as Writable;
  }

  /** What /proc shows for the server's ends of its output pipes. */
  get outputLinks(): string[] {
    return this.start.links ?? [];
  }

  /** The process groups that are the server's own: its own (with its watcher) and its waiting subshell's. */
  get groups(): number[] {
    return [this.child.pid, this.events.lastReady].filter((g): g is number => g !== undefined);
  }

  /** Starts the process; its first event says whether the shell came up (see `started`). */
  static async spawn(opts: ServerOptions): Promise<StepServer> {
    const holder: OutputHolder & { server?: StepServer } = {};
    const { child, done, start, offered } = await spawnShell(opts, holder);
    holder.server = new StepServer(child, done, opts, start);
    holder.server.offered = offered;
    return holder.server;
  }

  /** Waits for the shell to report its own state; throws with the reason when it could not start. */
  async started(): Promise<void> {
    const event = (await this.events.next()) ?? '';
    const offered = this.offered;
    this.offered = undefined;
    // `snap 0 OUT ERR`, and ` pty` when the server made the steps' terminal its own.
    const [snap, zero, out, err, pty] = event.split(' ');
    if (snap === 'snap' && zero === '0') {
      if (this.child.pid) this.start.links = outputSockets(this.child.pid, [Number(out), Number(err)]);
      if (pty && offered) {
        // The server has the terminal open now; it lasts as long as the server does.
        offered.pty.releaseSlave();
        this.pty = offered.pty;
        this.stopTerminal = offered.stop;
        return;
      }
      offered?.stop();
      return;
    }
    offered?.stop();
    const { exitCode } = await this.done;
    const said = this.start.filters.map((f) => f.discarded.text()).join('\n');
    throw new InputError(
      await startFailure(this.opts, { exitCode, said, spawnError: this.start.spawnError }),
    );
  }

  /**
   * Sends the next step (`file`: its script's name in the session directory; `list`: what its snapshot
   * lists, see ARCHITECTURE.md). Returns its token, and a
   * promise of how it ended ("exit STATUS LEFT", LEFT 1 when its process group still has members) once all
   * the output it wrote has been forwarded: the marker on both streams seen.
   */
  send(file: string, list: string): { token: string; ended: Promise<string> } {
    const token = String(++this.sent);
    this.tail = new TailBuffer();
    this.awaited = token;
    this.outReport = undefined;
    this.errDone = false;
    this.ttyDone = false;
    const ended = new Promise<string>((resolve) => {
      this.onEnded = resolve;
    });
    // Framed by its length (4 digits): the waiting subshell reads it in two calls, not a byte at a time.
    const command = `run ${token} ${file} ${list}`;
    this.commands.write(`${String(command.length).padStart(4, '0')}${command}`);
    return { token, ended };
  }

  /**
   * A marker: "TOKEN exit STATUS LEFT" on stdout, "TOKEN" on stderr and on the steps' terminal; one for
   * another step is ignored.
   */
  marked(stream: 'out' | 'err' | 'tty', report: string): void {
    const [token, ...rest] = report.split(' ');
    if (token !== this.awaited) return;
    if (stream === 'out') this.outReport = rest.join(' ');
    else if (stream === 'err') this.errDone = true;
    else this.ttyDone = true;
    if (this.outReport !== undefined && this.errDone && (this.ttyDone || !this.pty)) {
      this.onEnded?.(this.outReport);
    }
  }

  /**
   * Resolves once what the step wrote before its end marker has gone through the filters to the tail (a
   * slow reader of the runner's output holds it up), or after `ms`.
   */
  async drained(ms = 2000): Promise<void> {
    const deadline = performance.now() + ms;
    const held = () => this.start.streams.some((s) => s.readableLength > 0 || s.writableLength > 0);
    // Each turn lets pending I/O run; nearly always nothing is held and this returns at once.
    while (held() && performance.now() < deadline) await new Promise((r) => setImmediate(r));
  }

  /** The running step's output as kept: a terminal's CRLF line ends read as the LF the step wrote. */
  tailText(): string {
    const text = this.tail.text();
    return this.pty ? text.replace(/\r+\n/g, '\n') : text;
  }

  private stopTerminal?: () => void;

  /**
   * Ends the server: `q` on the life pipe tells its watcher the runner ends it, closing the command pipe
   * ends the subshell it forked for the next step, and its process group (its own: it runs detached) gets
   * SIGTERM, then SIGKILL if it lingers. Its output pipes are let go by `release`.
   */
  end(): Promise<void> {
    this.lifeline.end('q');
    this.commands.destroy();
    if (this.child.pid) endLeftovers(this.child.pid);
    this.offered?.stop();
    this.stopTerminal?.();
    this.pty = undefined;
    return this.exited;
  }

  /**
   * Lets go of the output pipes once they close, or after `ms`: every step's output has come (its markers
   * did), and a process a step left running may hold them open for as long as it lives. Resolves true when
   * something still held them (see os/run-processes.ts for who).
   */
  async release(ms: number): Promise<boolean> {
    const streams = [this.child.stdout, this.child.stderr].filter((s): s is Readable => s !== null);
    const open = () => streams.filter((s) => !s.readableEnded && !s.destroyed);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(open().map((s) => new Promise((r) => s.once('close', r)))),
      new Promise((r) => {
        timer = setTimeout(r, ms);
      }),
    ]);
    clearTimeout(timer);
    const held = open().length > 0;
    for (const s of [...streams, this.child.stdio[4] as Readable | null]) s?.destroy();
    this.held ||= held;
    return held;
  }
}
