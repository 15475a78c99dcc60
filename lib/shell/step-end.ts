// Waits for a step the step server runs to end. Ctrl-C and timeouts (os/step-watch.ts) end its tree; on
// the steps' own terminal the keyboard is the step's while it runs, and Ctrl-C pressed again and again
// ends the tree of a step that does not end on it. Whatever the step left in its process group is ended
// (SIGKILL after SIGTERM) before the run goes on.
import type { PersonTerminal } from '../core/types.ts';
import { endLeftovers, killTree } from '../os/kill.ts';
import { watchStep } from '../os/step-watch.ts';
import type { Launched } from './launched.ts';
import type { StepServer } from './server-process.ts';
import { lendKeyboard } from './step-terminal.ts';

export interface Watch {
  /** Ends the step's whole process tree when aborted (Ctrl-C, quit). */
  signal?: AbortSignal;
  timeoutMs?: number;
  /** The person's terminal, when the step has the steps' terminal to itself. */
  terminal?: PersonTerminal;
}

export interface StepEnd {
  /** The step's exit status; undefined when the server ended under it. */
  status?: number;
  interrupted: boolean;
  timedOut: boolean;
}

export async function waitForEnd(server: StepServer, launched: Launched, watch: Watch): Promise<StepEnd> {
  let pgid: number | undefined;
  // Ending the tree of a step that is stopped; its end waits for that.
  let stopping: Promise<void> | undefined;
  const stop = () => {
    // On the steps' terminal the subshell that leads the step's group ends on SIGTERM by itself.
    if (pgid) stopping ??= killTree(pgid, 'SIGTERM', 3000, server.pty !== undefined);
  };
  const watching = watchStep(watch, stop);
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
    const report = await Promise.race([launched.ended, server.events.closed.then(() => undefined)]);
    if (report === undefined) {
      if (pgid) endLeftovers(pgid);
      return { interrupted: watching.interrupted || escaped, timedOut: watching.timedOut };
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
    return { status: Number(status), interrupted, timedOut: watching.timedOut };
  } finally {
    keyboard?.release();
    watching.dispose();
  }
}
