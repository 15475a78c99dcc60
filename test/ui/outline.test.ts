import { describe, expect, it } from 'vitest';
import type { Step, StepResult } from '../../lib/core/types.ts';
import type { Cell } from '../../lib/engine/notebook.ts';
import { cellStatus, matchesSearch, outlineLabel } from '../../lib/ui/outline.ts';
import { outputView } from '../../lib/ui/output-view.ts';

const plain = (_style: unknown, text: string) => text;
const result = (over: Partial<StepResult> = {}): StepResult => ({
  index: 3,
  name: 'deploy',
  status: 'done',
  exitCode: 0,
  durationMs: 5,
  attempts: 1,
  runs: 1,
  codeHash: 'h',
  setVars: [],
  tail: '',
  ...over,
});
const cell = (over: Partial<Cell> = {}, r: Partial<StepResult> = {}): Cell => ({
  step: { index: 3, name: 'deploy' } as Step,
  status: 'done',
  stale: false,
  runs: 1,
  current: false,
  edited: false,
  result: result(r),
  ...over,
});

describe('a step in the outline', () => {
  it('says done', () => expect(cellStatus(cell())).toBe('done'));
  it('says not run', () => expect(cellStatus(cell({ status: 'pending', runs: 0 }))).toBe('not run'));
  it('says stale, edited and how often it ran', () =>
    expect(cellStatus(cell({ stale: true, edited: true, runs: 3 }))).toBe(
      'done (stale, edited, ran 3 times)',
    ));
  it('says failed', () => expect(cellStatus(cell({ status: 'failed' }))).toBe('failed'));
  it('says running', () => expect(cellStatus(cell({ status: 'running' }))).toBe('running'));
  it('marks the current step', () =>
    expect(outlineLabel(cell({ current: true }), 8, 2, plain)).toBe('▸  3 ✔ deploy    done'));
  it('lines up the others', () =>
    expect(outlineLabel(cell({ status: 'skipped' }), 6, 1, plain)).toBe('  3 ↷ deploy  skipped'));
  it('says a step runs in the background', () =>
    expect(outlineLabel(cell(), 6, 1, plain, true)).toBe('  3 ✔ deploy  done (running in the background)'));
  it('is found by its number', () => expect(matchesSearch('3', cell())).toBe(true));
  it('is found by the start of its number', () =>
    expect(matchesSearch('1', cell({ step: { index: 12, name: 'x' } as Step }))).toBe(true));
  it('is not found by another number', () => expect(matchesSearch('4', cell())).toBe(false));
  it('is found by part of its name, any case', () => expect(matchesSearch('PLO', cell())).toBe(true));
  it('is shown for an empty search', () => expect(matchesSearch('  ', cell())).toBe(true));
});

describe("a step's last output", () => {
  it('says when the step has not run', () =>
    expect(outputView(result({ runs: 0, attempts: 0, status: 'pending' }), plain)).toBe(
      'step 3 deploy has not run yet: no output to show\n',
    ));
  it('says when it printed nothing', () =>
    expect(outputView(result(), plain)).toBe(
      '── last output of step 3 deploy (done, exit code 0) ──\nIt printed nothing.\n',
    ));
  it('shows the output as a terminal left it', () =>
    expect(outputView(result({ tail: 'a\r\n\u001b[31mred\u001b[0m\n10%\r50%\r100%\n' }), plain)).toBe(
      '── last output of step 3 deploy (done, exit code 0) ──\n│ a\n│ red\n│ 100%\n──\n',
    ));
  it('shows the last lines of a long output', () =>
    expect(outputView(result({ status: 'failed', exitCode: 2, tail: '1\n2\n3\n' }), plain, 2)).toBe(
      '── last output of step 3 deploy (failed, exit code 2) ──\n… 1 earlier lines\n│ 2\n│ 3\n──\n',
    ));
  it("shows a running background step's output so far, before it has a result", () =>
    expect(outputView(result({ runs: 0, attempts: 0, status: 'pending' }), plain, 10, 'up\nserving\n')).toBe(
      '── output so far of step 3 deploy (running in the background) ──\n│ up\n│ serving\n──\n',
    ));
  it('says an interrupted step has no exit code', () =>
    expect(outputView(result({ status: 'interrupted', exitCode: null, tail: 'x' }), plain)).toContain(
      '(interrupted)',
    ));
});
