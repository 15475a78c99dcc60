// Where a runbook's own files live (the run record, its lock, the parse and analysis caches): `.runbook/`
// beside it when its directory can hold that, else a folder of its own under $XDG_STATE_HOME/runbook/
// (default ~/.local/state/runbook/): a read-only mount, another user's directory, a runbook read from a
// pipe. Folders there are named so that two runbooks never share one: `<name>-<hash of its absolute
// path>`, or for a pipe, which has no path, `stream-<hash of its directory and its text>` (the same text
// piped in from the same directory is the same runbook). A pipe gets no caches: nothing is read twice.
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fsReason, InputError } from '../core/errors.ts';
import { makeDirs } from './make-dirs.ts';

export interface RunbookPlace {
  /** The runbook's absolute path, as messages name it (a file given as /dev/stdin is that file). */
  file: string;
  /** Where its steps start by default: its directory, or for a pipe the current directory. */
  dir: string;
  /** Read from a pipe or process substitution: no path to come back to, no caches. */
  stream: boolean;
  /** What its run record belongs to: the absolute path, or for a pipe its folder's name. */
  identity: string;
  /** `deploy` for deploy.md, `stream` for a pipe: the first part of its files' names. */
  name: string;
  /** The state home's folder for it, used when `.runbook/` beside it is not. */
  homeFolder: string;
  /** Chosen on first use. */
  stateDir?: string;
}

/** Paths that name a file descriptor rather than a file: /dev/stdin, /dev/fd/N, /proc/PID/fd/N. */
const DESCRIPTOR = /^\/dev\/(stdin|stdout|stderr|fd\/)|^\/proc\//;

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** A regular file, or a path with nothing there yet (a runbook being written, a test's): not a stream. */
function isFileOrMissing(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** The state home: $XDG_STATE_HOME when it is absolute (as the XDG spec asks), else ~/.local/state. */
function stateHome(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || homedir(), '.local', 'state');
  return path.join(base, 'runbook');
}

/** Where a runbook given as `file` (absolute) belongs; `text` is what was read from it. */
export function placeOf(
  file: string,
  text: string,
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): RunbookPlace {
  let real = file;
  if (DESCRIPTOR.test(file)) {
    try {
      real = realpathSync(file);
    } catch {
      // A descriptor that resolves to nothing on disk: a stream.
    }
  }
  const home = stateHome(opts.env);
  if (!DESCRIPTOR.test(real) && isFileOrMissing(real)) {
    const name = path.basename(real).replace(/\.md$/i, '');
    const folder = `${name.replace(/[^\w.-]/g, '_').slice(0, 60)}-${hash(real)}`;
    return {
      file: real,
      dir: path.dirname(real),
      stream: false,
      identity: real,
      name,
      homeFolder: path.join(home, folder),
    };
  }
  // A named pipe has a directory of its own; a descriptor's is the current one.
  const dir = DESCRIPTOR.test(file) ? opts.cwd : path.dirname(file);
  const folder = `stream-${hash(`${dir}\0${text}`)}`;
  return { file, dir, stream: true, identity: folder, name: 'stream', homeFolder: path.join(home, folder) };
}

/** Why `dir` cannot hold the runbook's files, or undefined once it exists (made 0700) and is writable. */
function unusable(dir: string, makeParents: boolean): string | undefined {
  try {
    if (makeParents) makeDirs(dir, 0o700);
    else mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return `${(err as NodeJS.ErrnoException).path ?? dir} is not a directory`;
    if (code !== 'EEXIST') return `${dir}: ${fsReason(err)}`;
  }
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
    accessSync(dir, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (err) {
    return `${dir}: ${fsReason(err)}`;
  }
}

/** The directory for the runbook's own files, made if need be; an InputError when no place will do. */
export function stateDir(place: RunbookPlace): string {
  if (place.stateDir) return place.stateDir;
  const reasons: string[] = [];
  for (const [dir, makeParents] of [
    ...(place.stream ? [] : [[path.join(place.dir, '.runbook'), false] as const]),
    [place.homeFolder, true] as const,
  ]) {
    const why = unusable(dir, makeParents);
    if (!why) {
      place.stateDir = dir;
      return dir;
    }
    reasons.push(why);
  }
  throw new InputError(
    `nowhere to keep the run record of ${place.file}: ${reasons.join('; ')} (set XDG_STATE_HOME to a writable directory)`,
  );
}

/** `<state dir>/<name>.<purpose>` for one runbook's file: `deploy.state.json`, `deploy.lock`. */
export function stateFile(place: RunbookPlace, purpose: string): string {
  return path.join(stateDir(place), `${place.name}.${purpose}`);
}

/**
 * Where one runbook's cache goes (`deploy.parse.json`), or undefined when it has no place (a pipe, nowhere
 * writable). Never shared between runbooks: side by side, they would evict each other's entries.
 */
export function cacheFile(place: RunbookPlace, purpose: string): string | undefined {
  if (place.stream) return undefined;
  try {
    return stateFile(place, purpose);
  } catch {
    return undefined;
  }
}

/** A step's name as a file name: anything but word characters, dots and dashes becomes `_`. */
export function stepFileName(stepName: string, extension: string): string {
  return `${stepName.replace(/[^\w.-]/g, '_').slice(0, 100)}.${extension}`;
}
