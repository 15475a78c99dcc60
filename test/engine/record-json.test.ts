// The run record's text: made again for a new context, reused for the same one; secrets left out as the
// text is made; what a step set made into JSON once.
import { describe, expect, it } from 'vitest';
import type { CarriedVar, Context, StepResult } from '../../lib/core/types.ts';
import { RecordJson } from '../../lib/engine/record-json.ts';

const scalar = (value: string): CarriedVar => ({ type: 'scalar', attrs: '', value });
const context = (vars: Record<string, CarriedVar>): Context => ({ vars, unset: [], functions: '', cwd: '/' });
const step = (setVars: string[], setValues: Record<string, string>): StepResult =>
  ({
    index: 1,
    name: 's',
    status: 'done',
    exitCode: 0,
    durationMs: 1,
    attempts: 1,
    setVars,
    setValues,
    tail: '',
  }) as StepResult;
const parse = (text: string) => JSON.parse(text);

describe('RecordJson', () => {
  it('writes every variable of a new context, and leaves out secrets', () => {
    const json = new RecordJson((name) => name === 'TOKEN');
    const first = context({ A: scalar('1'), TOKEN: scalar('s3cret') });
    const one = parse(json.text({ context: first, steps: [] }).text);
    expect(one.context.vars).toEqual({ A: scalar('1') });
    expect(one.withheld).toEqual(['TOKEN']);
    // The engine replaces its context when anything changes: the new one is written as it is.
    const second = context({ A: scalar('2'), B: scalar('x'), TOKEN: scalar('s3cret') });
    const two = parse(json.text({ context: second, steps: [] }).text);
    expect(two.context.vars).toEqual({ A: scalar('2'), B: scalar('x') });
    const third = context({ B: scalar('x') });
    expect(parse(json.text({ context: third, steps: [] }).text).context.vars).toEqual({ B: scalar('x') });
  });

  it('keeps what each step set, a long value as its start, with the record valid JSON', () => {
    const json = new RecordJson();
    const long = 'v'.repeat(10_000);
    const steps = [
      step(['A', 'L'], { A: '1', L: long }),
      step([], {}),
      { ...step([], {}), setValues: undefined },
    ];
    const record = parse(json.text({ context: context({}), steps }).text);
    expect(record.steps[0].setVars).toEqual(['A', 'L']);
    expect(record.steps[0].setValues.A).toBe('1');
    expect(record.steps[0].setValues.L).toMatch(/^v{4096}… \(10000 characters\)$/);
    expect(record.steps[1]).toMatchObject({ setVars: [], setValues: {} });
    expect(record.steps[2].setValues).toBeUndefined();
  });

  it('keeps a long variable in a file of its own, listed until it is written', () => {
    const json = new RecordJson();
    const ctx = context({ BIG: scalar('x'.repeat(100_000)) });
    const made = json.text({ context: ctx, steps: [] });
    expect(made.files).toHaveLength(1);
    const file = made.files[0]?.name as string;
    expect(parse(made.text).context.vars.BIG).toEqual({ file });
    json.wrote(file);
    const again = json.text({ context: ctx, steps: [] });
    expect(again.files).toEqual([]);
    expect([...again.referenced]).toEqual([file]);
  });

  it('writes every kind of variable as JSON.stringify would, plain scalars made the short way included', () => {
    const vars: Record<string, CarriedVar> = {
      A: scalar('say "hi" \\ $(x) `y`'),
      B: scalar('line\nbreak\ttab \u0001 ünï ☃ 😀'),
      C: scalar(''),
      D: scalar('x'.repeat(5000)),
      E: { type: 'scalar', attrs: 'x', value: 'exported' },
      F: { type: 'indexed', attrs: '', value: { '0': 'a', '5': 'b "c"' } },
      G: { type: 'assoc', attrs: '', value: { 'k y': 'v' } },
    };
    const { text } = new RecordJson().text({ context: context(vars), steps: [] });
    expect(parse(text).context.vars).toEqual(vars);
    for (const [name, v] of Object.entries(vars))
      expect(text).toContain(`${JSON.stringify(name)}:${JSON.stringify(v)}`);
  });
});
