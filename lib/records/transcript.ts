// The runbook itself with what each step printed inserted below its block: a readable report of a run.
import path from 'node:path';
import type { RunReport, Step, StepResult } from '../core/types.ts';
import { formatDuration, plainOutput } from './output-text.ts';

const STATUS_LABEL: Record<StepResult['status'], string> = {
  done: '✔ done',
  failed: '✘ failed',
  interrupted: '■ interrupted',
  running: '■ did not finish',
  skipped: '⏭ skipped',
  pending: '· not run',
};

/** Opening fence: any indentation or block-quote markers, then ``` or ~~~ (3 or more). */
const OPENING = /^[\s>]*?(`{3,}|~{3,})/;

/** 0-based index of the line holding the fence that closes the block opened at `open`; -1 if none. */
export function closingFenceLine(lines: string[], open: number): number {
  const marker = OPENING.exec(lines[open] ?? '')?.[1];
  if (!marker) return -1;
  const char = marker[0] === '`' ? '`' : '~';
  const closing = new RegExp(`^[\\s>]*${char === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
  for (let i = open + 1; i < lines.length; i++) if (closing.test(lines[i] as string)) return i;
  return -1;
}

/** A fence longer than any run of backticks in the text, so the text cannot close it. */
function fenceFor(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

function fenced(text: string, lang: string): string[] {
  const fence = fenceFor(text);
  return [`${fence}${lang}`, ...text.split('\n'), fence];
}

function outcomeBlock(result: StepResult, redact: (s: string) => string): string[] {
  const facts = [`**${STATUS_LABEL[result.status]}**`];
  if (result.exitCode !== null && result.status !== 'pending' && result.status !== 'skipped') {
    facts.push(`exit ${result.exitCode}`);
  }
  if (result.status !== 'pending' && result.status !== 'skipped')
    facts.push(formatDuration(result.durationMs));
  if ((result.runs ?? 1) > 1) facts.push(`ran ${result.runs} times`);
  else if (result.attempts > 1) facts.push(`${result.attempts} attempts`);
  if (result.output?.matched) facts.push(`output matched (${result.output.expect})`);
  if (result.background) facts.push(`background: ${result.background.state}`);
  const block = ['', `> ${facts.join(' · ')}`];
  if (result.message) block.push('>', `> ${redact(result.message).replace(/\n/g, '\n> ')}`);
  if (result.editedCode !== undefined) {
    block.push(
      '',
      'The code was edited before it ran; this ran:',
      '',
      ...fenced(redact(result.editedCode), 'text'),
    );
  }
  if (result.output?.diff) block.push('', ...fenced(redact(result.output.diff), 'diff'));
  const output = redact(plainOutput(result.tail)).replace(/\n+$/, '');
  if (output) block.push('', ...fenced(output, 'text'));
  return block;
}

function summary(report: RunReport): string[] {
  const done = report.steps.filter((s) => s.status === 'done').length;
  return [
    `> **Run of ${path.basename(report.runbookPath)}** · started ${report.startedAt} · ended ${report.endedAt}` +
      ` · exit code ${report.exitCode} · ${done} of ${report.steps.length} step${report.steps.length === 1 ? '' : 's'} done`,
    '',
  ];
}

/** 0-based line after YAML front matter (0 when there is none). */
function bodyStart(lines: string[]): number {
  if (lines[0]?.trim() !== '---') return 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]?.trim();
    if (line === '---' || line === '...') return i + 1;
  }
  return 0;
}

/**
 * The runbook text with each step's outcome and output below its closing fence (an unterminated block
 * is closed first), and a summary after the front matter. Everything inserted passes through `redact`.
 */
export function transcriptMarkdown(
  report: RunReport,
  runbookText: string,
  steps: Step[],
  redact: (s: string) => string,
): string {
  const eol = runbookText.includes('\r\n') ? '\r\n' : '\n';
  const lines = runbookText.replace(/^\uFEFF/, '').split(/\r\n?|\n/);
  const results = new Map(report.steps.map((r) => [r.index, r]));
  const inserts: Array<{ after: number; index: number; block: string[] }> = [];
  for (const step of steps) {
    const result = results.get(step.index);
    if (!result) continue;
    const open = step.line - 1;
    const close = closingFenceLine(lines, open);
    const block = outcomeBlock(result, redact);
    if (close !== -1) {
      inserts.push({ after: close, index: step.index, block });
      continue;
    }
    // An unterminated block would swallow the outcome: close it after its last non-blank line.
    let last = lines.length - 1;
    while (last > open && lines[last]?.trim() === '') last--;
    const marker = OPENING.exec(lines[open] ?? '')?.[1] ?? '```';
    inserts.push({ after: last, index: step.index, block: [marker, ...block] });
  }
  // From the bottom up, so earlier line numbers stay valid (and steps sharing a line keep their order).
  inserts.sort((a, b) => b.after - a.after || b.index - a.index);
  for (const { after, block } of inserts) {
    // A blank line must separate the inserted quote from following text, which would otherwise continue it.
    const spaced = (lines[after + 1] ?? '').trim() === '' ? block : [...block, ''];
    lines.splice(after + 1, 0, ...spaced);
  }
  const start = bodyStart(lines);
  const head = [...(start > 0 ? [''] : []), ...summary(report)];
  if ((lines[start] ?? '').trim() === '') head.pop();
  lines.splice(start, 0, ...head);
  return redact(lines.join(eol));
}
