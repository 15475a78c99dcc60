// The outline (`g`): every step with its number, name and status, the current one marked; typing filters
// by name or number, Enter goes there. Labels are pure; the picker is clack's autocomplete.
import { autocomplete, isCancel } from '@clack/prompts';
import type { Paint } from '../core/style.ts';
import type { Cell } from '../engine/notebook.ts';
import { type PromptIO, releaseInput } from './prompts.ts';
import { STATUS } from './view.ts';

/** "done", "done (stale)", "failed", "not run", ...: a cell's status in words. */
export function cellStatus(cell: Cell, inBackground = false): string {
  const word = STATUS[cell.status][2];
  const notes: string[] = [];
  if (inBackground) notes.push('running in the background');
  if (cell.stale) notes.push('stale');
  if (cell.edited) notes.push('edited');
  if (cell.runs > 1) notes.push(`ran ${cell.runs} times`);
  return notes.length ? `${word} (${notes.join(', ')})` : word;
}

/** "✔ done (stale)": the mark and the words, as a step's header shows them. */
export function statusBadge(cell: Cell, paint: Paint): string {
  const [mark, color] = STATUS[cell.status];
  return `${paint(color, mark)} ${cell.stale ? paint('yellow', cellStatus(cell)) : cellStatus(cell)}`;
}

/** One outline line: "▸  3 ✔ deploy          done (stale)". */
export function outlineLabel(
  cell: Cell,
  nameWidth: number,
  numberWidth: number,
  paint: Paint,
  inBackground = false,
): string {
  const [mark, color] = STATUS[cell.status];
  const here = cell.current ? '▸' : ' ';
  const number = String(cell.step.index).padStart(numberWidth);
  const words = cellStatus(cell, inBackground);
  const status = cell.stale ? paint('yellow', words) : inBackground ? paint('cyan', words) : words;
  return `${here} ${number} ${paint(color, mark)} ${cell.step.name.padEnd(nameWidth)}  ${status}`;
}

/** Whether an outline line is one the person is typing: its number, or part of its name. */
export function matchesSearch(search: string, cell: Cell): boolean {
  const s = search.trim().toLowerCase();
  if (s === '') return true;
  if (/^\d+$/.test(s)) return String(cell.step.index).startsWith(s);
  return cell.step.name.toLowerCase().includes(s);
}

/**
 * The outline as a picker; the chosen step's number, or undefined when the person backs out. `background`
 * names the background steps running now.
 */
export async function pickStep(
  message: string,
  cells: Cell[],
  paint: Paint,
  io: PromptIO,
  rows = 24,
  background: ReadonlySet<string> = new Set(),
): Promise<number | undefined> {
  const nameWidth = Math.min(40, Math.max(4, ...cells.map((c) => c.step.name.length)));
  const numberWidth = String(cells.length).length;
  const byIndex = new Map(cells.map((c) => [c.step.index, c]));
  const picked = await autocomplete<number>({
    message,
    options: cells.map((c) => ({
      value: c.step.index,
      label: outlineLabel(c, nameWidth, numberWidth, paint, background.has(c.step.name)),
    })),
    initialValue: cells.find((c) => c.current)?.step.index,
    placeholder: 'type a number or part of a name',
    maxItems: Math.max(5, Math.min(cells.length, rows - 8)),
    filter: (search, option) => {
      const cell = byIndex.get(option.value);
      return cell ? matchesSearch(search, cell) : false;
    },
    input: io.input,
    output: io.output,
    signal: io.signal,
  });
  releaseInput(io.input);
  return isCancel(picked) ? undefined : picked;
}
