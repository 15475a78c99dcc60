// The step server's process started: bash through zx with the runbook's interpreter line instead of zx's
// `sh -c`, with the command, event and life pipes, and its output forwarded through the end-marker filters
// with backpressure. What the process then does is StepServer's (server-process.ts).
import { type ChildProcess, type SpawnOptions, spawn as spawnChild } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { InputError } from '../core/errors.ts';
import type { StepIO } from '../core/types.ts';
import type { Pty } from '../os/pty.ts';
import { discardingStore } from '../os/tail.ts';
import { type OutputHolder, offerTerminal, stepOutput } from './server-output.ts';
import { shellArgv } from './shell-line.ts';
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
export interface Start {
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

export interface Spawned {
  child: ChildProcess;
  /** zx's promise of the process: how it exited. */
  done: Promise<{ exitCode: number | null }>;
  start: Start;
  /** The steps' terminal offered to the server (a walkthrough at a terminal), until it takes it. */
  offered?: { pty: Pty; stop: () => void };
}

/** Starts the process; `holder.server` gets its output's markers and tail once it is set. */
export async function spawnShell(opts: ServerOptions, holder: OutputHolder): Promise<Spawned> {
  const { $ } = loadZx();
  const argv = shellArgv(opts.shellLine, opts.script, path.dirname(opts.runbook));
  const marker = Buffer.from(`\0RBSYNC${opts.nonce}`);
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
  return { child, done, start, offered };
}

/** zx creates the child on the next turn; its ProcessPromise exposes it once running. */
async function waitForChild(p: { child?: ChildProcess }): Promise<ChildProcess | undefined> {
  for (let i = 0; i < 100 && !p.child; i++) await new Promise((r) => setImmediate(r));
  return p.child;
}
