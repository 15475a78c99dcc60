// Runs one shell step through zx: bash with the runbook's flags, the carried context restored before the
// step and dumped after it, output streamed live with only a bounded tail kept in memory.
import { type ChildProcess, type SpawnOptions, spawn as spawnChild } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { contextFromDump, type Dump, decodeDump, encodeContext } from './context.ts';
import { EXIT_OLD_BASH, WRAPPER } from './context-script.ts';
import { InputError } from './errors.ts';
import { endLeftovers, killTree } from './kill.ts';
import { discardingStore, TailBuffer } from './tail.ts';
import type { Context } from './types.ts';

let zx: typeof import('zx/core') | undefined;
/** zx's CommonJS build loads in about half the time of its ESM entry, which re-exports the same code. */
function loadZx(): typeof import('zx/core') {
  zx ??= createRequire(import.meta.url)('zx/core') as typeof import('zx/core');
  return zx;
}

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
  /** The context after the step, when it succeeded and its shell dumped one. */
  context?: Context;
  /** Why variables could not be carried, when the step succeeded but no dump came back. */
  warning?: string;
}

/** Splits a front matter `shell:` line into argv; `{0}` marks where the script goes (appended if absent). */
export function shellArgv(line: string, script: string): string[] {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new InputError('front matter shell: is empty');
  return words.includes('{0}') ? words.map((w) => (w === '{0}' ? script : w)) : [...words, script];
}

/** One per run: a private temp directory for the wrapper and the files that carry state. */
export class ShellSession {
  readonly dir: string;
  private baseline?: Dump;

  constructor(
    private readonly shellLine: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'runbook-'));
    writeFileSync(path.join(this.dir, 'wrapper.sh'), WRAPPER, { mode: 0o600 });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  async run(opts: ShellStepOptions): Promise<ShellOutcome> {
    const baseline = await this.getBaseline(opts.context.cwd);
    const file = path.join(this.dir, `${opts.name.replace(/[^\w.-]/g, '_')}.sh`);
    writeFileSync(file, `${opts.code}\n`, { mode: 0o600 });
    const outcome = await this.spawnWrapper(opts, file);
    if (outcome.exitCode === EXIT_OLD_BASH) {
      throw new InputError(`the shell (${this.shellLine}) is not bash 4.4 or newer: ${outcome.tail.trim()}`);
    }
    if (outcome.exitCode !== 0 || outcome.interrupted || outcome.timedOut) return outcome;
    const dumped = this.readDump();
    if (!dumped) {
      outcome.warning =
        "the step replaced the EXIT trap and exited early (or exec'd another program), so its variables could not be carried";
      return outcome;
    }
    outcome.context = contextFromDump(dumped.dump, baseline, dumped.functions);
    return outcome;
  }

  /** What a plain shell holds, so the context is only what steps changed. */
  private async getBaseline(cwd: string): Promise<Dump> {
    if (this.baseline) return this.baseline;
    const sink = new TailBuffer(4096);
    const outcome = await this.spawnWrapper(
      {
        name: 'baseline',
        code: '',
        context: { vars: {}, unset: [], functions: '', cwd },
        io: { stdin: 'ignore', stdout: sink.writable(), stderr: sink.writable() },
      },
      undefined,
    );
    const dumped = outcome.exitCode === 0 ? this.readDump() : undefined;
    if (!dumped) {
      const why = outcome.exitCode === EXIT_OLD_BASH ? 'it is not bash 4.4 or newer' : outcome.tail.trim();
      throw new InputError(
        `cannot start the step shell (${this.shellLine}): ${why || `exit ${outcome.exitCode}`}`,
      );
    }
    this.baseline = dumped.dump;
    return this.baseline;
  }

  private readDump(): { dump: Dump; functions: string } | undefined {
    try {
      const dump = decodeDump(readFileSync(path.join(this.dir, 'ctx.out')));
      const functions = readFileSync(path.join(this.dir, 'fns.out'), 'utf8');
      return { dump, functions };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private async spawnWrapper(opts: ShellStepOptions, stepFile: string | undefined): Promise<ShellOutcome> {
    const { $ } = loadZx();
    rmSync(path.join(this.dir, 'ctx.out'), { force: true });
    rmSync(path.join(this.dir, 'fns.out'), { force: true });
    writeFileSync(path.join(this.dir, 'ctx.in'), encodeContext(opts.context), { mode: 0o600 });
    writeFileSync(path.join(this.dir, 'fns.in'), opts.context.functions, { mode: 0o600 });
    const argv = shellArgv(this.shellLine, path.join(this.dir, 'wrapper.sh'));
    const env: NodeJS.ProcessEnv = { ...this.env, __RB_DIR: this.dir };
    if (stepFile) env.__RB_STEP = stepFile;
    const tail = new TailBuffer();
    let child: ChildProcess | undefined;
    let timedOut = false;
    let interrupted = false;
    const started = performance.now();
    // zx starts the process through this hook: we choose the interpreter's argv ourselves instead of
    // `sh -c` with zx's prefix, and take the child's streams to forward them with backpressure.
    const spawn = ((_cmd: string, _args: readonly string[], spawnOpts: SpawnOptions) => {
      const [file, ...args] = argv as [string, ...string[]];
      child = spawnChild(file, args, { ...spawnOpts, shell: false });
      child.stdout?.pipe(opts.io.stdout, { end: false });
      child.stderr?.pipe(opts.io.stderr, { end: false });
      child.stdout?.on('data', (d: Buffer) => tail.push(d));
      child.stderr?.on('data', (d: Buffer) => tail.push(d));
      // Background jobs a step leaves behind would hold its output open forever; end them with the step.
      child.once('exit', () => {
        if (child?.pid) endLeftovers(child.pid);
      });
      return child;
    }) as typeof spawnChild;
    const stop = (why: 'timeout' | 'abort') => {
      if (why === 'timeout') timedOut = true;
      else interrupted = true;
      if (child?.pid) void killTree(child.pid, 'SIGTERM', 3000);
    };
    const timer = opts.timeoutMs ? setTimeout(() => stop('timeout'), opts.timeoutMs) : undefined;
    const onAbort = () => stop('abort');
    if (opts.signal?.aborted) interrupted = true;
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (interrupted) throw new Error('aborted before start');
      const out = await $({
        cwd: opts.context.cwd,
        env,
        spawn,
        stdio: [opts.io.stdin, 'pipe', 'pipe'],
        detached: true,
        nothrow: true,
        quiet: true,
        verbose: false,
        // biome-ignore lint/suspicious/noExplicitAny: zx types its store as array-like; ours keeps nothing
        store: discardingStore() as any,
      })`${'step'}`;
      return {
        exitCode: out.exitCode,
        signal: out.signal,
        durationMs: performance.now() - started,
        tail: tail.text(),
        interrupted,
        timedOut,
      };
    } catch (err) {
      if (!interrupted) throw err;
      return { exitCode: null, signal: 'SIGINT', durationMs: 0, tail: '', interrupted, timedOut };
    } finally {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }
}
