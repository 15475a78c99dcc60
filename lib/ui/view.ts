// What the walkthrough and the dry run show around a step: its title, the variables it uses, the summary
// table. Pure: data in, terminal text out.
import path from 'node:path';
import { displayValue } from '../core/context.ts';
import { IDENTIFIER_SOURCE } from '../core/identifiers.ts';
import { REDACTED } from '../core/secrets.ts';
import { formatDuration, type Paint, painter } from '../core/style.ts';
import type { BackgroundState, CarriedVar, Runbook, Step, StepResult } from '../core/types.ts';
import { isFlagSet } from '../markdown/attributes.ts';
import { describeExpectation, expectationOf } from '../markdown/expectation.ts';
import { isBackground } from '../markdown/step-options.ts';
import { header } from './status.ts';
import { type Piece, type Rendered, type RenderOptions, stripControl } from './text.ts';

const EXPANSION = new RegExp(`\\$\\{?(${IDENTIFIER_SOURCE})`, 'g');

/** One line of "variables it uses": a carried value, or a note on where the value will come from. */
export interface VarView {
  name: string;
  value?: string;
  note?: string;
}

/** Names a step's code reads as `$NAME` or `${NAME...}`: the fallback when the bash analysis failed. */
export function referencedNames(code: string): string[] {
  const names = new Set<string>();
  for (const m of code.matchAll(EXPANSION)) names.add(m[1] as string);
  return [...names];
}

/** A value on one line, cut to `max` columns: the first line of a multi-line value, with the line count. */
export function oneLine(text: string, max: number): string {
  if (text === '') return "''";
  const lines = text.split('\n');
  let first = stripControl(lines[0] ?? '');
  const more = lines.length > 1 ? ` … (${lines.length} lines)` : '';
  const room = Math.max(8, max - more.length);
  if (first.length > room) first = `${first.slice(0, room - 1)}…`;
  return `${first}${more}`;
}

/** A carried variable as shown to a person: secrets as ****, other values with embedded secrets hidden. */
export function carriedView(
  name: string,
  variable: CarriedVar,
  isSecret: (name: string) => boolean,
  redact: (text: string) => string,
  max: number,
): VarView {
  return { name, value: isSecret(name) ? REDACTED : oneLine(redact(displayValue(variable)), max) };
}

export function renderVars(vars: VarView[], paint: Paint, label = 'Variables it uses'): string {
  if (vars.length === 0) return '';
  const width = Math.max(...vars.map((v) => v.name.length));
  const lines = vars.map((v) => {
    const name = paint('cyan', v.name.padEnd(width));
    return v.value !== undefined
      ? `  ${name} = ${v.value}`
      : `  ${name}   ${paint('yellow', v.note ?? 'not set')}`;
  });
  return `${paint('dim', `${label}:`)}\n${lines.join('\n')}\n`;
}

/** Front matter title, else the first heading, else the file's name. */
export function runbookTitle(runbook: Runbook, file?: string): string {
  const fm = runbook.frontMatter.title;
  if (typeof fm === 'string' && fm.trim()) return stripControl(fm.trim());
  const texts = [...runbook.steps.map((s) => s.prose), runbook.epilogue];
  for (const text of texts) {
    const m = /^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(text);
    if (m?.[1]) return stripControl(m[1].replace(/[*_`]/g, ''));
  }
  return file ? path.basename(file) : 'runbook';
}

export function stepCount(n: number): string {
  return n === 1 ? '1 step' : `${n} steps`;
}

export interface StepViewParts {
  prose: boolean;
  code: string;
  vars: VarView[];
  /** Extra lines after the variables (the dry run lists what the step sets). */
  footer?: string;
  /** Lines under the header: the background steps that run, and those that ended since the last one. */
  background?: string;
  /** Where the step stands, after its header ("done", "done (stale)"), in a walkthrough. */
  status?: string;
}

/** What stepView renders for these parts, for a renderer to have ready (ui/renderer.ts). */
export function stepPieces(step: Step, parts: Pick<StepViewParts, 'prose' | 'code'>): Piece[] {
  const pieces: Piece[] = [];
  if (parts.prose) pieces.push({ kind: 'prose', text: step.prose });
  pieces.push({ kind: 'code', text: parts.code, lang: codeLanguage(step) });
  const expectation = shownExpectation(step);
  if (expectation) pieces.push({ kind: 'code', text: stripControl(expectation.text), lang: 'text' });
  return pieces;
}

/** What a step's first showing renders: its prose and `code` (its own unless edited). */
export function firstShowing(step: Step, code = step.code): Piece[] {
  return stepPieces(step, { prose: true, code });
}

function codeLanguage(step: Step): string {
  return step.kind === 'js' ? 'javascript' : 'bash';
}

/** The output a step must print, shown under its code; a background step's is checked otherwise. */
function shownExpectation(step: Step) {
  return isBackground(step) ? undefined : expectationOf(step);
}

/**
 * Prose before the step (first showing only), header, highlighted code, the variables it uses. The prose
 * and code come from `rendered`, which has what stepPieces lists for the same parts.
 */
export function stepView(
  step: Step,
  total: number,
  parts: StepViewParts,
  rendered: Rendered,
  opts: RenderOptions,
): string {
  const paint = painter(opts.color);
  const out: string[] = [];
  const prose = parts.prose ? rendered.prose(step.prose) : '';
  if (prose) out.push(prose);
  const edited = parts.code !== step.code ? ` ${paint('yellow', '(edited)')}` : '';
  const background = parts.background ?? '';
  const status = parts.status ? `  ${parts.status}` : '';
  out.push(
    `${header(step, total, paint).trimEnd()}${edited}${status}\n${background}${rendered.code(parts.code, codeLanguage(step))}`,
  );
  const expectation = shownExpectation(step);
  if (expectation) {
    const label = paint('dim', `It must print (expect=${describeExpectation(expectation)}):`);
    out.push(`${label}\n${rendered.code(stripControl(expectation.text), 'text')}`);
  }
  const vars = renderVars(parts.vars, paint);
  if (vars) out.push(vars);
  if (parts.footer) out.push(parts.footer);
  return `\n${out.join('\n')}`;
}

export const STATUS: Record<StepResult['status'], [string, Parameters<Paint>[0], string]> = {
  done: ['✔', 'green', 'done'],
  skipped: ['↷', 'yellow', 'skipped'],
  failed: ['✖', 'red', 'failed'],
  interrupted: ['■', 'yellow', 'interrupted'],
  running: ['…', 'yellow', 'running'],
  pending: ['·', 'dim', 'not run'],
};

/** How a background step is doing, in a few words. */
function backgroundNote(bg: BackgroundState): string {
  if (bg.state === 'running') return 'in the background';
  if (bg.state === 'stopped') return 'background, stopped';
  if (bg.state === 'ended') return 'background, ended with the run';
  return `background, ended on its own (${bg.signal ? bg.signal : `exit code ${bg.exitCode}`})`;
}

/** The end-of-run table: step, status (edited, retried), duration. */
export function summaryTable(results: StepResult[], total: number, paint: Paint): string {
  const rows = results.map((r) => {
    const [mark, color, word] = STATUS[r.status];
    const notes: string[] = [];
    if (r.editedCode !== undefined && r.status !== 'pending') notes.push('edited');
    if (r.attempts > 1 && (r.runs ?? 1) <= 1) notes.push(`${r.attempts} attempts`);
    if ((r.runs ?? 0) > 1) notes.push(`ran ${r.runs} times`);
    if (r.background && r.status === 'done') notes.push(backgroundNote(r.background));
    const status = `${word}${notes.length ? ` (${notes.join(', ')})` : ''}`;
    const time = r.attempts > 0 && r.status !== 'skipped' ? formatDuration(r.durationMs) : '';
    return { step: `${r.index}/${total} ${r.name}`, mark: paint(color, mark), status, time };
  });
  const stepWidth = Math.max(4, ...rows.map((r) => r.step.length));
  const statusWidth = Math.max(6, ...rows.map((r) => r.status.length));
  const head = paint('dim', `  ${'Step'.padEnd(stepWidth)}  ${'Status'.padEnd(statusWidth + 2)}  Time`);
  const lines = rows.map(
    (r) => `  ${r.step.padEnd(stepWidth)}  ${r.mark} ${r.status.padEnd(statusWidth)}  ${r.time}`,
  );
  return `${head}\n${lines.map((l) => l.trimEnd()).join('\n')}\n`;
}

/**
 * "3 done, 1 skipped, 1 failed": the end of a run in a few words. `allowed` names the steps whose failure
 * does not fail the run (continue-on-error); their failures are counted apart.
 */
export function tally(results: StepResult[], allowed: ReadonlySet<string> = new Set()): string {
  const count = (status: StepResult['status'], allow?: boolean) =>
    results.filter((r) => r.status === status && (allow === undefined || allowed.has(r.name) === allow))
      .length;
  const parts = [`${count('done')} done`];
  if (count('skipped')) parts.push(`${count('skipped')} skipped`);
  if (count('failed', false)) parts.push(`${count('failed', false)} failed`);
  if (count('failed', true)) parts.push(`${count('failed', true)} failed (allowed)`);
  if (count('interrupted')) parts.push(`${count('interrupted')} interrupted`);
  return parts.join(', ');
}

/** The names of the steps whose failure is allowed (continue-on-error), for tally. */
export function allowedToFail(steps: Step[]): Set<string> {
  return new Set(steps.filter((s) => isFlagSet(s, 'continue-on-error')).map((s) => s.name));
}
