// The lines both drivers print around a step: its header, how it ended, and a failure's last lines.

import { formatDuration, type Paint } from '../core/style.ts';
import type { Step } from '../core/types.ts';
import type { BackgroundNotice } from '../engine/background.ts';
import type { StepRun } from '../engine/engine.ts';
import { lastLines } from '../os/tail.ts';

export const TAIL_LINES = 20;

export function header(step: Step, total: number, paint: Paint): string {
  return `${paint('cyan', '▶')} ${paint('bold', `Step ${step.index}/${total} · ${step.name}`)}\n`;
}

export function statusLine(run: StepRun, paint: Paint): string {
  const { result } = run;
  const took = formatDuration(result.durationMs);
  const bg = result.background;
  if (result.status === 'done' && bg?.state === 'running') {
    const pid = bg.pid ? ` (pid ${bg.pid})` : '';
    return `${paint('green', '✔')} ${result.name} runs in the background${pid}, ready after ${took}\n`;
  }
  if (result.status === 'done') return `${paint('green', '✔')} ${result.name} done in ${took}\n`;
  if (result.status === 'interrupted')
    return `${paint('yellow', '■')} ${result.name} interrupted after ${took}\n`;
  const why = result.message ?? `exit code ${result.exitCode}`;
  return `${paint('red', '✖')} ${result.name} failed (${why}) after ${took}\n`;
}

export function failureSummary(run: StepRun, total: number, paint: Paint): string {
  const { result } = run;
  // The record's tail, already redacted: the runner's own lines never repeat a secret.
  const tail = lastLines(result.tail, TAIL_LINES);
  const lines = [
    paint(
      'red',
      `Step ${result.index}/${total} ${result.name} failed: ${result.message ?? `exit code ${result.exitCode}`}`,
    ),
  ];
  const diff = result.output?.diff;
  if (diff) {
    lines.push('What it printed against its output block:');
    for (const l of diff.split('\n')) lines.push(`  ${diffLine(l, paint)}`);
  } else if (tail.trim()) {
    lines.push(`Last lines of its output:`);
    for (const l of tail.split('\n')) lines.push(`  ${paint('dim', '│')} ${l}`);
  } else lines.push('It printed nothing.');
  return `${lines.join('\n')}\n`;
}

/** A line of an output diff, coloured by what it is: expected (red), printed (green), headers dim. */
export function diffLine(line: string, paint: Paint): string {
  if (line.startsWith('--- ') || line.startsWith('+++ ')) return paint('dim', line);
  if (line.startsWith('-')) return paint('red', line);
  if (line.startsWith('+')) return paint('green', line);
  return line;
}

/** A background step that ended on its own: said at once, and again before the next step. */
export function backgroundNotice(notice: BackgroundNotice, paint: Paint, again = false): string {
  const how = notice.signal ? `killed by ${notice.signal}` : `exit code ${notice.exitCode}`;
  const head = paint('red', `✖ background step ${notice.step.name} ended on its own (${how})`);
  if (again) return `  ${head}\n`;
  const lines = notice.lastLines.trim() ? notice.lastLines.split('\n') : [];
  const shown = lines.length
    ? `; its last lines:\n${lines.map((l) => `  ${paint('dim', '│')} ${l}`).join('\n')}`
    : '; it printed nothing';
  return `${head}${shown}\n`;
}

/** Under a step's header: the background steps that run, and those that ended since the last header. */
export function backgroundLines(
  running: { name: string; pid?: number }[],
  ended: BackgroundNotice[],
  paint: Paint,
): string {
  const lines = ended.map((n) => backgroundNotice(n, paint, true));
  if (running.length) {
    const names = running.map((r) => (r.pid ? `${r.name} (pid ${r.pid})` : r.name)).join(', ');
    lines.push(`  ${paint('dim', `⟳ in the background: ${names}`)}\n`);
  }
  return lines.join('');
}
