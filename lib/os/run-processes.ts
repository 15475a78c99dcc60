// The processes of a run, wherever they went: every step and everything it starts inherit the run's mark in
// their environment (__RB_RUN), so a daemon that left its step's process group (setsid, a double fork) is
// still found, and so is one that dropped its environment but holds the output pipes the runner reads.
// The run ends them when it ends (a step's background jobs end with the step; see kill.ts), and a run that
// finds an earlier one killed outright ends what that one left before it starts a step.

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { signal } from './kill.ts';
import { isRunning, procStat } from './proc.ts';

export const RUN_MARK = '__RB_RUN';
/** In the environment of a JavaScript step's process started ahead of its step: the runner's own. */
export const SPARE_MARK = '__RB_JS_SPARE';

export function newRunId(): string {
  return randomBytes(8).toString('hex');
}

export interface RunProcess {
  pid: number;
  /** Its command line, shortened, for messages. */
  command: string;
  /** Its environment as it started: NAME=VALUE entries. */
  env: string[];
}

function commandOf(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return argv.length > 60 ? `${argv.slice(0, 57)}...` : argv;
  } catch {
    return '?';
  }
}

function holdsAny(pid: number, links: Set<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (links.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return true;
    } catch {
      // Closed while we looked.
    }
  }
  return false;
}

/**
 * The live processes of run `id` (its mark in their environment), and those holding any of `links` (what
 * /proc/PID/fd shows for the output pipes, e.g. "socket:[123]"), but for this process and `exclude`.
 */
export function runProcesses(id: string, links: string[] = [], exclude: number[] = []): RunProcess[] {
  const mark = Buffer.from(`\0${RUN_MARK}=${id}\0`);
  const held = new Set(links);
  const skip = new Set([process.pid, ...exclude]);
  const found: RunProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || skip.has(Number(entry))) continue;
    const pid = Number(entry);
    let env = Buffer.alloc(0);
    try {
      env = Buffer.concat([Buffer.from('\0'), readFileSync(`/proc/${pid}/environ`)]);
    } catch {
      // Gone, or another user's.
    }
    if (env.includes(mark) || (held.size > 0 && holdsAny(pid, held))) {
      const entries = env.toString('utf8').split('\0').filter(Boolean);
      found.push({ pid, command: commandOf(pid), env: entries });
    }
  }
  return found;
}

/**
 * Ends processes: SIGTERM to each (and to the group it leads), SIGKILL after `graceMs` to what remains.
 * Resolves with those that could not be ended (another user's, say).
 */
export async function endProcesses(procs: RunProcess[], graceMs: number): Promise<RunProcess[]> {
  const send = (sig: NodeJS.Signals) => {
    for (const p of procs) {
      signal(-p.pid, sig);
      signal(p.pid, sig);
    }
  };
  const living = () => procs.filter((p) => isRunning(p.pid));
  send('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (living().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (living().length) send('SIGKILL');
  const until = Date.now() + 1000;
  while (living().length && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return living();
}

/** The process group `pid` belongs to, or undefined once it is gone. */
export function groupOf(pid: number): number | undefined {
  return procStat(pid)?.pgid;
}

/** What /proc shows for a process's file descriptor `fd` ("socket:[123]"), to find who else holds it. */
export function linkOf(pid: number, fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/**
 * How /proc names a server's ends of its output pipes (socket pairs the runner made for it alone), read
 * from the copies it keeps at `fds`, which no redirection moves: whoever else holds one is of this run.
 */
export function outputSockets(pid: number, fds: number[]): string[] {
  const links = fds.map((fd) => linkOf(pid, fd) ?? '');
  return [...new Set(links.filter((l) => l.startsWith('socket:[')))];
}
