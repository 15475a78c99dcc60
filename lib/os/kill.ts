// Ending a step means ending everything it started: its process group (the step runs in its own session)
// and any descendant that moved to another group, then SIGKILL for whatever ignores SIGTERM.
import { isRunning, processIds, procStat } from './proc.ts';

function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const pid of processIds()) {
    const stat = procStat(pid);
    if (stat) parentOf.set(pid, stat.ppid);
  }
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length) {
    const p = frontier.pop() as number;
    for (const [pid, ppid] of parentOf) {
      if (ppid === p && !found.includes(pid)) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}

/** Sends `sig` (0: only asks whether it exists); false when there is no such process or group. */
export function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** True while the group led by `pgid` (or any listed process) still has a member that has not ended. */
function alive(pgid: number, pids: number[]): boolean {
  if (pids.some(isRunning)) return true;
  if (!signal(-pgid, 0)) return false;
  // Members answer kill -0 until they are reaped; only one still running counts.
  return processIds().some(runningIn(pgid));
}

/** How long a spared group leader is given to end once the rest of its tree is killed. */
const LEADER_MS = 1000;

/**
 * Sends `sig` to the step's process group and its descendants; after `graceMs`, SIGKILL to the rest.
 * Resolves once nothing is left (or right away when graceMs is 0). `spareLeader`: SIGKILL spares the
 * group's leader at first, which then ends on its own (its TERM trap) as its child is killed: a leader
 * killed outright is a job the step shell reports, with its whole command text, on the steps' terminal.
 */
export async function killTree(
  pgid: number,
  sig: NodeJS.Signals,
  graceMs = 0,
  spareLeader = false,
): Promise<void> {
  const pids = descendants(pgid);
  signal(-pgid, sig);
  for (const p of pids) signal(p, sig);
  if (graceMs <= 0) return;
  const gone = (ms: number) => waitGone(pgid, pids, ms);
  if (await gone(graceMs)) return;
  if (spareLeader) {
    for (const p of [...members(pgid), ...pids]) if (p !== pgid) signal(p, 'SIGKILL');
    if (await gone(LEADER_MS)) return;
  }
  signal(-pgid, 'SIGKILL');
  for (const p of pids) signal(p, 'SIGKILL');
}

/** Whether the tree is gone within `ms`. */
async function waitGone(pgid: number, pids: number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pgid, pids) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return !alive(pgid, pids);
}

/** The running members of process group `pgid`. */
function members(pgid: number): number[] {
  return processIds().filter(runningIn(pgid));
}

/** Whether a process is in group `pgid` and has not ended. */
function runningIn(pgid: number): (pid: number) => boolean {
  return (pid) => procStat(pid)?.pgid === pgid && isRunning(pid);
}

/** After a step's shell exits: end the background jobs it left in its group, without waiting for them. */
export function endLeftovers(pgid: number): void {
  if (!signal(-pgid, 'SIGTERM')) return;
  setTimeout(() => signal(-pgid, 'SIGKILL'), 2000).unref();
}
