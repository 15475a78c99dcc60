// Runs shell steps through zx: one bash per run (the step server, started by zx with the runbook's
// interpreter line), each step a forked subshell of it in a process group of its own. Output streams live
// with only a bounded tail kept; what a step leaves is read from bash's own `declare -p`.
import { type ChildProcess, type SpawnOptions, spawn as spawnChild } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { encodeContext } from './context.ts';
import { EXIT_OLD_BASH } from './context-script.ts';
import { InputError } from './errors.ts';
import { endLeftovers, killTree } from './kill.ts';
import { scratchDir } from './scratch.ts';
import { EventReader, removeFile, type Snapshot, takeSnapshot } from './server-events.ts';
import { SERVER } from './server-script.ts';
import { ShellState } from './step-state.ts';
import { MarkerFilter } from './sync-marker.ts';
import { discardingStore, TailBuffer } from './tail.ts';
import type { Context } from './types.ts';

/** GitHub Actions' default: no profile, no rc files, stop at the first failure, including inside pipes. */
export const DEFAULT_SHELL = 'bash --noprofile --norc -e -o pipefail {0}';

export interface StepIO {
  stdin: 'inherit' | 'ignore';
  stdout: Writable;
  stderr: Writable;
}

export interface ShellStepOptions {
  /** File name for the step's script, so bash's own messages name the step. */
  name: string;
  code: string;
  context: Context;
  io: StepIO;
  /** Ends the step's whole process tree when aborted (Ctrl-C, quit). */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ShellOutcome {
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  tail: string;
  interrupted: boolean;
  timedOut: boolean;
  /** The context after the step, when it succeeded and its shell reported one. */
  context?: Context;
  /** Why variables could not be carried, when the step succeeded but reported nothing. */
  warning?: string;
}

/** Splits a front matter `shell:` line into argv; `{0}` marks where the script goes (appended if absent). */
export function shellArgv(line: string, script: string): string[] {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new InputError('front matter shell: is empty');
  return words.includes('{0}') ? words.map((w) => (w === '{0}' ? script : w)) : [...words, script];
}

let zx: typeof import('zx/core') | undefined;
/** zx's CommonJS build loads in about half the time of its ESM entry, which re-exports the same code. */
function loadZx(): typeof import('zx/core') {
  zx ??= createRequire(import.meta.url)('zx/core') as typeof import('zx/core');
  return zx;
}

interface Server {
  child: ChildProcess;
  events: EventReader;
  commands: Writable;
  /** Commands sent: the server counts its subshells the same way, so the count is the next token. */
  sent: number;
  /** Where this step's output goes, and the markers still awaited for it. */
  tail: TailBuffer;
  markers: number;
  onMarkers?: () => void;
  done: Promise<unknown>;
}

/** One per run: a private directory and the step server, started on the first step. */
export class ShellSession {
  readonly dir: string;
  private server?: Server;
  private baseline?: ShellState;
  private held?: ShellState;
  private readonly nonce = randomBytes(8).toString('hex');
  /** Hand-over files currently in the session directory. */
  private readonly present = new Set<string>();
  /** What cwd.in holds: where steps start until the runner writes it again. */
  private cwdWritten?: string;

  constructor(
    private readonly shellLine: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.dir = scratchDir('runbook-', env);
    writeFileSync(path.join(this.dir, 'server.sh'), SERVER, { mode: 0o600 });
  }

  /** Ends the server (also one still starting) and removes the session directory; safe to call twice. */
  dispose(): void {
    this.disposed = true;
    for (const server of [this.server, this.launching]) if (server) endServer(server.child);
    this.server = undefined;
    this.launching = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private disposed = false;
  /** A server started but not yet ready. */
  private launching?: Server;

  private starting?: Promise<Server>;

  /** Starts the server ahead of the first step: bash starts up while the runner finishes its own start. */
  warmUp(io: StepIO): void {
    if (this.server || this.starting) return;
    this.starting = this.start(io);
    // A failure to start is reported to the step that waits for the server.
    this.starting.catch(() => {});
  }

  async run(opts: ShellStepOptions): Promise<ShellOutcome> {
    let server: Server;
    try {
      server = await (this.starting ?? this.start(opts.io));
    } finally {
      this.starting = undefined;
    }
    const held = this.held as ShellState;
    const file = path.join(this.dir, `${opts.name.replace(/[^\w.-]/g, '_')}.sh`);
    writeFileSync(file, `${opts.code}\n`, { mode: 0o600 });
    const { values, functionsScript } = held.handOver(opts.context);
    // Each hand-over file exists only while it has something in it: most steps need none.
    this.handOver(
      'ctx.in',
      values.unset.length || Object.keys(values.vars).length ? encodeContext(values) : '',
    );
    this.handOver('adopt.sh', `${this.pendingAdopt}${functionsScript}`);
    this.pendingAdopt = '';
    if (opts.context.cwd !== this.cwdWritten) {
      writeFileSync(this.file('cwd.in'), opts.context.cwd, { mode: 0o600 });
      this.cwdWritten = opts.context.cwd;
    }
    const token = String(++server.sent);

    server.tail = new TailBuffer();
    server.markers = 2;
    const flushed = new Promise<void>((resolve) => {
      server.onMarkers = resolve;
    });
    const started = performance.now();
    let pgid: number | undefined;
    let timedOut = false;
    let interrupted = opts.signal?.aborted ?? false;
    const stop = () => {
      if (pgid) void killTree(pgid, 'SIGTERM', 3000);
    };
    const onAbort = () => {
      interrupted = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, opts.timeoutMs)
      : undefined;
    try {
      server.commands.write(`run ${token} ${file}\n`);
      let exitLine: string | undefined;
      for (;;) {
        const event = await server.events.next();
        if (event === undefined || event.startsWith('exit ')) {
          exitLine = event;
          break;
        }
        // The subshell that takes this command was announced when it was forked, maybe before it.
        if (event.startsWith('ready ')) {
          pgid = Number(event.slice(6));
          if (interrupted || timedOut) stop();
        }
      }
      if (exitLine === undefined) {
        if (pgid) endLeftovers(pgid);
        return this.lost(server, started, interrupted, timedOut);
      }
      await flushed;
      const [, status, left] = exitLine.split(' ');
      if (left !== '0' && pgid) endLeftovers(pgid);
      const outcome: ShellOutcome = {
        exitCode: interrupted || timedOut ? null : Number(status),
        signal: null,
        durationMs: performance.now() - started,
        tail: server.tail.text(),
        interrupted,
        timedOut,
      };
      if (outcome.exitCode === 0) {
        this.takeSnapshot(outcome, takeSnapshot(this.dir, token));
      }
      return outcome;
    } finally {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** What the last step changed, for the server to take over before the next one. */
  private pendingAdopt = '';

  private takeSnapshot(outcome: ShellOutcome, snap: Snapshot | undefined): void {
    const held = this.held as ShellState;
    if (!snap) {
      outcome.warning =
        "the step replaced the EXIT trap and exited early (or exec'd another program), so its variables could not be carried";
      return;
    }
    this.pendingAdopt = held.absorb(snap);
    outcome.context = held.context();
  }

  /** The server ended under a step (the step killed it, or it could not start). */
  private lost(server: Server, started: number, interrupted: boolean, timedOut: boolean): ShellOutcome {
    this.server = undefined;
    this.held = undefined;
    this.pendingAdopt = '';
    endServer(server.child);
    return {
      exitCode: interrupted || timedOut ? null : 1,
      signal: null,
      durationMs: performance.now() - started,
      tail: `${server.tail.text()}\nrunbook: the step's shell ended unexpectedly\n`,
      interrupted,
      timedOut,
    };
  }

  private handOver(name: string, content: string | Buffer): void {
    if (content.length) {
      writeFileSync(this.file(name), content, { mode: 0o600 });
      this.present.add(name);
    } else if (this.present.delete(name)) removeFile(this.file(name));
  }

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  /** Starts the server (once, or again after a step took it down) and reads the plain shell's state. */
  private async start(io: StepIO): Promise<Server> {
    if (this.server) return this.server;
    const { $ } = loadZx();
    const argv = shellArgv(this.shellLine, this.file('server.sh'));
    const marker = Buffer.from(`\0RBSYNC${this.nonce}\0`);
    let server: Server | undefined;
    const onMarker = () => {
      if (server && --server.markers === 0) server.onMarkers?.();
    };
    // zx starts the process through this hook: we choose the interpreter's argv ourselves instead of
    // `sh -c` with zx's prefix, add the two command pipes, and forward output with backpressure.
    const spawn = ((_cmd: string, _args: readonly string[], spawnOpts: SpawnOptions) => {
      const [file, ...args] = argv as [string, ...string[]];
      const child = spawnChild(file, args, {
        ...spawnOpts,
        shell: false,
        stdio: [io.stdin, 'pipe', 'pipe', 'pipe', 'pipe'],
      });
      for (const [from, to] of [
        [child.stdout, io.stdout],
        [child.stderr, io.stderr],
      ] as const) {
        const filter = new MarkerFilter(marker, onMarker);
        filter.on('data', (d: Buffer) => server?.tail.push(d));
        from?.pipe(filter).pipe(to, { end: false });
      }
      return child;
    }) as typeof spawnChild;
    const done = $({
      cwd: this.dir,
      env: { ...this.env, __RB_DIR: this.dir, __RB_NONCE: this.nonce },
      spawn,
      detached: true,
      nothrow: true,
      quiet: true,
      verbose: false,
      // biome-ignore lint/suspicious/noExplicitAny: zx types its store as array-like; ours keeps nothing
      store: discardingStore() as any,
    })`${'server'}`;
    const child = (await waitForChild(done)) as ChildProcess;
    if (this.disposed) {
      endServer(child);
      throw new InputError('the run ended before the step shell started');
    }
    server = {
      child,
      events: new EventReader(child.stdio[4] as Readable),
      commands: child.stdio[3] as Writable,
      sent: 0,
      tail: new TailBuffer(4096),
      markers: 0,
      done,
    };
    server.commands.on('error', () => {});
    this.launching = server;
    const plain = (await server.events.next()) === 'snap 0' ? takeSnapshot(this.dir, '0') : undefined;
    this.launching = undefined;
    if (this.disposed) throw new InputError('the run ended before the step shell started');
    if (!plain) {
      const out = await done;
      const why = out.exitCode === EXIT_OLD_BASH ? 'it is not bash 4.4 or newer' : server.tail.text().trim();
      throw new InputError(
        `cannot start the step shell (${this.shellLine}): ${why || `exit ${out.exitCode}`}`,
      );
    }
    const snapshot = new ShellState();
    snapshot.absorb(plain);
    this.baseline ??= snapshot;
    this.held = ShellState.startingFrom(this.baseline);
    this.pendingAdopt = '';
    this.server = server;
    return server;
  }
}

/**
 * Ends a step server: closing the command pipe ends the subshell it forked for the next step, and its
 * process group (its own: it runs detached) gets SIGTERM, then SIGKILL if it lingers.
 */
function endServer(child: ChildProcess): void {
  (child.stdio[3] as Writable | null)?.destroy();
  if (child.pid) endLeftovers(child.pid);
}

/** zx creates the child on the next turn; its ProcessPromise exposes it once running. */
async function waitForChild(p: { child?: ChildProcess }): Promise<ChildProcess | undefined> {
  for (let i = 0; i < 100 && !p.child; i++) await new Promise((r) => setImmediate(r));
  return p.child;
}
