// Files the runner rewrites (the run record, the parse and analysis caches) are replaced whole: a crash or
// Ctrl-C part-way leaves the old file, never half of the new one.
import { rename, writeFile } from 'node:fs/promises';

/** Writes `text` to a temporary file beside `file` (this process's own), then renames it over `file`. */
export async function replaceFile(file: string, text: string, mode = 0o666): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, file);
}
