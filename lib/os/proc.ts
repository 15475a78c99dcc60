// What Linux's /proc says of a process: its parent, its process group, whether it has ended. A process that
// has ended but not been reaped (a zombie, until its parent or init waits for it) still answers kill -0,
// yet holds nothing and runs nothing: for ending a tree it counts as gone.
import { readdirSync, readFileSync, statSync } from 'node:fs';

export interface ProcStat {
  ppid: number;
  pgid: number;
  /** R, S, D, Z, T, ... */
  state: string;
}

/** Every process id /proc lists. */
export function processIds(): number[] {
  try {
    return readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number);
  } catch {
    return [];
  }
}

/** Undefined once the process is gone. */
export function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses; fields resume after the last ')'.
    const [state = '', ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid), pgid: Number(pgid) };
  } catch {
    return undefined;
  }
}

/** The kernel's clock ticks per second for /proc's times (USER_HZ: 100 on every Linux ABI). */
const TICKS = 100;

/** When the process started, in ms since the epoch (to about a second: the boot time is in seconds). */
export function startedAt(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(ticks) && boot > 0 ? boot * 1000 + (ticks * 1000) / TICKS : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether process `pid` started after `file` was last written, so it is not what wrote it: its number was
 * used again (the writer killed outright, a restart). False when either cannot be looked at.
 */
export function startedAfter(pid: number, file: string): boolean {
  const started = startedAt(pid);
  try {
    // The boot time /proc gives is in whole seconds.
    return started !== undefined && started > statSync(file).mtimeMs + 1000;
  } catch {
    return false;
  }
}

/** Alive and not a zombie. */
export function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}
