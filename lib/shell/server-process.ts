// The step server as a process: bash started through zx with the runbook's interpreter line, its output
// forwarded live with a bounded tail, its events read, and ended with its process group. What it runs
// and what it holds is ShellSession's business (session.ts); the script it runs is server-script.ts.
import { type ChildProcess, type SpawnOptions, spawn as spawnChild } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { InputError } from '../core/errors.ts';
import type { StepIO } from '../core/types.ts';
import { endLeftovers } from '../os/kill.ts';
import type { Pty } from '../os/pty.ts';
import { outputSockets } from '../os/run-processes.ts';
import { discardingStore, TailBuffer } from '../os/tail.ts';
import { EventReader } from './events.ts';
import { type OutputHolder, offerTerminal, stepOutput } from './server-output.ts';
import { shellArgv, startFailure } from './shell-line.ts';
import type { MarkerFilter } from './sync-marker.ts';

export interface ServerOptions {
  /** The interpreter line, `{0}` where the script goes. */
  shellLine: string;
  script: string;
  env: NodeJS.ProcessEnv;
  dir: string;
  /** Marks the end of a step's output on stdout and stderr; unguessable, so no output looks like it. */
  nonce: string;
  io: StepIO;
  /** Whether the line is the default one, not the front matter's (for messages). */
  defaultShell: boolean;
  /** The runbook, as bash's messages about a step's lines name it. */
  runbook: string;
}

/** What is known of the start: the filters holding what the shell printed before its marker, a spawn error. */
interface Start {
  filters: MarkerFilter[];
  /** Every stream of the output's way to the person, in order: what is in them has not reached the tail. */
  streams: Array<{ readableLength: number; writableLength: number }>;
  /** How /proc names the server's ends of its output pipes, once it is up. */
  links?: string[];
  /** Why the process could not be started (ENOENT for a shell that is not installed). */
  spawnError?: string;
}

let zx: typeof import('zx/core') | undefined;
/** zx's CommonJS build loads in about half the time of its ESM entry, which re-exports the same code. */
function loadZx(): typeof import('zx/core') {
  zx ??= createRequire(import.meta.url)('zx/core') as typeof import('zx/core');
  return zx;
}

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
    const { $ } = loadZx();
    const argv = shellArgv(opts.shellLine, opts.script, path.dirname(opts.runbook));
    const marker = Buffer.from(`\0RBSYNC${opts.nonce}`);
    const holder: OutputHolder & { server?: StepServer } = {};
    const start: Start = { filters: [], streams: [] };
    const offered = opts.io.terminal ? await offerTerminal(opts, marker, holder) : undefined;
    const ttyEnv = offered ? { __RB_TTY: offered.pty.path, __RB_TTY_FDS: offered.pty.fds.join(' ') } : {};
    // zx starts the process through this hook: we choose the interpreter's argv ourselves instead of
    // `sh -c` with zx's prefix, add the command, event and life pipes, and forward output with
    // backpressure. Nothing passes before the server's marker "0": what a shell prints starting up is ours.
    const spawn = ((_cmd: string, _args: readonly string[], spawnOpts: SpawnOptions) => {
      const [file, ...args] = argv as [string, ...string[]];
      const child = spawnChild(file, args, {
        ...spawnOpts,
        shell: false,
        stdio: [opts.io.stdin, 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
      });
      child.once('error', (err) => {
        start.spawnError = (err as NodeJS.ErrnoException).code ?? err.message;
      });
      for (const [from, to, stream] of [
        [child.stdout, opts.io.stdout, 'out'],
        [child.stderr, opts.io.stderr, 'err'],
      ] as const) {
        const { filter, out } = stepOutput(opts, marker, (r) => holder.server?.marked(stream, r), '0');
        start.filters.push(filter);
        start.streams.push(filter, out);
        out.on('data', (d: Buffer) => {
          holder.server?.tail.push(d);
          opts.io.saw?.(stream, d);
        });
        from?.pipe(filter);
        out.pipe(to, { end: false });
      }
      return child;
    }) as typeof spawnChild;
    const done = $({
      cwd: opts.dir,
      env: {
        ...opts.env,
        ...ttyEnv,
        __RB_DIR: opts.dir,
        __RB_NONCE: opts.nonce,
        __RB_RUNBOOK: opts.runbook,
      },
      spawn,
      detached: true,
      nothrow: true,
      quiet: true,
      verbose: false,
      // biome-ignore lint/suspicious/noExplicitAny: zx types its store as array-like; ours keeps nothing
      store: discardingStore() as any,
    })`${'server'}`;
    const child = await waitForChild(done);
    if (!child) {
      offered?.stop();
      throw new InputError(`cannot start the step shell (${opts.shellLine})`);
    }
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

/** zx creates the child on the next turn; its ProcessPromise exposes it once running. */
async function waitForChild(p: { child?: ChildProcess }): Promise<ChildProcess | undefined> {
  for (let i = 0; i < 100 && !p.child; i++) await new Promise((r) => setImmediate(r));
  return p.child;
}
