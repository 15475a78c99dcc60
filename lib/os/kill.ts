// Ending a step means ending everything it started: its process group (the step runs in its own session)
// and any descendant that moved to another group, then SIGKILL for whatever ignores SIGTERM.
import { readdirSync, readFileSync } from 'node:fs';

function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may contain spaces and parentheses; fields resume after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // The process ended while we looked.
    }
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

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** True while the group led by `pgid` (or any listed process) still has a member. */
function alive(pgid: number, pids: number[]): boolean {
  return signal(-pgid, 0) || pids.some((p) => signal(p, 0));
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
