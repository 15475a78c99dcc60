// Runs shell steps: one bash per run (the step server, server-process.ts), each step a forked subshell of it
// in a process group of its own. Output streams live with only a bounded tail kept; what a step leaves is
// read from bash's own `declare -p` of the names it can change (all of them, for a step the analysis
// cannot pin down) and handed back to the server in bash's own quoting, long values as data.
import { randomBytes } from 'node:crypto';
import { rmSync, statfsSync, writeFileSync } from 'node:fs';
import type { StepChanges } from '../analysis/step-changes.ts';
import { InputError, RunnerError } from '../core/errors.ts';
import { NOT_CARRIED_PATTERN } from '../core/not-carried.ts';
import type { CarriedVar, Context, PersonTerminal, StepIO, StepOutcome } from '../core/types.ts';
import { endLeftovers, killTree } from '../os/kill.ts';
import { groupOf, RUN_MARK } from '../os/run-processes.ts';
import { scratchDir } from '../os/scratch.ts';
import { watchStep } from '../os/step-watch.ts';
import { reasonFromText, reasonOf, writeFailure } from '../os/write-error.ts';
import { readSnapshot } from './events.ts';
import { StepServer } from './server-process.ts';
import { SERVER } from './server-script.ts';
import { ShellState } from './server-state.ts';
import { SessionFiles } from './session-files.ts';
import { DEFAULT_SHELL } from './shell-line.ts';
import { lendKeyboard } from './step-terminal.ts';

export type { StepIO } from '../core/types.ts';
export { DEFAULT_SHELL } from './shell-line.ts';

/** How long the output pipes of an ended server are given to close before they are let go. */
const RELEASE_MS = 200;

/** A step's code, and what running it can change when the analysis could tell (see step-changes.ts). */
interface StepCode {
  /** File name for the step's script, so bash's own messages name the step. */
  name: string;
  code: string;
  /** Line of the step's opening fence in the runbook: the code keeps its runbook lines. */
  line: number;
  changes?: StepChanges;
}

/** A step as the session runs it. */
interface ShellStep extends StepCode {
  context: Context;
}

interface Watch {
  /** Ends the step's whole process tree when aborted (Ctrl-C, quit). */
  signal?: AbortSignal;
  timeoutMs?: number;
  /**
   * The step the caller runs next if this one succeeds, in the context it leaves (unattended runs): its
   * command goes out as soon as this one has ended, while the caller is still busy with the results.
   */
  then?: StepCode;
}

export interface ShellStepOptions extends ShellStep, Watch {
  io: StepIO;
}

/** A step whose command has gone to the server. */
interface Launched extends ShellStep {
  token: string;
  started: number;
  /** The names its snapshot lists, when it lists only some. */
  asked?: string[];
  /** How it ended ("exit STATUS LEFT"), once all its output is forwarded. */
  ended: Promise<string>;
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
  /** The step launched ahead of its run (see `then`). */
  private ahead?: Launched;
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
    // Named after the run, so that a run finding this one killed outright can remove it (run/leftovers.ts).
    this.dir = scratchDir(scratchPrefix(env[RUN_MARK]), env);
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
    let launched = this.ahead;
    this.ahead = undefined;
    const same =
      launched?.name === opts.name && launched.code === opts.code && launched.context === opts.context;
    if (launched && !same) {
      await this.cancel(launched);
      launched = undefined;
    }
    const server = await this.ready(opts.io);
    // A step run without the person's terminal (its output is compared or captured) keeps pipes.
    if (server.pty) this.files.flag('pipes', !opts.io.terminal);
    launched ??= this.launch(server, opts);
    return this.finish(server, launched, { ...opts, terminal: opts.io.terminal });
  }

  /** Ends a step launched ahead that is not run after all, and the server. */
  async close(): Promise<void> {
    const ahead = this.ahead;
    this.ahead = undefined;
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
   * Launches the step that follows in the state the server's shell holds after the last one: nothing of
   * the runner's to hand over, only what that step changed. Its context is set once it has been made.
   */
  private launchAhead(server: StepServer, step: StepCode): Launched {
    const held = this.held as ShellState;
    const nothing = { vars: {}, unset: [], functions: '', cwd: held.cwd, umask: held.umask };
    return this.send(server, { ...step, context: nothing }, nothing, '');
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
    return { list: this.files.names(asked, changes.functions), asked };
  }

  /** Waits for a launched step to end (ending it on abort or timeout) and reads what it left. */
  private async finish(
    server: StepServer,
    launched: Launched,
    watch: Watch & { terminal?: PersonTerminal },
  ): Promise<StepOutcome> {
    let pgid: number | undefined;
    // Ending the tree of a step that is stopped; its outcome waits for it, so whatever ignores SIGTERM is
    // ended (SIGKILL) before the run goes on or ends.
    let stopping: Promise<void> | undefined;
    const stop = () => {
      if (pgid) stopping ??= killTree(pgid, 'SIGTERM', 3000);
    };
    const watching = watchStep(watch, stop);
    // On the steps' own terminal the keyboard is the step's while it runs (Ctrl-C included); Ctrl-C
    // pressed again and again ends the step's tree, for a step that does not end on it.
    let escaped = false;
    const endTree = () => {
      escaped = true;
      stop();
    };
    const keyboard =
      server.pty && watch.terminal ? lendKeyboard(server.pty, watch.terminal, endTree) : undefined;
    try {
      // The subshell that takes this command was announced when it was forked, maybe before it.
      const ready = server.events.next().then((event) => {
        if (!event?.startsWith('ready ')) return;
        pgid = Number(event.slice(6));
        if (watching.interrupted || watching.timedOut || escaped) stop();
      });
      if (watch.then) this.files.script(watch.then);
      const report = await Promise.race([launched.ended, server.events.closed.then(() => undefined)]);
      if (report === undefined) {
        if (pgid) endLeftovers(pgid);
        return this.lost(server, launched.started, watching.interrupted || escaped, watching.timedOut);
      }
      const [, status, left] = report.split(' ');
      // A step that ended with a failure after Ctrl-C was typed at it was interrupted, as at a prompt.
      const interrupted =
        watching.interrupted || escaped || (keyboard?.interrupted === true && Number(status) !== 0);
      if (left === '1') {
        await ready;
        if (pgid && !stopping) endLeftovers(pgid);
      }
      await stopping;
      const outcome: StepOutcome = {
        exitCode: interrupted || watching.timedOut ? null : Number(status),
        signal: null,
        durationMs: performance.now() - launched.started,
        tail: server.tailText(),
        interrupted,
        timedOut: watching.timedOut,
      };
      if (outcome.exitCode === 0) this.carry(server, outcome, launched, watch.then);
      return outcome;
    } finally {
      keyboard?.release();
      watching.dispose();
    }
  }

  /**
   * Reads what a step left; the step to run next (`then`) is launched as soon as the server can take it.
   * The outcome's context is the session's live view (see ShellState): a caller that may not keep what a
   * step did keeps a copy of the context from before it.
   */
  private carry(server: StepServer, outcome: StepOutcome, launched: Launched, then: Watch['then']): void {
    const held = this.held as ShellState;
    const snap = readSnapshot(this.dir, launched.token);
    const file = this.files.path('snap');
    if (snap && 'failed' in snap) throw new RunnerError(handOnFailure(file, reasonFromText(snap.failed)));
    if (!snap && isFull(this.dir)) throw new RunnerError(handOnFailure(file, reasonOf('ENOSPC')));
    if (!snap) {
      outcome.warning =
        "the step replaced the EXIT trap and exited early (or exec'd another program), so its variables could not be carried";
      return;
    }
    const absorbed = held.absorb(snap, launched.asked);
    this.pendingAdopt = absorbed.adopt;
    this.pendingValues = absorbed.values;
    outcome.changed = absorbed.changed;
    const ahead = then ? this.launchAhead(server, then) : undefined;
    outcome.context = held.context();
    if (ahead) {
      ahead.context = outcome.context;
      this.ahead = ahead;
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

/** The name a run's scratch directory starts with. */
export function scratchPrefix(runId: string | undefined): string {
  return runId ? `runbook-${runId}-` : 'runbook-';
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 10 });
}

function handOnFailure(file: string, reason: string): string {
  return `cannot write ${file}, which hands the step's variables on: ${reason}`;
}

/** Whether the file system holding `dir` has no room left (what a snapshot that came out short points to). */
function isFull(dir: string): boolean {
  try {
    return statfsSync(dir).bavail === 0;
  } catch {
    return false;
  }
}
