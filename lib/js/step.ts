// Runs one JavaScript step as a zx script in its own Node process (child.ts), in its own process
// group like a shell step, so a timeout or Ctrl-C ends everything it started. The context goes in and comes
// back as JSON data in a private directory; output is streamed live with only a bounded tail kept.
//
// Starting Node and zx/core is most of what a JS step costs, so while one JS step runs the next one's
// process is started and left waiting (a spare): it gets its step's environment and directory with the go,
// and is used only when what Node and zx read once at start-up (NODE_*, locale, colour, PATH) is the same.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sameVar, validateContext } from '../core/context.ts';
import { InputError } from '../core/errors.ts';
import type { Context, Step, StepIO, StepOutcome } from '../core/types.ts';
import { endLeftovers, killTree } from '../os/kill.ts';
import { SPARE_MARK } from '../os/run-processes.ts';
import { stepFileName } from '../os/state-dir.ts';
import { watchStep } from '../os/step-watch.ts';
import { TailBuffer } from '../os/tail.ts';
import type { JsStepInput } from './child.ts';
import { guardGroup } from './group-guard.ts';
import { type JsStepResult, mergeJsResult } from './vars-object.ts';

export interface JsStepOptions {
  step: Step;
  code: string;
  context: Context;
  io: StepIO;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** The runner's environment (default process.env); steps see it minus the context's unset names. */
  env?: NodeJS.ProcessEnv;
  /** The runbook's file, to show error locations as file:line. */
  file?: string;
  /** The run's private directory, which its step server removes even when the runner is killed. */
  scratch?: string;
}

/** How long to wait for the output pipes to close after the child exits (a detached grandchild may hold them). */
const DRAIN_MS = 2000;

/** The compiled child next to this module; from the sources (tests), the built one. */
function childScript(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = path.join(path.dirname(here), 'child.js');
  if (!here.endsWith('.ts') || existsSync(sibling)) return sibling;
  return path.resolve(path.dirname(here), '../../dist/js/child.js');
}

/** The step's environment: the runner's, without what steps unset, with the exported carried scalars. */
function stepEnv(env: NodeJS.ProcessEnv, context: Context): Record<string, string> {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of context.unset) delete out[name];
  for (const [name, v] of Object.entries(context.vars)) {
    if (v.type === 'scalar' && v.attrs.includes('x') && !v.attrs.includes('n') && !v.declared)
      out[name] = v.value;
  }
  // As a shell that starts in (or cd's to) the step's directory would have it.
  if (out.PWD !== undefined) out.PWD = context.cwd;
  for (const name of Object.keys(out)) if (out[name] === undefined) delete out[name];
  return out as Record<string, string>;
}

/** Names Node, chalk or zx read once when they start; a spare started with other values is not used. */
const READ_AT_START = /^(NODE_.*|UV_.*|LC_.*|LANG|LANGUAGE|TZ|PATH|TERM|COLORTERM|FORCE_COLOR|NO_COLOR|CI)$/;

interface Spare {
  child: ChildProcess;
  stdin: StepIO['stdin'];
  env: Record<string, string>;
}

let spare: Spare | undefined;

function startChild(stdin: StepIO['stdin'], env: NodeJS.ProcessEnv, cwd: string): ChildProcess {
  const child = spawn(process.execPath, [childScript()], {
    cwd,
    env,
    stdio: [stdin, 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  // A child that died before its go makes the write fail; its exit says what happened.
  child.stdio[3]?.on('error', () => {});
  return child;
}

function handles(child: ChildProcess): Array<{ ref(): unknown; unref(): unknown }> {
  return [child, ...[child.stdout, child.stderr, child.stdio[3]].filter(Boolean).map((s) => s as Socket)];
}

function fits(s: Spare, stdin: StepIO['stdin'], env: Record<string, string>): boolean {
  if (s.stdin !== stdin || s.child.exitCode !== null || s.child.signalCode !== null) return false;
  const names = new Set([...Object.keys(s.env), ...Object.keys(env)]);
  return [...names].every((n) => !READ_AT_START.test(n) || s.env[n] === env[n]);
}

/** The process for a step: the waiting spare if it fits, else a new one. */
function takeChild(stdin: StepIO['stdin'], env: Record<string, string>, cwd: string): ChildProcess {
  const s = spare;
  spare = undefined;
  let usable = false;
  try {
    usable = s !== undefined && fits(s, stdin, env) && statSync(cwd).isDirectory();
  } catch {
    // A missing directory: a new process reports it as it starts.
  }
  if (s && usable) {
    for (const h of handles(s.child)) h.ref();
    return s.child;
  }
  if (s) s.child.kill('SIGKILL');
  return startChild(stdin, env, cwd);
}

/** Starts the next step's process now, so it is ready when that step comes; it never holds the runner up. */
function prepareSpare(stdin: StepIO['stdin'], env: Record<string, string>, cwd: string): void {
  let child: ChildProcess;
  try {
    child = startChild(stdin, { ...env, [SPARE_MARK]: '1' }, cwd);
  } catch {
    return;
  }
  const forget = () => {
    if (spare?.child === child) spare = undefined;
  };
  child.once('error', forget);
  child.once('exit', forget);
  // Unused at the end of the run, it sees fd 3 close when the runner exits, and ends.
  for (const h of handles(child)) h.unref();
  spare = { child, stdin, env };
}

export async function runJsStep(opts: JsStepOptions): Promise<StepOutcome> {
  const { step, context } = opts;
  const runnerEnv = opts.env ?? process.env;
  const dir = mkdtempSync(path.join(opts.scratch ?? tmpdir(), opts.scratch ? 'js-' : 'runbook-js-'));
  try {
    const module = stepFileName(step.name, 'mjs');
    writeFileSync(path.join(dir, module), `${opts.code}\n`, { mode: 0o600 });
    const env = stepEnv(runnerEnv, context);
    const input: JsStepInput = {
      vars: context.vars,
      module,
      line: step.line,
      file: opts.file,
      env,
      cwd: context.cwd,
      umask: context.umask,
    };
    writeFileSync(path.join(dir, 'in.json'), JSON.stringify(input), { mode: 0o600 });
    const outcome = await runChild(opts, env, dir);
    if (outcome.exitCode !== 0 || outcome.interrupted || outcome.timedOut) {
      outcome.leftVars = leftVars(dir, context, runnerEnv);
      return outcome;
    }
    let result: JsStepResult;
    try {
      result = JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')) as JsStepResult;
    } catch (err) {
      const why =
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'it wrote none back'
          : 'what it wrote is unreadable';
      outcome.warning = `the step's variables could not be carried (${why})`;
      return outcome;
    }
    outcome.context = validateContext(mergeJsResult(context, result, runnerEnv));
    return outcome;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a failed step wrote back, where it differs from what it was given: for its secrets only. */
function leftVars(dir: string, context: Context, env: NodeJS.ProcessEnv): StepOutcome['leftVars'] {
  try {
    const result = JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')) as JsStepResult;
    const { vars } = mergeJsResult(context, result, env);
    return Object.fromEntries(Object.entries(vars).filter(([name, v]) => !sameVar(context.vars[name], v)));
  } catch {
    // It wrote none (killed, or what it held could not be written): nothing more to hide than is known.
    return undefined;
  }
}

function runChild(opts: JsStepOptions, env: Record<string, string>, dir: string): Promise<StepOutcome> {
  const { io } = opts;
  const tail = new TailBuffer();
  const started = performance.now();
  if (opts.signal?.aborted) {
    return Promise.resolve({
      exitCode: null,
      signal: 'SIGINT',
      durationMs: 0,
      tail: '',
      interrupted: true,
      timedOut: false,
    });
  }
  return new Promise<StepOutcome>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = takeChild(io.stdin, env, opts.context.cwd);
    } catch (err) {
      reject(err);
      return;
    }
    // The go; the pipe stays open until the child has exited, so that its end says the runner is gone.
    const control = child.stdio[3] as Socket;
    control.write(`${dir}\n`);
    const guard = child.pid ? guardGroup(child.pid, opts.scratch) : undefined;
    prepareSpare(io.stdin, env, opts.context.cwd);
    child.stdout?.pipe(io.stdout, { end: false });
    child.stderr?.pipe(io.stderr, { end: false });
    child.stdout?.on('data', (d: Buffer) => {
      tail.push(d);
      io.saw?.('out', d);
    });
    child.stderr?.on('data', (d: Buffer) => {
      tail.push(d);
      io.saw?.('err', d);
    });
    const watching = watchStep(opts, () => {
      if (child.pid) void killTree(child.pid, 'SIGTERM', 3000);
    });
    let drain: NodeJS.Timeout | undefined;
    const cleanup = () => {
      guard?.kill('SIGKILL');
      control.destroy();
      watching.dispose();
      if (drain) clearTimeout(drain);
    };
    child.once('error', (err) => {
      cleanup();
      const code = (err as NodeJS.ErrnoException).code;
      reject(
        new InputError(
          `cannot start JavaScript step ${opts.step.name} in ${opts.context.cwd}: ${code ?? err.message}`,
        ),
      );
    });
    child.once('exit', () => {
      guard?.kill('SIGKILL');
      control.destroy();
      // Whatever the step left running in its group would hold the pipes open; end it with the step.
      if (child.pid) endLeftovers(child.pid);
      drain = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, DRAIN_MS);
    });
    child.once('close', (code, signal) => {
      cleanup();
      child.stdout?.unpipe(io.stdout);
      child.stderr?.unpipe(io.stderr);
      resolve({
        exitCode: code,
        signal,
        durationMs: performance.now() - started,
        tail: tail.text(),
        interrupted: watching.interrupted,
        timedOut: watching.timedOut,
      });
    });
  });
}
