// Typed errors: everything below the CLI throws these; only the CLI turns them into exit codes.

export const EXIT = {
  ok: 0,
  stepFailed: 1,
  usage: 2,
  interrupted: 130,
  /** The reader of the output went away (`runbook ... | head`): 128 + SIGPIPE, as for any program. */
  outputClosed: 141,
} as const;

export class RunbookError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags or arguments. */
export class UsageError extends RunbookError {}

/** A runbook, file or setting that cannot be used as given. */
export class InputError extends RunbookError {}

/** A run record that is corrupt, foreign or unusable. */
export class StateError extends RunbookError {}

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'already exists',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

/** Why a file system call failed, in words (`permission denied`), without node's code and path. */
export function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const known = e?.code ? FS_REASONS[e.code] : undefined;
  if (known) return known;
  // Node's own form is "CODE: description, syscall 'path'": the description is the reason.
  const described = /^E[A-Z]+: ([^,]+)/.exec(e?.message ?? '')?.[1];
  return described ?? e?.message ?? String(err);
}
/**
 * The runner's own means failed it (a full scratch or state disk, a file it cannot write): never a step's
 * fault, so the step it happened at is left to run again with --resume.
 */
export class RunnerError extends RunbookError {}
