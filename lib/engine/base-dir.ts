// Where a run's steps start, and the check that a directory a run is to start in is one: the run makes
// sure of both before its first step, so that no step is the first to find out.
import { statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../core/errors.ts';

/** Where steps start: the runbook's directory (RunbookPlace.dir), or front matter cwd relative to it. */
export function baseDirFor(runbookDir: string, cwd: string | undefined): string {
  return path.resolve(runbookDir, cwd ?? '.');
}

export function assertDir(dir: string, what: string): void {
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${what} ${dir} does not exist`);
    throw new InputError(`${what} ${dir} is not usable (${code ?? 'unreadable'})`);
  }
  if (!ok) throw new InputError(`${what} ${dir} is not a directory`);
}
