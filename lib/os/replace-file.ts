// Files the runner rewrites (the run record, the parse and analysis caches) are replaced whole: a crash or
// Ctrl-C part-way leaves the old file, never half of the new one. They are private (0600) by default: the
// record holds carried values. A temporary file that cannot be finished (a full disk) is removed, and one
// still being written when the process exits is removed on the way out.
import { rmSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';

const unfinished = new Set<string>();
let watching = false;

function removeUnfinished(): void {
  for (const file of unfinished) rmSync(file, { force: true });
}

/**
 * Writes `text` to a temporary file beside `file` (this process's own), then renames it over `file`. The
 * temporary file is always new, so it has `mode` from its first byte: a private file is never readable by
 * others, not even for a moment (a leftover of a crashed run with the same pid is removed first).
 */
export async function replaceFile(file: string, text: string | Uint8Array, mode = 0o600): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  if (!watching) {
    process.once('exit', removeUnfinished);
    watching = true;
  }
  unfinished.add(temporary);
  try {
    await removeFile(temporary);
    await writeFile(temporary, text, { mode, flag: 'wx' });
    await rename(temporary, file);
  } catch (err) {
    await removeFile(temporary).catch(() => {});
    throw err;
  } finally {
    unfinished.delete(temporary);
  }
}

/** Removes a file, one that is not there included (fs.rm walks it as a tree first: lstat, then unlink). */
async function removeFile(file: string): Promise<void> {
  await unlink(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
