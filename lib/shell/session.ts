// Runs shell steps: one bash per run (the step server, server-process.ts), each step a forked subshell of it
// in a process group of its own. Output streams live with only a bounded tail kept; what a step leaves is
// read from bash's own `declare -p` of the names it can change (all of them, for a step the analysis
// cannot pin down) and handed back to the server in bash's own quoting, long values as data.
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import type { StepChanges } from '../analysis/step-changes.ts';
import { InputError, RunnerError } from '../core/errors.ts';
import { NOT_CARRIED_PATTERN } from '../core/not-carried.ts';
import type { CarriedVar, Context, StepIO, StepOutcome } from '../core/types.ts';
import { groupOf, RUN_MARK } from '../os/run-processes.ts';
import { scratchDir } from '../os/scratch.ts';
import { reasonFromText, writeFailure } from '../os/write-error.ts';
import { readSnapshot, readStepSnapshot } from './events.ts';
import { type Launched, Lookahead, type ShellStep, type StepCode } from './launched.ts';
import { StepServer } from './server-process.ts';
import { SERVER } from './server-script.ts';
import { ShellState } from './server-state.ts';
import { SessionFiles } from './session-files.ts';
import { DEFAULT_SHELL } from './shell-line.ts';
import { type Watch, waitForEnd } from './step-end.ts';

export type { StepIO } from '../core/types.ts';
export { DEFAULT_SHELL } from './shell-line.ts';

/** How long the output pipes of an ended server are given to close before they are let go. */
const RELEASE_MS = 200;

export interface ShellStepOptions extends ShellStep, Omit<Watch, 'terminal'> {
  io: StepIO;
  /**
   * The step the caller runs next if this one succeeds, as written (unattended runs): the session may send
   * it the moment this one ends, and runs that launch when it is asked for the same step in the state this
   * one leaves (see launched.ts).
   */
  next?: StepCode;
}

/** One per run: a private directory and the step server, started early or on the first step. */
export class ShellSession {
  readonly dir: string;
  private readonly files: SessionFiles;
  private server?: StepServer;
  private starting?: Promise<StepServer>;
  /** A server started but not ready yet: ended too if the session is disposed meanwhile. */
  private launching?: StepServer;
  private disposed = false;
  private spawning = false;
  private baseline?: ShellState;
  private held?: ShellState;
  /** What the last step changed, for the server to take over before the next one: lines, long values. */
  private pendingAdopt = '';
  private pendingValues: Record<string, CarriedVar> = {};
  private readonly ahead = new Lookahead();
  private readonly nonce = randomBytes(8).toString('hex');
  /** Every server this session started (a step may take one down; the next step starts another). */
  private readonly servers: StepServer[] = [];
  private released: Promise<void> = Promise.resolve();

  constructor(
    private readonly shellLine: string,
    private readonly env: NodeJS.ProcessEnv,
    /** The runbook, as bash's messages about a step's lines name it. */
    private readonly runbook = 'runbook.md',
  ) {
    // Named after the run and its runner, so that a later run can remove it if this one is killed
    // outright, whether or not it is of the same runbook (run/leftovers.ts).
    this.dir = scratchDir(scratchPrefix(env[RUN_MARK], process.pid), env);
    try {
      this.files = new SessionFiles(this.dir);
      writeFileSync(this.files.path('server.sh'), SERVER, { mode: 0o600 });
      // bash rewrites the snapshot (every carried value) with `>|`, which keeps an existing file's mode.
      writeFileSync(this.files.path('snap'), '', { mode: 0o600 });
    } catch (err) {
      rmSync(this.dir, { recursive: true, force: true });
      throw err instanceof RunnerError ? err : new RunnerError(writeFailure(this.dir, err));
    }
  }

  /** Starts the server ahead of the first step: bash starts up while the runner finishes its own start. */
  warmUp(io: StepIO): void {
    if (this.server || this.starting) return;
    this.starting = this.start(io);
    // A failure to start is reported to the step that waits for the server.
    this.starting.catch(() => {});
  }

  /** Waits for the server to be up; throws the reason (an InputError) when the shell cannot run steps. */
  async prepare(io: StepIO): Promise<void> {
    await this.ready(io);
  }

  async run(opts: ShellStepOptions): Promise<StepOutcome> {
    const ahead = this.ahead.take(opts, (context) => this.held?.holds(context) === true);
    if (ahead.end) await this.cancel(ahead.end);
    const server = await this.ready(opts.io);
    // A step run without the person's terminal (its output is compared or captured) keeps pipes.
    if (server.pty) this.files.flag('pipes', !opts.io.terminal);
    const launched = ahead.run ?? this.launch(server, opts);
    // Written while this one runs, so that sending it ahead costs only the command. A write that fails
    // (a full disk) only means no sending ahead: the next step's own start writes it, and says so then.
    const next = opts.next && this.writeAhead(opts.next) ? opts.next : undefined;
    return this.finish(server, launched, { ...opts, terminal: opts.io.terminal }, next);
  }

  private writeAhead(next: StepCode): boolean {
    try {
      this.files.script(next);
      return true;
    } catch (err) {
      if (err instanceof RunnerError) return false;
      throw err;
    }
  }

  /** Ends a step launched ahead that is not run after all, and the server. */
  async close(): Promise<void> {
    const ahead = this.ahead.drop();
    if (ahead) await this.cancel(ahead);
    await this.dispose();
  }

  /**
   * What /proc shows for the output pipes of the session's servers that something else still held when
   * they were let go: a process holding one is of the run (see run/leftovers.ts).
   */
  get heldOutputLinks(): string[] {
    return this.servers.filter((s) => s.held).flatMap((s) => s.outputLinks);
  }

  /** Whether a process is one of the session's own (a server, its watcher, a subshell waiting for a step). */
  owns(pid: number): boolean {
    const group = groupOf(pid);
    return this.servers.some((s) => s.child.pid === pid || (group !== undefined && s.groups.includes(group)));
  }

  /**
   * Ends the server (also one still starting), waits for it to exit and for its output pipes to be let go,
   * and removes the session directory; safe to call twice. Removed only once the shell is gone: one that
   * is still writing there could otherwise leave a file behind, or start in a directory that no longer
   * exists.
   */
  dispose(): Promise<void> {
    if (this.disposed) return this.released;
    this.disposed = true;
    const ending = [this.server?.end(), this.launching?.end(), this.starting?.catch(() => {})];
    this.server = undefined;
    this.launching = undefined;
    this.released = (async () => {
      let timer: NodeJS.Timeout | undefined;
      // endLeftovers kills what ignores SIGTERM after 2 s; a shell that outlives even that is not waited for.
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 3000);
      });
      await Promise.race([Promise.all(ending), bound]);
      clearTimeout(timer);
      // Its output pipes: let go once closed, or after a moment (a process a step left may hold them).
      await Promise.all(this.servers.map((s) => s.release(RELEASE_MS)));
      // A bash being started still reads from there: start() removes it once that bash is ended.
      if (!this.spawning) removeDir(this.dir);
    })();
    return this.released;
  }

  private async cancel(launched: Launched): Promise<void> {
    if (this.server) await this.finish(this.server, launched, { signal: AbortSignal.abort() });
  }

  private async ready(io: StepIO): Promise<StepServer> {
    if (this.server) return this.server;
    try {
      return await (this.starting ?? this.start(io));
    } finally {
      this.starting = undefined;
    }
  }

  /** Hands the server what the step needs (the runner's own changes to its context) and sends it. */
  private launch(server: StepServer, step: ShellStep): Launched {
    const { values, functionsScript } = (this.held as ShellState).handOver(step.context);
    return this.send(server, step, values, functionsScript);
  }

  /**
   * Launches the step that follows in the state the server's shell holds after the last one (`context`):
   * nothing of the runner's to hand over, only what that step changed.
   */
  private launchAhead(server: StepServer, step: StepCode, context: Context): Launched {
    // Where the server's shell is (directory, umask, options, stack), with no values of the runner's.
    const nothing = { ...context, vars: {}, unset: [], functions: '' };
    return { ...this.send(server, { ...step, context }, nothing, ''), context };
  }

  private send(server: StepServer, step: ShellStep, values: Context, functionsScript: string): Launched {
    const file = this.files.script(step);
    // Long values the last step set go as data, with the runner's own (which win: they came after).
    const data = { ...values, vars: { ...this.pendingValues, ...values.vars } };
    this.files.handOver(data, `${this.pendingAdopt}${functionsScript}`);
    this.pendingAdopt = '';
    this.pendingValues = {};
    const { list, asked } = this.listFor(step.changes);
    return { ...step, started: performance.now(), asked, ...server.send(file, list) };
  }

  /**
   * What the step's snapshot lists: the names it can change (with what namerefs among them point at), or,
   * when the analysis could not tell or the step calls a function an earlier step defined, every name.
   */
  private listFor(changes: StepChanges | undefined): { list: string; asked?: string[] } {
    const held = this.held as ShellState;
    if (!changes || 'open' in changes || changes.calls.some((c) => held.hasFunction(c))) {
      return { list: this.files.known(() => held.names(), held.namesVersion) };
    }
    const asked = held.withTargets(changes.vars).filter((n) => !NOT_CARRIED_PATTERN.test(n));
    return { list: this.files.names(asked, changes.functions, changes.options), asked };
  }

  /** Waits for a launched step to end (ending it on abort or timeout) and reads what it left. */
  private async finish(
    server: StepServer,
    launched: Launched,
    watch: Watch,
    next?: StepCode,
  ): Promise<StepOutcome> {
    const end = await waitForEnd(server, launched, watch);
    const { interrupted, timedOut } = end;
    if (end.status === undefined) return this.lost(server, launched.started, interrupted, timedOut);
    // Its last lines may still be on their way through the filters when its end marker is seen.
    await server.drained();
    const outcome: StepOutcome = {
      exitCode: interrupted || timedOut ? null : end.status,
      signal: null,
      durationMs: performance.now() - launched.started,
      tail: server.tailText(),
      interrupted,
      timedOut,
    };
    if (outcome.exitCode === 0) this.carry(server, outcome, launched, next);
    else this.leftBehind(outcome, launched);
    return outcome;
  }

  /**
   * Reads what a step left; the step to run next (`next`) is launched as soon as the server can take it.
   * The outcome's context is the session's live view (see ShellState): a caller that may not keep what a
   * step did keeps a copy of the context from before it.
   */
  private carry(server: StepServer, outcome: StepOutcome, launched: Launched, next?: StepCode): void {
    const held = this.held as ShellState;
    const snap = readStepSnapshot(this.dir, launched.token);
    if (!snap) {
      outcome.warning =
        "the step replaced the EXIT trap and exited early (or exec'd another program), so its variables could not be carried";
      return;
    }
    const absorbed = held.absorb(snap, launched.asked);
    this.pendingAdopt = absorbed.adopt;
    this.pendingValues = absorbed.values;
    outcome.changed = absorbed.changed;
    outcome.context = held.context();
    if (next) this.ahead.hold(this.launchAhead(server, next, outcome.context));
  }

  /** What a failed step left, for its secrets (never carried); nothing when it wrote no snapshot. */
  private leftBehind(outcome: StepOutcome, launched: Launched): void {
    try {
      const snap = readSnapshot(this.dir, launched.token);
      if (snap && !('failed' in snap)) outcome.leftVars = this.held?.differing(snap);
    } catch {
      // A snapshot it could not finish: there is nothing more to hide than what is known.
    }
  }

  /** The server ended under a step (the step killed it, or it could not start). */
  private lost(server: StepServer, started: number, interrupted: boolean, timedOut: boolean): StepOutcome {
    this.server = undefined;
    this.held = undefined;
    this.pendingAdopt = '';
    this.pendingValues = {};
    void server.end();
    void server.release(RELEASE_MS);
    return {
      exitCode: interrupted || timedOut ? null : 1,
      signal: null,
      durationMs: performance.now() - started,
      tail: `${server.tailText()}\nrunbook: the step's shell ended unexpectedly\n`,
      interrupted,
      timedOut,
    };
  }

  /** Starts the server (once, or again after a step took it down) and reads the plain shell's state. */
  private async start(io: StepIO): Promise<StepServer> {
    const script = this.files.path('server.sh');
    const { shellLine, env, dir, nonce, runbook } = this;
    const defaultShell = shellLine === DEFAULT_SHELL;
    this.spawning = true;
    let server: StepServer | undefined;
    try {
      server = await StepServer.spawn({ shellLine, defaultShell, script, env, dir, nonce, io, runbook });
      this.servers.push(server);
    } finally {
      this.spawning = false;
      if (this.disposed) {
        await server?.end();
        await server?.release(RELEASE_MS);
        removeDir(this.dir);
      }
    }
    const ended = () => new Error('the run ended before the step shell started');
    if (this.disposed) throw ended();
    this.launching = server;
    try {
      await server.started();
    } finally {
      this.launching = undefined;
    }
    if (this.disposed) throw ended();
    const plain = readSnapshot(this.dir, '0');
    if (plain && 'failed' in plain) {
      throw new RunnerError(`cannot write ${this.files.path('snap')}: ${reasonFromText(plain.failed)}`);
    }
    if (!plain) throw new InputError(`the step shell (${this.shellLine}) reported no state`);
    const snapshot = new ShellState();
    snapshot.absorb(plain);
    this.baseline ??= snapshot;
    this.held = ShellState.startingFrom(this.baseline);
    this.pendingAdopt = '';
    this.pendingValues = {};
    this.server = server;
    return server;
  }
}

/** The name a run's scratch directory starts with: `runbook-RUN-pPID-`, or as much of it as is known. */
export function scratchPrefix(runId: string | undefined, pid?: number): string {
  if (!runId) return 'runbook-';
  return pid === undefined ? `runbook-${runId}-` : `runbook-${runId}-p${pid}-`;
}

/** The run and runner a scratch directory's name says it belongs to. */
export function scratchOwner(name: string): { run: string; pid: number } | undefined {
  const m = /^runbook-([0-9a-f]{16})-p(\d+)-/.exec(name);
  return m ? { run: m[1] as string, pid: Number(m[2]) } : undefined;
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 10 });
}
