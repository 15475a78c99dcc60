// `o`: a step's last output shown again, without running it: the record's tail (bounded, secrets already
// redacted) as a terminal left it, the last lines of it if it is long.
import { plainOutput } from '../core/plain-output.ts';
import type { Paint } from '../core/style.ts';
import type { StepResult } from '../core/types.ts';
import { stripControl } from './render.ts';

export const OUTPUT_LINES = 200;

export function outputView(result: StepResult, paint: Paint, maxLines = OUTPUT_LINES): string {
  const title = `step ${result.index} ${result.name}`;
  if ((result.runs ?? result.attempts) === 0)
    return `${paint('dim', `${title} has not run yet: no output to show`)}\n`;
  const how = result.exitCode === null ? result.status : `${result.status}, exit code ${result.exitCode}`;
  const head = paint('dim', `── last output of ${title} (${how}) ──`);
  const text = stripControl(plainOutput(result.tail)).replace(/\n+$/, '');
  if (text === '') return `${head}\n${paint('dim', 'It printed nothing.')}\n`;
  const lines = text.split('\n');
  const shown = lines.slice(-maxLines);
  const cut =
    lines.length > shown.length ? [paint('dim', `… ${lines.length - shown.length} earlier lines`)] : [];
  const bar = paint('dim', '│');
  return `${[head, ...cut, ...shown.map((l) => `${bar} ${l}`.trimEnd())].join('\n')}\n${paint('dim', '──')}\n`;
}
