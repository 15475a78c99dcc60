// `o`: a step's last output shown again, without running it: the record's tail (bounded, secrets already
// redacted) as a terminal left it, the last lines of it if it is long.
import { plainOutput } from '../core/plain-output.ts';
import type { Paint } from '../core/style.ts';
import type { StepResult } from '../core/types.ts';
import { stripControl } from './text.ts';

export const OUTPUT_LINES = 200;

/**
 * `liveLog` is what a background step that still runs has printed so far (its log, redacted): shown in
 * place of the record's tail, which it only gets when it ends.
 */
export function outputView(
  result: StepResult,
  paint: Paint,
  maxLines = OUTPUT_LINES,
  liveLog?: string,
): string {
  const title = `step ${result.index} ${result.name}`;
  if ((result.runs ?? result.attempts) === 0 && liveLog === undefined)
    return `${paint('dim', `${title} has not run yet: no output to show`)}\n`;
  const how =
    liveLog !== undefined
      ? 'running in the background'
      : result.exitCode === null
        ? result.status
        : `${result.status}, exit code ${result.exitCode}`;
  const head = paint(
    'dim',
    `── ${liveLog !== undefined ? 'output so far' : 'last output'} of ${title} (${how}) ──`,
  );
  const text = stripControl(plainOutput(liveLog ?? result.tail)).replace(/\n+$/, '');
  if (text === '') return `${head}\n${paint('dim', 'It printed nothing.')}\n`;
  const lines = text.split('\n');
  const shown = lines.slice(-maxLines);
  const cut =
    lines.length > shown.length ? [paint('dim', `… ${lines.length - shown.length} earlier lines`)] : [];
  const bar = paint('dim', '│');
  return `${[head, ...cut, ...shown.map((l) => `${bar} ${l}`.trimEnd())].join('\n')}\n${paint('dim', '──')}\n`;
}
