// A step's captured terminal output made fit for files: no escape sequences, no overwritten lines.
export { plainOutput } from '../core/plain-output.ts';
export { formatDuration } from '../core/style.ts';

/** A step's number padded to the width of the largest one (at least two digits), so names sort. */
export function stepNumber(index: number, count: number): string {
  return String(index).padStart(Math.max(2, String(count).length), '0');
}
