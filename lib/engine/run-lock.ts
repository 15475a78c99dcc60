// The run lock: one run of a runbook at a time (two would overwrite each other's record), in its state
// directory beside the record. A lock whose process is gone is taken over, and the run that takes it is
// told, so that what the earlier run left running is ended first.
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { RunnerError, StateError } from '../core/errors.ts';
import { startedAfter } from '../os/proc.ts';
import { type RunbookPlace, stateFile } from '../os/state-dir.ts';
import { writeFailure } from '../os/write-error.ts';

function lockPath(place: RunbookPlace): string {
  return stateFile(place, 'lock');
}

/** A run's hold on its runbook; `earlier` is the run that held it and is gone (killed outright). */
export interface RunLock {
  release(): void;
  earlier?: { pid: number; run?: string };
}

/** The lock's text: the pid, `run:ID` (what the run's processes carry, os/run-processes.ts), who holds it. */
function lockText(run: string, what: string): string {
  return [String(process.pid), run ? `run:${run}` : '', what].filter(Boolean).join(' ');
}

/**
 * Creates `file` holding `text`, failing with EEXIST if it exists: written to a file of its own, then
 * linked into place, so that no other run ever reads it empty (and takes it for a stale one).
 */
function createWith(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text, { mode: 0o600 });
    linkSync(temporary, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((err as NodeJS.ErrnoException).syscall !== 'link' || code === 'EEXIST') throw err;
    // A file system without hard links: created and written in two moves.
    writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
  } finally {
    rmSync(temporary, { force: true });
  }
}

function readLockIfThere(file: string): ReturnType<typeof readLock> | undefined {
  try {
    return readLock(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function readLock(file: string): { pid: number; run?: string; who: string } {
  const [pid = '', ...rest] = readFileSync(file, 'utf8').trim().split(' ');
  const run = rest[0]?.startsWith('run:') ? (rest.shift() as string).slice(4) : undefined;
  return { pid: Number(pid), run, who: rest.join(' ').trim() };
}

/**
 * Takes the runbook's run lock, so two runs of one runbook cannot overwrite each other's record. A lock
 * left by a process that no longer exists is taken over, and said (`earlier`): what that run left running
 * must end first. `what` says who holds it (`runbook serve at ...`), for the run that is refused.
 */
export function lockRun(place: RunbookPlace, what = '', run = ''): RunLock {
  const file = lockPath(place);
  let earlier: RunLock['earlier'];
  // A stale lock is taken over once; one released as it was looked at is tried for again, a bounded
  // number of times (runs of the runbook starting and ending side by side).
  for (let attempt = 0, vanished = 0; attempt < 2 && vanished < 100; attempt++) {
    try {
      createWith(file, lockText(run, what));
      const release = () => {
        try {
          rmSync(file, { force: true });
        } catch {
          // A step took the state directory away; the lock went with it.
        }
      };
      return { release, earlier };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new RunnerError(writeFailure(file, err, 'cannot take the run lock'));
      }
      const lock = readLockIfThere(file);
      if (!lock) {
        vanished++;
        attempt--;
        continue;
      }
      const { pid: holder, run: held, who } = lock;
      if (holder > 0 && holder !== process.pid && isAlive(holder) && !startedAfter(holder, file)) {
        throw new StateError(
          `another run of this runbook (pid ${holder}${who ? `, ${who}` : ''}) is in progress; wait for it or stop it`,
        );
      }
      if (holder > 0 && holder !== process.pid) earlier = { pid: holder, run: held };
      rmSync(file, { force: true });
    }
  }
  throw new StateError(`cannot take the run lock ${file}`);
}

/** Says who holds the lock this process holds (serve knows its address only once it listens). */
export function describeLock(place: RunbookPlace, what: string): void {
  const file = lockPath(place);
  try {
    const { pid, run } = readLock(file);
    if (pid === process.pid) writeFileSync(file, lockText(run ?? '', what), { mode: 0o600 });
  } catch {
    // The lock is only a courtesy to the next run's message here; it still holds.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
