// How a failed write is said: the file and the reason in words (fsReason), with the error's code for a
// search ("no space left on device (ENOSPC)"), whether Node threw it or bash printed it.
import { fsReason } from '../core/errors.ts';

/** What the C library calls the common failures (bash prints strerror), by errno code. */
const STRERROR: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  ENOENT: 'no such file or directory',
  EFBIG: 'file too large',
};

/** "no space left on device (ENOSPC)" for an errno code. */
export function reasonOf(code: string): string {
  return `${fsReason({ code, message: STRERROR[code] ?? code })} (${code})`;
}

/** The same from the words bash printed: "No space left on device". */
export function reasonFromText(text: string): string {
  const lower = text.trim().toLowerCase();
  const code = Object.keys(STRERROR).find((c) => STRERROR[c] === lower);
  return code ? reasonOf(code) : lower || 'write error';
}

/** `cannot write FILE: no space left on device (ENOSPC)` for an error thrown by a write. */
export function writeFailure(file: string, err: unknown, what = 'cannot write'): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  return `${what} ${file}: ${fsReason(err)}${code ? ` (${code})` : ''}`;
}
