// End to end, real bash and the built CLI: carried state that grows large still carries exactly what each
// step changed, whether the runner reads back only the names a step can change or, for code it cannot
// read (source, a computed name, a function of an earlier step), compares everything.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRecord } from '../../lib/engine/run-record.ts';
import { placeOf } from '../../lib/os/state-dir.ts';
import { runCli, scratch, writeSteps } from '../helpers/cli.ts';

const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');
interface RecordStep {
  name: string;
  status: string;
  setVars: string[];
  setValues?: Record<string, string>;
}
/** The run record as --resume reads it (long values are kept in files beside it). */
const record = (dir: string, name: string) => {
  const runbook = path.join(dir, `${name}.md`);
  return loadRecord(placeOf(runbook, '', { cwd: dir, env: {} })) as unknown as {
    context: { vars: Record<string, { type: string; value: unknown }> };
    steps: RecordStep[];
  };
};
const setVars = (dir: string, name: string) =>
  Object.fromEntries(record(dir, name).steps.map((s) => [s.name, [...s.setVars].sort()]));

/** A runbook of these bash steps, run with --yes to the end. */
async function runSteps(dir: string, name: string, steps: string[]): Promise<void> {
  writeSteps(dir, `${name}.md`, steps);
  const r = await runCli(['--yes', `${name}.md`], { cwd: dir });
  expect(r.stderr).toContain(`all ${steps.length} steps done`);
}

// Real bash carrying thousands of variables: slower than most tests when other tests share the cores.
describe('carried state that grows', { timeout: 60_000 }, () => {
  it('carries one changed entry of a large array, and nothing for arrays no step touches', async () => {
    const dir = scratch('carry/large-array.md');
    const r = await runCli(['--yes', 'large-array.md'], { cwd: dir });
    expect(r.stderr).toContain('all 5 steps done');
    expect(read(dir, 'result.txt')).toBe('MAP 5000 new value / changed / value 43\nLIST 5000 0 4999\n');
    expect(setVars(dir, 'large-array')).toEqual({
      build: ['LIST', 'MAP', 'i'],
      'change-one': ['MAP'],
      // Compared whole: LIST, printed again by another shell, is the same array.
      'change-by-source': ['MAP'],
      trivial: ['S'],
      check: [],
    });
    const map = record(dir, 'large-array').context.vars.MAP?.value as Record<string, string>;
    expect([Object.keys(map).length, map.key42, map.key9]).toEqual([5000, 'new value', 'changed']);
  });

  it('carries the unset of one variable among 10,000, by name or computed', async () => {
    const dir = scratch('carry/many-vars.md');
    const r = await runCli(['--yes', 'many-vars.md'], { cwd: dir });
    expect(r.stderr).toContain('all 4 steps done');
    expect(read(dir, 'result.txt')).toBe('value 0 / value 4999 / value 5001 / value 9999\n9998\n');
    const sets = setVars(dir, 'many-vars');
    expect(sets.make).toEqual([...Array.from({ length: 10_000 }, (_, i) => `V${i}`), 'i'].sort());
    expect([sets['unset-by-name'], sets['unset-computed'], sets.check]).toEqual([
      ['V5000'],
      ['V7000', 'n'],
      [],
    ]);
    const vars = record(dir, 'many-vars').context.vars;
    expect(['V4999' in vars, 'V5000' in vars, 'V7000' in vars, 'V9999' in vars]).toEqual([
      true,
      false,
      false,
      true,
    ]);
  });

  it('carries what a sourced file defines, hundreds of names, and then only what a later one changes', async () => {
    const dir = scratch('carry/source-many.md');
    const r = await runCli(['--yes', 'source-many.md'], { cwd: dir });
    expect(r.stderr).toContain('all 5 steps done');
    expect(read(dir, 'result.txt')).toBe(
      'fn 199 value 199\nchanged unset value 299 2 /opt/sdk\nredefined\nSDK_HOME=/opt/sdk\n200\n',
    );
    const sets = setVars(dir, 'source-many');
    const sdk = [...Array.from({ length: 300 }, (_, i) => `SDK_VAR_${i}`), 'SDK_HOME', 'SDK_MAP'].sort();
    expect(sets['source-sdk']).toEqual(sdk);
    expect([sets['use-sdk'], sets['update-sdk'], sets.check]).toEqual([[], ['SDK_VAR_5', 'SDK_VAR_6'], []]);
  });

  it('carries through a nameref an earlier step made, and what a function of an earlier step sets', async () => {
    const dir = scratch();
    const steps = [
      'declare -n REF=TARGET\nTARGET=one\nset_it() { FROM_FN=$1; }',
      'REF=two',
      'set_it three',
      'echo "$TARGET $FROM_FN $REF" > result.txt',
    ];
    await runSteps(dir, 'refs', steps);
    expect(read(dir, 'result.txt')).toBe('two three two\n');
    expect(record(dir, 'refs').steps.map((s) => [...s.setVars].sort())).toEqual([
      ['REF', 'TARGET'],
      ['TARGET'],
      ['FROM_FN'],
      [],
    ]);
  });

  it('carries what a step it reads for names does to attributes, functions and readonly variables', async () => {
    const dir = scratch();
    const steps = [
      'X=1; f() { :; }; g() { :; }; readonly R=1',
      // Exported; one function removed by name, one as `unset NAME` finds no variable of that name.
      'export X; unset -f f; unset g',
      'R=2\n{ printenv X; type f &>/dev/null && echo f-kept; type g &>/dev/null && echo g-kept; echo "R=$R"; } > out.txt',
    ];
    await runSteps(dir, 'attrs', steps);
    expect(read(dir, 'out.txt')).toBe('1\nR=2\n');
  });

  it('carries attributes a step takes away, and an array a step makes a scalar', async () => {
    const dir = scratch();
    const steps = [
      'export X=1; declare -i N=5; A=(a b c); declare -l L=abc',
      'export -n X; X=2; declare +i N; N=abc; unset A; A=one; declare +l L; L=ABC',
      '{ printenv X || echo "X=$X, not exported"; echo "N=$N A=${A[*]} L=$L"; } > out.txt',
    ];
    await runSteps(dir, 'dropped', steps);
    // As one bash script leaves them.
    expect(read(dir, 'out.txt')).toBe('X=2, not exported\nN=abc A=one L=ABC\n');
  });
});
