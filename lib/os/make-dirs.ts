// `mkdir -p` for the places the runner writes. Node's own `recursive: true` retries for ever where mkdir
// fails with ENOENT under a parent that exists (a path under /dev/fd or /proc), so each missing directory
// is made here one at a time, and any failure is the caller's to report. A part of the path that is not a
// directory is named in the error (ENOTDIR, its `path`).
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

function notADirectory(at: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${at}'`), { code: 'ENOTDIR', path: at });
}

/** Makes `dir` and any missing parent with `mode`; an existing directory is fine, anything else throws. */
export function makeDirs(dir: string, mode = 0o700): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    let isDir: boolean | undefined;
    try {
      isDir = statSync(at).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: something above is a file; going up finds it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    }
    if (isDir) break;
    if (isDir === false) throw notADirectory(at);
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, { mode });
    } catch (err) {
      // Made by someone else meanwhile: as good as made here.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(d).isDirectory()) throw err;
    }
  }
}
