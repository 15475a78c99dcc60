// Output as a terminal would have left it on screen: what records keep and what expected output is
// compared against.
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
