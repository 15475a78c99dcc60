// What the step server reports on fd 4, one event per line (ARCHITECTURE.md), and the snapshots it
// leaves in the session directory. Snapshots go through a file: bash's `declare -p` writes a line per
// system call, and each one on the pipe would wake the runner.
import { readFileSync, statfsSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { RunnerError } from '../core/errors.ts';
import { reasonFromText, reasonOf } from '../os/write-error.ts';

/** What a shell left: its options, `declare -p` output, `declare -f` output, its directory and umask. */
export interface Snapshot {
  /** `shopt -p` and `set +o` output; absent when not listed (the step could not change them). */
  options?: string;
  declareP: string;
  /** Every variable (true), or only the names the step was asked about. */
  complete: boolean;
  /** Absent when the functions were not listed (the step could not change them). */
  functions?: string;
  cwd: string;
  umask: string;
  /** The step's positional parameters as it left them (`set --`, `shift`). */
  args: string[];
  /** The directory stack below the working directory (`pushd`), top first. */
  dirs: string[];
}

/** The shell could not write its snapshot (a full disk): bash's reason, e.g. "No space left on device". */
export interface SnapshotFailure {
  failed: string;
}

/** Reads the server's event lines in order. */
export class EventReader {
  private buffered = '';
  private lines: string[] = [];
  private waiting?: (line: string | undefined) => void;
  private ended = false;
  /** The process group of the newest subshell the server readied (its own, not a step's leftover). */
  lastReady?: number;
  /** Resolves when the server's end of the pipe is gone: the server ended. */
  readonly closed: Promise<void>;
  private onClosed?: () => void;

  constructor(stream: Readable) {
    this.closed = new Promise((resolve) => {
      this.onClosed = resolve;
    });
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      this.buffered += d;
      for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
        this.deliver(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
      }
    });
    stream.on('close', () => {
      this.ended = true;
      this.waiting?.(undefined);
      this.onClosed?.();
    });
  }

  private deliver(line: string): void {
    if (line.startsWith('ready ')) this.lastReady = Number(line.slice(6));
    const w = this.waiting;
    if (w) {
      this.waiting = undefined;
      w(line);
    } else this.lines.push(line);
  }

  /** The next event line, or undefined once the server is gone. */
  next(): Promise<string | undefined> {
    const line = this.lines.shift();
    if (line !== undefined || this.ended) return Promise.resolve(line);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }
}

/**
 * Reads the snapshot the shell with `token` left. Undefined when there is none (the step did not get to
 * the end), it is incomplete (the shell died while writing it) or an older one; a failure when the shell
 * said it could not write it.
 */
export function readSnapshot(dir: string, token: string): Snapshot | SnapshotFailure | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'snap'), 'utf8');
  } catch {
    return undefined;
  }
  // Seven NUL-terminated fields: the shell options, variables, functions, the token, the directory, what
  // was listed, the umask; then the positional parameters (their count, then each) and one for each
  // directory of the stack below the working directory.
  const fields = text.split('\0');
  if (fields[0] === 'RBFAIL' && fields[1] === token) return { failed: fields[2] || 'write error' };
  const argc = Number(fields[7]);
  if (!Number.isInteger(argc) || argc < 0 || fields.length < 9 + argc) return undefined;
  if (fields[fields.length - 1] !== '' || fields[3] !== token) return undefined;
  const listed = fields[5] as string;
  return {
    ...(/[vo]/.test(listed) ? { options: fields[0] as string } : {}),
    declareP: fields[1] as string,
    complete: listed.includes('v'),
    ...(listed.includes('f') ? { functions: fields[2] as string } : {}),
    cwd: fields[4] as string,
    umask: (fields[6] as string).trim(),
    args: fields.slice(8, 8 + argc),
    dirs: fields.slice(8 + argc, -1),
  };
}

/**
 * The snapshot a step left, or undefined when it left none (it replaced the EXIT trap and exited early, or
 * exec'd another program). One the shell could not write (a full disk) is the runner's failure.
 */
export function readStepSnapshot(dir: string, token: string): Snapshot | undefined {
  const snap = readSnapshot(dir, token);
  const file = path.join(dir, 'snap');
  const failed = (reason: string) =>
    new RunnerError(`cannot write ${file}, which hands the step's variables on: ${reason}`);
  if (snap && 'failed' in snap) throw failed(reasonFromText(snap.failed));
  if (!snap && isFull(dir)) throw failed(reasonOf('ENOSPC'));
  return snap;
}

/** Whether the file system holding `dir` has no room left (what a snapshot that came out short points to). */
function isFull(dir: string): boolean {
  try {
    return statfsSync(dir).bavail === 0;
  } catch {
    return false;
  }
}
