// The step server over a session's life: started ahead of the first step or on it, started again after a
// step took it down, ended (also while still starting) when the session is disposed. Kept apart from the
// steps it runs (session.ts), which only ask for a server that is up and hear when a new one starts.
import { rmSync } from 'node:fs';
import { InputError, RunnerError } from '../core/errors.ts';
import type { StepIO } from '../core/types.ts';
import { groupOf } from '../os/run-processes.ts';
import { reasonFromText } from '../os/write-error.ts';
import { readSnapshot, type Snapshot } from './events.ts';
import { StepServer } from './server-process.ts';
import type { SessionFiles } from './session-files.ts';
import { DEFAULT_SHELL } from './shell-line.ts';

/** How long the output pipes of an ended server are given to close before they are let go. */
const RELEASE_MS = 200;

export interface KeeperOptions {
  shellLine: string;
  env: NodeJS.ProcessEnv;
  dir: string;
  nonce: string;
  /** The runbook, as bash's messages about a step's lines name it. */
  runbook: string;
  files: SessionFiles;
  /** A server is up: the plain shell's state it reported (what the steps' state starts from). */
  started: (plain: Snapshot) => void;
}

export class ServerKeeper {
  private server?: StepServer;
  private starting?: Promise<StepServer>;
  /** A server started but not ready yet: ended too if the session is disposed meanwhile. */
  private launching?: StepServer;
  private disposed = false;
  private spawning = false;
  /** Every server started (a step may take one down; the next step starts another). */
  private readonly servers: StepServer[] = [];
  private released: Promise<void> = Promise.resolve();

  constructor(private readonly opts: KeeperOptions) {}

  /** The server that is up, if one is. */
  get current(): StepServer | undefined {
    return this.server;
  }

  /** Starts the server ahead of the first step: bash starts up while the runner finishes its own start. */
  warmUp(io: StepIO): void {
    if (this.server || this.starting) return;
    const starting = this.start(io);
    this.starting = starting;
    // Once up, the server is asked for as `server`: a start kept past that would hand out this server
    // again after a step took it down. A failure to start is kept, for the step that waits to report.
    starting.then(
      () => {
        if (this.starting === starting) this.starting = undefined;
      },
      () => {},
    );
  }

  /** The server, once up; throws the reason (an InputError) when the shell cannot run steps. */
  async ready(io: StepIO): Promise<StepServer> {
    if (this.server) return this.server;
    try {
      return await (this.starting ?? this.start(io));
    } finally {
      this.starting = undefined;
    }
  }

  /** The server ended under a step: let go, for the next step to start another. */
  lost(server: StepServer): void {
    if (this.server === server) this.server = undefined;
    this.starting = undefined;
    void server.end();
    void server.release(RELEASE_MS);
  }

  /**
   * What /proc shows for the output pipes of the servers that something else still held when they were
   * let go: a process holding one is of the run (see run/leftovers.ts).
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
      if (!this.spawning) removeDir(this.opts.dir);
    })();
    return this.released;
  }

  /** Starts the server (once, or again after a step took it down) and reads the plain shell's state. */
  private async start(io: StepIO): Promise<StepServer> {
    const { shellLine, env, dir, nonce, runbook, files } = this.opts;
    const script = files.path('server.sh');
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
        removeDir(dir);
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
    const plain = readSnapshot(dir, '0');
    if (plain && 'failed' in plain) {
      throw new RunnerError(`cannot write ${files.path('snap')}: ${reasonFromText(plain.failed)}`);
    }
    if (!plain) throw new InputError(`the step shell (${shellLine}) reported no state`);
    this.opts.started(plain);
    this.server = server;
    return server;
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 10 });
}
