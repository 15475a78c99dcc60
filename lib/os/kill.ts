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
  return processIds().some((pid) => procStat(pid)?.pgid === pgid && isRunning(pid));
}

/**
 * Sends `sig` to the step's process group and its descendants; after `graceMs`, SIGKILL to the rest.
 * Resolves once nothing is left (or right away when graceMs is 0).
 */
export async function killTree(pgid: number, sig: NodeJS.Signals, graceMs = 0): Promise<void> {
  const pids = descendants(pgid);
  signal(-pgid, sig);
  for (const p of pids) signal(p, sig);
  if (graceMs <= 0) return;
  const deadline = Date.now() + graceMs;
  while (alive(pgid, pids) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  if (alive(pgid, pids)) {
    signal(-pgid, 'SIGKILL');
    for (const p of pids) signal(p, 'SIGKILL');
  }
}

/** After a step's shell exits: end the background jobs it left in its group, without waiting for them. */
export function endLeftovers(pgid: number): void {
  if (!signal(-pgid, 'SIGTERM')) return;
  setTimeout(() => signal(-pgid, 'SIGKILL'), 2000).unref();
}
