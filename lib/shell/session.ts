// Runs shell steps: one bash per run (the step server, server-process.ts), each step a forked subshell of it
// in a process group of its own. Output streams live with only a bounded tail kept; what a step leaves is
// read from bash's own `declare -p` of the names it can change (all of them, for a step the analysis
// cannot pin down) and handed back to the server in bash's own quoting, long values as data.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { StepChanges } from '../analysis/step-changes.ts';
import { RunnerError } from '../core/errors.ts';
import { NOT_CARRIED_PATTERN } from '../core/not-carried.ts';
import type { CarriedVar, Context, StepIO, StepOutcome } from '../core/types.ts';
import { RUN_MARK } from '../os/run-processes.ts';
import { scratchDir, scratchPrefix } from '../os/scratch.ts';
import { writeFailure } from '../os/write-error.ts';
import { readSnapshot, readStepSnapshot, type Snapshot } from './events.ts';
import { type Launched, Lookahead, type ShellStep, type StepCode } from './launched.ts';
import { removeDir, ServerKeeper } from './server-keeper.ts';
import type { StepServer } from './server-process.ts';
import { SERVER } from './server-script.ts';
import { ShellState } from './server-state.ts';
import { SessionFiles } from './session-files.ts';
import { type Watch, waitForEnd } from './step-end.ts';

export type { StepIO } from '../core/types.ts';
export { DEFAULT_SHELL } from './shell-line.ts';

export interface ShellStepOptions extends ShellStep, Omit<Watch, 'terminal'> {
  io: StepIO;
  /**
   * The step the caller runs next if this one succeeds, as written (unattended runs): the session may send
   * it the moment this one ends, and runs that launch when it is asked for the same step in the state this
   * one leaves (see launched.ts).
   */
  next?: StepCode;
}

/** One per run: a private directory and the step server (server-keeper.ts), started early or on the first step. */
export class ShellSession {
  readonly dir: string;
  private readonly files: SessionFiles;
  private readonly keeper: ServerKeeper;
  private baseline?: ShellState;
  private held?: ShellState;
  /** What the last step changed, for the server to take over before the next one: lines, long values. */
  private pendingAdopt = '';
  private pendingValues: Record<string, CarriedVar> = {};
  private readonly ahead = new Lookahead();

  constructor(shellLine: string, env: NodeJS.ProcessEnv, runbook = 'runbook.md') {
    // Named after the run and its runner, so that a later run can remove it if this one is killed
    // outright, whether or not it is of the same runbook (run/leftovers.ts).
    this.dir = scratchDir(scratchPrefix(env[RUN_MARK], process.pid), env);
    try {
      this.files = new SessionFiles(this.dir);
      writeFileSync(this.files.path('server.sh'), SERVER, { mode: 0o600 });
      // bash rewrites the snapshot (every carried value) with `>|`, which keeps an existing file's mode.
      writeFileSync(this.files.path('snap'), '', { mode: 0o600 });
    } catch (err) {
      removeDir(this.dir);
      throw err instanceof RunnerError ? err : new RunnerError(writeFailure(this.dir, err));
    }
    const { dir, files } = this;
    const nonce = randomBytes(8).toString('hex');
    this.keeper = new ServerKeeper({
      ...{ shellLine, env, dir, nonce, runbook, files },
      started: (plain) => this.startFrom(plain),
    });
  }

  /** Starts the server ahead of the first step: bash starts up while the runner finishes its own start. */
  warmUp(io: StepIO): void {
    this.keeper.warmUp(io);
  }

  /** Waits for the server to be up; throws the reason (an InputError) when the shell cannot run steps. */
  async prepare(io: StepIO): Promise<void> {
    await this.keeper.ready(io);
  }

  async run(opts: ShellStepOptions): Promise<StepOutcome> {
    const ahead = this.ahead.take(opts, (context) => this.held?.holds(context) === true);
    if (ahead.end) await this.cancel(ahead.end);
    const server = await this.keeper.ready(opts.io);
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

  /** See ServerKeeper.heldOutputLinks. */
  get heldOutputLinks(): string[] {
    return this.keeper.heldOutputLinks;
  }

  /** Whether a process is one of the session's own (a server, its watcher, a subshell waiting for a step). */
  owns(pid: number): boolean {
    return this.keeper.owns(pid);
  }

  /** Ends the server and removes the session directory once it is gone; safe to call twice. */
  dispose(): Promise<void> {
    return this.keeper.dispose();
  }

  /** A server started: the steps' state starts again from the plain shell's (the first one's, kept). */
  private startFrom(plain: Snapshot): void {
    const snapshot = new ShellState();
    snapshot.absorb(plain);
    this.baseline ??= snapshot;
    this.held = ShellState.startingFrom(this.baseline);
    this.pendingAdopt = '';
    this.pendingValues = {};
  }

  private async cancel(launched: Launched): Promise<void> {
    const server = this.keeper.current;
    if (server) await this.finish(server, launched, { signal: AbortSignal.abort() });
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
    this.keeper.lost(server);
    this.held = undefined;
    this.pendingAdopt = '';
    this.pendingValues = {};
    return {
      exitCode: interrupted || timedOut ? null : 1,
      signal: null,
      durationMs: performance.now() - started,
      tail: `${server.tailText()}\nrunbook: the step's shell ended unexpectedly\n`,
      interrupted,
      timedOut,
    };
  }
}
