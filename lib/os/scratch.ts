// Where a run keeps its working files (each step's script, the hand-over files). They are written for
// every step and never need to survive a reboot, so a memory-backed directory is preferred: on a disk
// file system each rewrite can cost a flush (ext4 flushes a file truncated or renamed over another).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A new private (0700) directory: in $XDG_RUNTIME_DIR or /dev/shm when usable, else the temp dir. */
export function scratchDir(prefix: string, env: NodeJS.ProcessEnv = process.env): string {
  for (const base of [env.XDG_RUNTIME_DIR, '/dev/shm']) {
    if (!base || !path.isAbsolute(base)) continue;
    try {
      return mkdtempSync(path.join(base, prefix));
    } catch {
      // Absent, read-only or full: the next place will do.
    }
  }
  return mkdtempSync(path.join(tmpdir(), prefix));
}
