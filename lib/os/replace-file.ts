// Files the runner rewrites (the run record, the parse and analysis caches) are replaced whole: a crash or
// Ctrl-C part-way leaves the old file, never half of the new one.
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes `text` to a temporary file beside `file` (this process's own), then renames it over `file`. The
 * temporary file is always new, so it has `mode` from its first byte: a private file is never readable by
 * others, not even for a moment (a leftover of a crashed run with the same pid is removed first).
 */
export async function replaceFile(file: string, text: string, mode = 0o666): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await rm(temporary, { force: true });
  await writeFile(temporary, text, { mode, flag: 'wx' });
  await rename(temporary, file);
}
