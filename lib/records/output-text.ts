// A step's captured terminal output made fit for files: no escape sequences, no overwritten lines.
import { stripVTControlCharacters } from 'node:util';

/**
 * The text a terminal would have left on screen: ANSI/OSC sequences removed, CRLF as LF, and for
 * carriage-return progress lines only what was written last.
 */
export function plainOutput(text: string): string {
  return stripVTControlCharacters(text)
    .replace(/\r+\n/g, '\n')
    .split('\n')
    .map((line) => {
      const parts = line.split('\r');
      // Later writes cover the start of earlier ones; keep the longest visible result.
      let shown = '';
      for (const part of parts) shown = part + shown.slice(part.length);
      return shown;
    })
    .join('\n');
}

export { formatDuration } from '../core/style.ts';

/** A step's number padded to the width of the largest one (at least two digits), so names sort. */
export function stepNumber(index: number, count: number): string {
  return String(index).padStart(Math.max(2, String(count).length), '0');
}
