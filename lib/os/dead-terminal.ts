// A terminal that hung up (its window closed) cannot have its settings restored: Node 20 asserts that
// restoring them at exit succeeds, and aborts, dumping core, when it cannot (nodejs/node#51519, fixed in
// later Node). Its check skips a descriptor that no longer refers to the file it started with, so a
// process leaving a dead terminal first points its standard descriptors at /dev/null.
import { closeSync, openSync } from 'node:fs';
import { isatty } from 'node:tty';

/** The standard descriptors that were terminals when the runner started (this module loads at start). */
const STARTED_AS_TTY = [0, 1, 2].filter((fd) => isatty(fd));

/**
 * Before exiting: a descriptor that was a terminal and no longer answers as one belongs to a terminal
 * that hung up; then each of them is moved off it, so exit does not try to restore what cannot be.
 */
export function leaveDeadTerminal(): void {
  if (!STARTED_AS_TTY.some((fd) => !isatty(fd))) return;
  for (const fd of STARTED_AS_TTY) {
    try {
      closeSync(fd);
      // The lowest free descriptor: the one just closed, so a late write reaches nothing.
      openSync('/dev/null', 'r+');
    } catch {
      // Closed already: nothing to restore there.
    }
  }
}
