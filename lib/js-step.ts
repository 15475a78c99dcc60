// Runs one JavaScript step as a zx script in its own Node process (js-step-child.ts), in its own process
// group like a shell step, so a timeout or Ctrl-C ends everything it started. The context goes in and comes
// back as JSON data in a private directory; output is streamed live with only a bounded tail kept.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateContext } from './context.ts';
import { InputError } from './errors.ts';
import type { JsStepInput } from './js-step-child.ts';
import { type JsStepResult, mergeJsResult } from './js-step-vars.ts';
import { endLeftovers, killTree } from './kill.ts';
import type { ShellOutcome, StepIO } from './shell.ts';
import { TailBuffer } from './tail.ts';
import type { Context, Step } from './types.ts';

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
}

/** How long to wait for the output pipes to close after the child exits (a detached grandchild may hold them). */
const DRAIN_MS = 2000;

/** The compiled child next to this module; from the sources (tests), the built one. */
function childScript(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = path.join(path.dirname(here), 'js-step-child.js');
  if (!here.endsWith('.ts') || existsSync(sibling)) return sibling;
  return path.resolve(path.dirname(here), '../dist/js-step-child.js');
}

/** The step's environment: the runner's, without what steps unset, with the exported carried scalars. */
function stepEnv(env: NodeJS.ProcessEnv, context: Context, dir: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of context.unset) delete out[name];
  for (const [name, v] of Object.entries(context.vars)) {
    if (v.type === 'scalar' && v.attrs.includes('x') && !v.attrs.includes('n')) out[name] = v.value;
  }
  // As a shell that starts in (or cd's to) the step's directory would have it.
  if (out.PWD !== undefined) out.PWD = context.cwd;
  out.__RB_JS = dir;
  return out;
}

export async function runJsStep(opts: JsStepOptions): Promise<ShellOutcome> {
  const { step, context } = opts;
  const env = opts.env ?? process.env;
  const dir = mkdtempSync(path.join(tmpdir(), 'runbook-js-'));
  try {
    const module = `${step.name.replace(/[^\w.-]/g, '_')}.mjs`;
    writeFileSync(path.join(dir, module), `${opts.code}\n`, { mode: 0o600 });
    const input: JsStepInput = { vars: context.vars, module, line: step.line, file: opts.file };
    writeFileSync(path.join(dir, 'in.json'), JSON.stringify(input), { mode: 0o600 });
    const outcome = await spawnChild(opts, stepEnv(env, context, dir));
    if (outcome.exitCode !== 0 || outcome.interrupted || outcome.timedOut) return outcome;
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
    outcome.context = validateContext(mergeJsResult(context, result, env));
    return outcome;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function spawnChild(opts: JsStepOptions, env: NodeJS.ProcessEnv): Promise<ShellOutcome> {
  const { io } = opts;
  const tail = new TailBuffer();
  const started = performance.now();
  let timedOut = false;
  let interrupted = opts.signal?.aborted ?? false;
  if (interrupted) {
    return Promise.resolve({
      exitCode: null,
      signal: 'SIGINT',
      durationMs: 0,
      tail: '',
      interrupted,
      timedOut,
    });
  }
  return new Promise<ShellOutcome>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [childScript()], {
        cwd: opts.context.cwd,
        env,
        stdio: [io.stdin, 'pipe', 'pipe'],
        detached: true,
      });
    } catch (err) {
      reject(err);
      return;
    }
    child.stdout?.pipe(io.stdout, { end: false });
    child.stderr?.pipe(io.stderr, { end: false });
    child.stdout?.on('data', (d: Buffer) => tail.push(d));
    child.stderr?.on('data', (d: Buffer) => tail.push(d));
    const stop = (why: 'timeout' | 'abort') => {
      if (why === 'timeout') timedOut = true;
      else interrupted = true;
      if (child.pid) void killTree(child.pid, 'SIGTERM', 3000);
    };
    const timer = opts.timeoutMs ? setTimeout(() => stop('timeout'), opts.timeoutMs) : undefined;
    const onAbort = () => stop('abort');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let drain: NodeJS.Timeout | undefined;
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      if (drain) clearTimeout(drain);
      opts.signal?.removeEventListener('abort', onAbort);
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
        interrupted,
        timedOut,
      });
    });
  });
}
