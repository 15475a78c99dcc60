// Where a run keeps its working files (each step's script, the hand-over files). They are written for
// every step and never need to survive a reboot, so a memory-backed directory is preferred: on a disk
// file system each rewrite can cost a flush (ext4 flushes a file truncated or renamed over another).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function bases(env: NodeJS.ProcessEnv): string[] {
  return [env.XDG_RUNTIME_DIR, '/dev/shm'].filter((b): b is string => !!b && path.isAbsolute(b));
}

/** A new private (0700) directory: in $XDG_RUNTIME_DIR or /dev/shm when usable, else the temp dir. */
export function scratchDir(prefix: string, env: NodeJS.ProcessEnv = process.env): string {
  for (const base of bases(env)) {
    try {
      return mkdtempSync(path.join(base, prefix));
    } catch {
      // Absent, read-only or full: the next place will do.
    }
  }
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Removes every scratch directory whose name starts with `prefix` (one of a run killed outright). */
export function removeScratchDirs(prefix: string, env: NodeJS.ProcessEnv = process.env): void {
  for (const base of [...bases(env), tmpdir()]) {
    let names: string[];
    try {
      names = readdirSync(base);
    } catch {
      continue;
    }
    for (const name of names) {
      if (name.startsWith(prefix)) rmSync(path.join(base, name), { recursive: true, force: true });
    }
  }
}

/** The name a run's scratch directory starts with: `runbook-RUN-pPID-`, or as much of it as is known. */
export function scratchPrefix(runId: string | undefined, pid?: number): string {
  if (!runId) return 'runbook-';
  return pid === undefined ? `runbook-${runId}-` : `runbook-${runId}-p${pid}-`;
}

/** The run and runner a scratch directory's name says it belongs to. */
export function scratchOwner(name: string): { run: string; pid: number } | undefined {
  const m = /^runbook-([0-9a-f]{16})-p(\d+)-/.exec(name);
  return m ? { run: m[1] as string, pid: Number(m[2]) } : undefined;
}
