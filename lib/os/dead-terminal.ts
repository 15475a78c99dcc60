// A terminal that hung up (its window closed) cannot have its settings restored: Node 20 asserts that
// restoring them at exit succeeds, and aborts, dumping core, when it cannot (nodejs/node#51519, fixed in
// later Node). Its check skips a descriptor that no longer refers to the file it started with, so a
// process leaving a dead terminal first points its standard descriptors at /dev/null.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Major number of /dev/null, /dev/zero and the other memory devices: character devices, never terminals. */
const MEMORY_DEVICES = 1;

/**
 * Whether `fd` is a terminal that hung up: still a character device, no longer answering as a terminal.
 * node:tty (which loads node:net) is only loaded for a descriptor that may be a terminal, so a run whose
 * output is piped does not pay for it at start or exit.
 */
function hungUp(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    if (!stat.isCharacterDevice() || ((stat.rdev >> 8) & 0xfff) === MEMORY_DEVICES) return false;
    const { isatty } = createRequire(import.meta.url)('node:tty') as typeof import('node:tty');
    return !isatty(fd);
  } catch {
    return false;
  }
}

/** Before exiting: when a standard descriptor's terminal hung up, each such descriptor is moved off it. */
export function leaveDeadTerminal(): void {
  for (const fd of [0, 1, 2]) {
    if (!hungUp(fd)) continue;
    try {
      closeSync(fd);
      // The lowest free descriptor: the one just closed, so a late write reaches nothing.
      openSync('/dev/null', 'r+');
    } catch {
      // Closed already: nothing to restore there.
    }
  }
}
