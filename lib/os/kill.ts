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

/** State and process group of a process from /proc/PID/stat; undefined once it is gone. */
function stat(pid: number | string): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses; fields resume after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] as string, pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/**
 * True while the group led by `pgid` (or any listed process) still has a living member. A zombie has
 * ended: it only waits for its parent (or init, for an orphan) to collect it, and must not hold up a stop.
 */
function alive(pgid: number, pids: number[]): boolean {
  const living = (pid: number | string) => {
    const s = stat(pid);
    return s !== undefined && s.state !== 'Z';
  };
  if (pids.some((p) => signal(p, 0) && living(p))) return true;
  if (!signal(-pgid, 0)) return false;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  return entries.some((e) => /^\d+$/.test(e) && stat(e)?.pgrp === pgid && living(e));
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
