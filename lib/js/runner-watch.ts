// A JavaScript step's process and its runner, over fd 3: the runner writes the step's directory there when
// the step is due, and holds the pipe open until this process has exited. Its end before the go is a spare
// not needed; its end after the go means the runner was killed outright (SIGKILL, the OOM killer), with
// no one left to end the step. The step then ends what is of the run, as the step server's watcher does
// for shell steps (shell/watcher-script.ts), whether or not a step server is still alive to do it: its
// own process group (what the step started), every process carrying the run's mark (__RB_RUN: a daemon
// that left the group, the step server and its steps), SIGTERM then SIGKILL, and the run's scratch
// directory; then itself. The pipe is watched on the event loop: for a step blocked in a synchronous call
// (execSync), group-guard.ts watches from outside and makes that call return.
import { rmSync } from 'node:fs';
import { Socket } from 'node:net';
import path from 'node:path';
import { processIds, procStat } from '../os/proc.ts';
import { endProcesses, RUN_MARK, type RunProcess, runProcesses } from '../os/run-processes.ts';

/** How long what the run left is given to end on SIGTERM before SIGKILL. */
const GRACE_MS = 500;

/**
 * Waits for the go: the step's directory, or undefined when the runner closes fd 3 first. After the go,
 * `orphaned` is called if the pipe ends (the runner is gone), before the run's processes are ended.
 */
export function waitForStep(orphaned: () => void): Promise<string | undefined> {
  return new Promise((resolve) => {
    const control = new Socket({ fd: 3, readable: true, writable: false });
    let text = '';
    let dir: string | undefined;
    let ending = false;
    const runner = process.ppid;
    control.setEncoding('utf8');
    control.on('data', (chunk: string) => {
      if (dir !== undefined) return;
      text += chunk;
      const end = text.indexOf('\n');
      if (end < 0) return;
      dir = text.slice(0, end);
      // Watched, but it keeps nothing alive: the step's own work does. Node opens it close-on-exec, so
      // the commands the step starts do not inherit it.
      control.unref();
      resolve(dir);
    });
    const gone = () => {
      if (dir === undefined) resolve(undefined);
      else if (!ending) {
        ending = true;
        orphaned();
        void endRun(dir);
      }
    };
    control.once('end', gone);
    control.once('error', gone);
    // A SIGTERM while the runner lives is the runner's (a timeout, Ctrl-C): it ends this process as it
    // would have. One after the runner died comes from a cleaner of the run (the step server's watch),
    // which may itself be killed before its SIGKILL round: this process then ends the run itself, to the
    // end, whichever of the signal and the pipe's end it sees first.
    const onTerm = () => {
      if (ending || (dir !== undefined && process.ppid !== runner)) return gone();
      process.off('SIGTERM', onTerm);
      // The step's own listener, if it has one, has this signal as it would have had it.
      if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
    };
    process.on('SIGTERM', onTerm);
  });
}

/** The members of this process's group, the step's commands, but for this process. */
function groupMembers(): RunProcess[] {
  return processIds()
    .filter((pid) => pid !== process.pid && procStat(pid)?.pgid === process.pid)
    .map((pid) => ({ pid, command: '', env: [] }));
}

async function endRun(dir: string): Promise<void> {
  const run = process.env[RUN_MARK];
  const found = new Map<number, RunProcess>();
  for (const p of [...groupMembers(), ...(run ? runProcesses(run) : [])]) found.set(p.pid, p);
  try {
    await endProcesses([...found.values()], GRACE_MS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    // The run's scratch directory, when the step's lies in it (see js/step.ts and shell/session.ts).
    const parent = path.dirname(dir);
    if (run && path.basename(parent).startsWith(`runbook-${run}-`)) {
      rmSync(parent, { recursive: true, force: true });
    }
    try {
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      process.kill(process.pid, 'SIGKILL');
    }
  }
}
