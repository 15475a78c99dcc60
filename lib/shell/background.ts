// A background step as a process: a bash of its own (the runbook's interpreter line) that takes over the
// carried context the way the step server does (values as data through __rb_restore, the functions, the
// directory), then runs the step. It is its own process group, so ending it ends what it started; its
// output goes to a bounded log, never to the terminal. A watchdog in its group holds the read end of a pipe
// from the runner: should the runner die without ending it (SIGKILL, OOM), the pipe closes and the
// watchdog ends the group.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { encodeContext } from '../core/context.ts';
import { InputError } from '../core/errors.ts';
import type { Context } from '../core/types.ts';
import { endLeftovers, killTree } from '../os/kill.ts';
import { scratchDir } from '../os/scratch.ts';
import { stepFileName } from '../os/state-dir.ts';
import { TailBuffer } from '../os/tail.ts';
import { RESTORE_FUNCTION } from './restore-script.ts';
import { shellArgv } from './shell-line.ts';

/** How much of a background step's output is kept: the log `o` and the records show. */
export const BACKGROUND_LOG_BYTES = 256 * 1024;

export interface BackgroundStart {
  name: string;
  code: string;
  context: Context;
  /** The runbook's interpreter line, `{0}` where the script goes. */
  shellLine: string;
  env: NodeJS.ProcessEnv;
  /**
   * The run's private directory (the session's), to hold this step's files: whoever removes the run's
   * directory (the run, its step server's watcher when the runner is killed, the next run) removes them.
   */
  scratch?: string;
}

export interface BackgroundExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The script the interpreter runs: take over the context, arm the watchdog, then the step. */
function wrapper(dir: string, script: string, hasFunctions: boolean): string {
  const d = quote(dir);
  return `
__rb_flags=\${-//[is]/}
__rb_pipefail=0; [[ -o pipefail ]] && __rb_pipefail=1
set +euxv +o pipefail
( ( command cat <&3 >/dev/null 2>&1; trap '' TERM; rm -rf ${d}
    kill -TERM -- -$$; sleep 3; kill -KILL -- -$$ ) </dev/null >/dev/null 2>&1 & )
exec 3<&-
${RESTORE_FUNCTION}
__rb_restore ${d}/ctx.in
${hasFunctions ? `builtin source ${d}/functions.sh` : ''}
__rb_umask= __rb_opts=
{ IFS= read -r -d '' __rb_cwd; IFS= read -r -d '' __rb_umask; IFS= read -r -d '' __rb_opts; } < ${d}/cwd.in
rm -f ${d}/ctx.in ${d}/functions.sh ${d}/cwd.in
if ! builtin cd -- "$__rb_cwd"; then builtin printf 'runbook: cannot start in %s\\n' "$__rb_cwd" >&2; builtin exit 1; fi
builtin unset -f __rb_restore
if [[ -n $__rb_umask ]]; then builtin umask "$__rb_umask"; fi
builtin set -$__rb_flags
if (( __rb_pipefail )); then builtin set -o pipefail; fi
# Only option lines: the runner writes nothing else there (core/shell-options.ts).
if [[ -n $__rb_opts ]]; then builtin eval "$__rb_opts" 2>/dev/null || :; fi
builtin unset -v __rb_flags __rb_pipefail __rb_cwd __rb_umask __rb_opts
builtin source ${quote(script)}
`;
}

export class BackgroundProcess {
  readonly log = new TailBuffer(BACKGROUND_LOG_BYTES);
  readonly exited: Promise<BackgroundExit>;
  private readonly listeners = new Set<(text: string) => void>();
  private ended?: BackgroundExit;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    for (const stream of [child.stdout, child.stderr] as Readable[]) {
      stream.on('data', (chunk: Buffer) => {
        this.log.push(chunk);
        const text = chunk.toString('utf8');
        for (const listener of this.listeners) listener(text);
      });
    }
    // The watchdog's pipe: never written, closed only when the runner's process is gone.
    child.stdio[3]?.on('error', () => {});
    this.exited = new Promise((resolve) => {
      child.once('exit', (exitCode, signal) => {
        this.ended = { exitCode, signal };
        // Whatever it left in its group (and the watchdog) goes with it.
        if (child.pid) endLeftovers(child.pid);
        rmSync(this.dir, { recursive: true, force: true });
        resolve(this.ended);
      });
    });
  }

  /** Starts the step; throws an InputError when the interpreter cannot be started. */
  static start(opts: BackgroundStart): BackgroundProcess {
    const dir = opts.scratch
      ? mkdtempSync(path.join(opts.scratch, 'bg-'))
      : scratchDir('runbook-bg-', opts.env);
    const script = path.join(dir, stepFileName(opts.name, 'sh'));
    writeFileSync(script, `${opts.code}\n`, { mode: 0o600 });
    writeFileSync(path.join(dir, 'ctx.in'), encodeContext(opts.context), { mode: 0o600 });
    const { cwd, umask, options } = opts.context;
    writeFileSync(path.join(dir, 'cwd.in'), `${cwd}\0${umask ?? ''}\0${options ?? ''}\0`, { mode: 0o600 });
    const hasFunctions = opts.context.functions.trim() !== '';
    if (hasFunctions)
      writeFileSync(path.join(dir, 'functions.sh'), `${opts.context.functions}\n`, { mode: 0o600 });
    const main = path.join(dir, 'background.sh');
    writeFileSync(main, wrapper(dir, script, hasFunctions), { mode: 0o600 });
    const [file, ...args] = shellArgv(opts.shellLine, main) as [string, ...string[]];
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        cwd: dir,
        env: opts.env,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw new InputError(`cannot start background step ${opts.name}: ${(err as Error).message}`);
    }
    const proc = new BackgroundProcess(child, dir);
    child.once('error', () => {});
    return proc;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** How it ended, once it has. */
  get exit(): BackgroundExit | undefined {
    return this.ended;
  }

  /** Calls `listener` with each piece of output from now on; returns the function that stops it. */
  onOutput(listener: (text: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends its whole process tree (SIGTERM, then SIGKILL after a grace) and waits until it has exited. */
  async stop(): Promise<BackgroundExit> {
    if (this.ended) return this.ended;
    if (this.child.pid) await killTree(this.child.pid, 'SIGTERM', 3000);
    return this.exited;
  }

  /** At the runner's own exit, when nothing can be awaited: SIGKILL to the group, at once. */
  killNow(): void {
    if (this.ended || !this.child.pid) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}
