// Background steps while a run goes on: started with the carried context, waited for until ready=, watched
// for dying on their own (said at once, and again in the next header), ended by a later step's stop= or,
// with everything they started, when the run ends in any way. What they set is not carried: they have not
// ended when later steps run.
import { stripVTControlCharacters } from 'node:util';
import { plainOutput } from '../core/plain-output.ts';
import type { BackgroundState, Context, Step, StepOutcome, StepResult } from '../core/types.ts';
import {
  DEFAULT_READY_TIMEOUT_S,
  describeReady,
  fillVariables,
  type ReadyCheck,
  readReady,
} from '../markdown/step-options.ts';
import { lastLines } from '../os/tail.ts';
import { type BackgroundExit, BackgroundProcess } from '../shell/background.ts';

/** A background step that ended on its own while the run went on. */
export interface BackgroundNotice {
  step: Step;
  exitCode: number | null;
  signal: string | null;
  /** Its last lines of output, redacted. */
  lastLines: string;
}

export interface BackgroundDeps {
  shellLine: string;
  env: NodeJS.ProcessEnv;
  /** The run's private directory, where a background step's files go. */
  scratch: () => string;
  result: (step: Step) => StepResult;
  redact: (text: string) => string;
  save: () => void;
}

interface Entry {
  step: Step;
  proc: BackgroundProcess;
  stopping: boolean;
}

/** A background step's outcome, and why it failed when it did not get ready. */
export type BackgroundOutcome = StepOutcome & { why?: string };

const PROBE_EVERY_MS = 200;
const PROBE_TIMEOUT_MS = 1000;
const NOTICE_LINES = 10;

/** Every background process of this runner, for the last resort at its exit. */
const live = new Set<BackgroundProcess>();
let exitHook = false;

export class BackgroundSteps {
  private readonly entries = new Map<string, Entry>();
  private unreported: BackgroundNotice[] = [];
  /** Told at once when a background step ends on its own. */
  onNotice?: (notice: BackgroundNotice) => void;

  constructor(private readonly deps: BackgroundDeps) {}

  /** Starts the step and waits until it is ready (ready=, bounded by timeout=), it ends, or `signal` aborts. */
  async start(step: Step, code: string, context: Context, signal: AbortSignal, timeoutMs?: number) {
    // Running it again replaces the one that runs.
    await this.stop(step.name, 'stopped');
    const started = performance.now();
    const proc = BackgroundProcess.start({
      name: step.name,
      code,
      context,
      shellLine: this.deps.shellLine,
      env: this.deps.env,
      scratch: this.deps.scratch(),
    });
    live.add(proc);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const p of live) p.killNow();
      });
    }
    void proc.exited.then(() => live.delete(proc));
    const check = readyCheck(step, context, this.deps.env);
    const waitMs = timeoutMs ?? DEFAULT_READY_TIMEOUT_S * 1000;
    const verdict = await waitReady(proc, check, signal, waitMs);
    const outcome = (exitCode: number | null, why?: string): BackgroundOutcome => ({
      exitCode,
      signal: null,
      durationMs: performance.now() - started,
      tail: proc.log.text(),
      interrupted: verdict === 'interrupted',
      timedOut: false,
      ...(why ? { why } : {}),
    });
    if (verdict === 'ready') {
      const entry: Entry = { step, proc, stopping: false };
      this.entries.set(step.name, entry);
      this.deps.result(step).background = { state: 'running', ...(proc.pid ? { pid: proc.pid } : {}) };
      void proc.exited.then((exit) => this.died(entry, exit));
      return outcome(0);
    }
    const exit = await proc.stop();
    const waited = `${Math.round(waitMs / 100) / 10} s`;
    const what = check ? describeReady(check) : 'it to start';
    if (verdict === 'interrupted') return outcome(null);
    if (verdict === 'timeout')
      return outcome(null, `not ready after ${waited}: waited for ${what}; ended it`);
    const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.exitCode}`;
    return outcome(exit.exitCode ?? null, `ended before it was ready (${how}); waited for ${what}`);
  }

  /** Ends a running background step with its tree; false when it was not running. */
  async stop(name: string, state: 'stopped' | 'ended' = 'stopped'): Promise<boolean> {
    const entry = this.entries.get(name);
    if (!entry) return false;
    entry.stopping = true;
    this.entries.delete(name);
    const exit = await entry.proc.stop();
    this.settle(entry, state, exit);
    return true;
  }

  /** Ends every background step: the run is over, however it ended. */
  async endAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((name) => this.stop(name, 'ended')));
  }

  /** The background steps that run now. */
  running(): { name: string; pid?: number }[] {
    return [...this.entries.values()].map((e) => ({ name: e.step.name, pid: e.proc.pid }));
  }

  /** Background steps that ended on their own since the last call (for the next header). */
  takeNotices(): BackgroundNotice[] {
    const notices = this.unreported;
    this.unreported = [];
    return notices;
  }

  /** What a background step printed so far (redacted), running or not; undefined for another step. */
  log(name: string): string | undefined {
    const entry = this.entries.get(name);
    return entry ? this.deps.redact(entry.proc.log.text()) : undefined;
  }

  private died(entry: Entry, exit: BackgroundExit): void {
    if (entry.stopping) return;
    this.entries.delete(entry.step.name);
    this.settle(entry, 'exited', exit);
    const notice: BackgroundNotice = {
      step: entry.step,
      exitCode: exit.exitCode,
      signal: exit.signal,
      lastLines: this.deps.redact(lastLines(plainOutput(entry.proc.log.text()), NOTICE_LINES)),
    };
    this.unreported.push(notice);
    this.onNotice?.(notice);
  }

  /** The record's entry for the step: how it ended and the last of its log. */
  private settle(entry: Entry, state: BackgroundState['state'], exit: BackgroundExit): void {
    const result = this.deps.result(entry.step);
    result.background = {
      state,
      ...(entry.proc.pid ? { pid: entry.proc.pid } : {}),
      exitCode: exit.exitCode,
      signal: exit.signal,
    };
    result.tail = this.deps.redact(entry.proc.log.text());
    this.deps.save();
  }
}

/** The step's ready= with carried variables filled in; undefined when it has none. */
function readyCheck(step: Step, context: Context, env: NodeJS.ProcessEnv): ReadyCheck | undefined {
  const value = step.attributes.ready;
  if (value === undefined) return undefined;
  const check = readReady(value);
  if ('problem' in check) return undefined;
  const valueNamed = (name: string) => {
    const v = context.vars[name];
    if (v) return v.type === 'scalar' ? v.value : undefined;
    return context.unset.includes(name) ? undefined : env[name];
  };
  if (check.kind === 'tcp')
    return {
      ...check,
      host: fillVariables(check.host, valueNamed),
      port: fillVariables(check.port, valueNamed),
    };
  if (check.kind === 'http') return { ...check, url: fillVariables(check.url, valueNamed) };
  return check;
}

type Readiness = 'ready' | 'exited' | 'timeout' | 'interrupted';

function waitReady(
  proc: BackgroundProcess,
  check: ReadyCheck | undefined,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Readiness> {
  if (signal.aborted) return Promise.resolve('interrupted');
  if (!check) return Promise.resolve(proc.exit ? 'exited' : 'ready');
  return new Promise((resolve) => {
    let settled = false;
    const cleanups: (() => void)[] = [];
    const finish = (how: Readiness) => {
      if (settled) return;
      settled = true;
      for (const c of cleanups) c();
      resolve(how);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    cleanups.push(() => clearTimeout(timer));
    const onAbort = () => finish('interrupted');
    signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => signal.removeEventListener('abort', onAbort));
    void proc.exited.then(() => finish('exited'));
    if (check.kind === 'output') {
      const pattern = new RegExp(check.pattern);
      let partial = '';
      const seen = (line: string) => pattern.test(stripVTControlCharacters(line).replace(/\r$/, ''));
      cleanups.push(
        proc.onOutput((text) => {
          const lines = (partial + text).split('\n');
          // A line that never ends (a progress bar) is kept only as far as a line can match.
          partial = (lines.pop() ?? '').slice(-65536);
          if (lines.some(seen) || seen(partial)) finish('ready');
        }),
      );
      return;
    }
    void (async () => {
      // Loaded only here: http, https and net cost every run that has no such check a little start-up.
      const { probeHttp, probeTcp } = await import('../os/probe.ts');
      const probe = () =>
        check.kind === 'tcp'
          ? probeTcp(check.host, Number(check.port), PROBE_TIMEOUT_MS)
          : probeHttp(check.url, PROBE_TIMEOUT_MS);
      while (!settled) {
        if (await probe()) finish('ready');
        else await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
      }
    })();
  });
}
