// What a run leaves running is ended, and said, pid by pid. A step's background jobs end with the step (the
// session ends its process group); what escaped the group (setsid, a daemon's double fork) lives on while
// later steps may use it, and is ended here when the run ends, whichever way it ends. A run that finds the
// lock of an earlier one killed outright (SIGKILL, the OOM killer) first waits for that run's step server
// to end what it left, ends the rest itself, and refuses to start while any of it still runs: no step
// ever runs beside an earlier run's copy of itself.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { StateError } from '../core/errors.ts';
import { isRunning, startedAfter } from '../os/proc.ts';
import { endProcesses, type RunProcess, runProcesses } from '../os/run-processes.ts';
import { removeScratchDirs, scratchOwner, scratchPrefix } from '../os/scratch.ts';

/** How long what a run left is given to end on SIGTERM before SIGKILL. */
const GRACE_MS = 1000;
/** How long an earlier run's own step server is given to end what that run left. */
const EARLIER_SERVER_MS = 3000;

function describe(p: RunProcess): string {
  return `pid ${p.pid} (${p.command})`;
}

/** Ends what run `id` left, but for its own processes (`own`); says each on `err`. */
export async function endRunLeftovers(
  id: string,
  links: string[],
  own: (p: RunProcess) => boolean,
  err: NodeJS.WritableStream,
): Promise<void> {
  const left = runProcesses(id, links).filter((p) => !own(p));
  if (left.length === 0) return;
  const stuck = await endProcesses(left, GRACE_MS);
  for (const p of left) {
    const ended = !stuck.includes(p);
    err.write(
      ended
        ? `runbook: ended ${describe(p)}, which a step left running\n`
        : `runbook: could not end ${describe(p)}, which a step left running; the run no longer waits for it\n`,
    );
  }
}

/**
 * As a run starts: scratch directories in `base` (where its own is) of any runbook's run killed outright
 * before its watch began (its runner gone, none of its processes left) are removed; the watch removes the
 * others itself. Off the run's way: `base` may be a temp directory of many thousands of entries.
 */
export async function removeOrphanScratch(base: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return;
  }
  for (const name of names) {
    const owner = scratchOwner(name);
    if (!owner || owner.pid === process.pid) continue;
    const dir = path.join(base, name);
    if (isRunning(owner.pid) && !startedAfter(owner.pid, dir)) continue;
    if (runProcesses(owner.run).length === 0) await rm(dir, { recursive: true, force: true });
  }
}

/** Before a run: what the earlier run `id` (killed outright) left must be gone, its scratch directory too. */
export async function endEarlierRun(
  earlier: { pid: number; run?: string },
  env: NodeJS.ProcessEnv,
  err: NodeJS.WritableStream,
): Promise<void> {
  const { run } = earlier;
  if (!run) return;
  try {
    await endEarlierProcesses(earlier, run, err);
  } finally {
    removeScratchDirs(scratchPrefix(run), env);
  }
}

async function endEarlierProcesses(
  earlier: { pid: number },
  run: string,
  err: NodeJS.WritableStream,
): Promise<void> {
  const deadline = Date.now() + EARLIER_SERVER_MS;
  let left = runProcesses(run);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = runProcesses(run);
  }
  if (left.length === 0) return;
  const stuck = await endProcesses(left, GRACE_MS);
  for (const p of left) {
    if (!stuck.includes(p)) {
      err.write(
        `runbook: ended ${describe(p)}, left running by an earlier run (pid ${earlier.pid}) that was killed\n`,
      );
    }
  }
  if (stuck.length) {
    throw new StateError(
      `${describe(stuck[0] as RunProcess)} of an earlier run (pid ${earlier.pid}) is still running and cannot be ended; end it, then run again`,
    );
  }
}
