// A readable diff of what a step was expected to print against what it printed, for a person and for
// CI: `- ` expected, `+ ` printed, `  ` the same. Lines that a `...` wildcard (or, with expect=contains,
// the lines allowed between) took are the same, not changes, so the diff shows only what broke the match.
// Pure and plain; the terminal colours it by the first character of each line.
import { diffArrays } from 'diff';
import type { Expectation } from '../markdown/expectation.ts';
import { linePatterns, outputLines } from './output-lines.ts';

export interface DiffRow {
  kind: ' ' | '-' | '+';
  text: string;
}

/** Lines of context kept around each change. */
const CONTEXT = 2;
/** Rows a diff is cut to: a step that printed a great deal still gets a diff a person can read. */
export const DIFF_ROWS = 120;

type Item = { text: string; test?: (line: string) => boolean; any?: boolean };

function rowsOf(e: Expectation, actual: string): DiffRow[] | undefined {
  const printed: Item[] = outputLines(actual).map((text) => ({ text }));
  const expected: Item[] =
    e.mode === 'similar'
      ? outputLines(e.text).map((text) => ({ text }))
      : linePatterns(e).map((p) => (p.any ? { text: '...', any: true } : { text: p.text, test: p.test }));
  const parts = diffArrays(expected, printed, {
    comparator: (want, got) => !want.any && (want.test ? want.test(got.text) : want.text === got.text),
    timeout: 1000,
  });
  if (!parts) return undefined;
  const rows: DiffRow[] = [];
  for (let i = 0; i < parts.length; ) {
    const part = parts[i] as (typeof parts)[number];
    if (!part.added && !part.removed) {
      for (const item of part.value) rows.push({ kind: ' ', text: item.text });
      i++;
      continue;
    }
    // One change: the expected lines it removes and the printed lines it adds, in whichever order.
    const removed: Item[] = [];
    const added: Item[] = [];
    for (; i < parts.length && (parts[i]?.added || parts[i]?.removed); i++) {
      const change = parts[i] as (typeof parts)[number];
      (change.added ? added : removed).push(...change.value);
    }
    const literal = removed.filter(
      (item) => !item.any && !(e.mode === 'contains' && item.text.trim() === ''),
    );
    // Printed lines are allowed here when only wildcards were expected, or anywhere with expect=contains.
    const absorbed = e.mode === 'contains' || (literal.length === 0 && removed.length > 0);
    const minus = literal.map((item): DiffRow => ({ kind: '-', text: item.text }));
    const plus = added.map((item): DiffRow => ({ kind: absorbed ? ' ' : '+', text: item.text }));
    // A line expect=contains did not find is missing after the lines it looked through.
    rows.push(...(e.mode === 'contains' ? [...plus, ...minus] : [...minus, ...plus]));
  }
  return rows;
}

/** Only the changes and CONTEXT lines around them; a `···` row stands for the lines left out. */
function around(rows: DiffRow[]): DiffRow[] {
  const keep = rows.map(() => false);
  rows.forEach((row, i) => {
    if (row.kind === ' ') return;
    for (let j = Math.max(0, i - CONTEXT); j <= Math.min(rows.length - 1, i + CONTEXT); j++) keep[j] = true;
  });
  const out: DiffRow[] = [];
  let gap = 0;
  rows.forEach((row, i) => {
    if (keep[i]) {
      if (gap) out.push({ kind: ' ', text: gap === 1 ? (rows[i - 1] as DiffRow).text : '···' });
      gap = 0;
      out.push(row);
    } else gap++;
  });
  if (gap) out.push({ kind: ' ', text: '···' });
  return out;
}

/** Both sides whole, for when no alignment could be found in time (or nothing differs line by line). */
function sideBySide(e: Expectation, actual: string): DiffRow[] {
  return [
    ...outputLines(e.text).map((text): DiffRow => ({ kind: '-', text })),
    ...outputLines(actual).map((text): DiffRow => ({ kind: '+', text })),
  ];
}

/** The diff's rows, at most `limit` of them (the last one then says how many more there were). */
export function diffRows(e: Expectation, actual: string, limit = DIFF_ROWS): DiffRow[] {
  const all = rowsOf(e, actual);
  let rows = all?.some((r) => r.kind !== ' ') ? around(all) : sideBySide(e, actual);
  if (rows.length > limit) {
    const more = rows.length - (limit - 1);
    rows = [...rows.slice(0, limit - 1), { kind: ' ', text: `··· ${more} more lines of the diff` }];
  }
  return rows;
}

/** The diff as text: a header naming both sides, then one row per line. */
export function outputDiff(e: Expectation, actual: string, where = 'the output block'): string {
  const head = [`--- expected (${where})`, '+++ printed'];
  const rows = diffRows(e, actual).map((r) => `${r.kind} ${r.text}`.trimEnd());
  return [...head, ...rows].join('\n');
}
