// The page's form for declared inputs: what a field shows, and its answers checked as the terminal's form
// checks them (defaults filling blanks, required ones refused empty, patterns), taken only when all pass.
import { describe, expect, it } from 'vitest';
import type { ResolvedInput } from '../../../lib/core/inputs.ts';
import { checkAnswers, inputField } from '../../../lib/ui/web/inputs.ts';

const input = (name: string, spec: ResolvedInput['spec'], problem?: string): ResolvedInput => ({
  name,
  spec,
  ...(problem ? { problem } : {}),
});

describe('inputField', () => {
  it("sends no secret's default, and no problem for one merely missing", () => {
    expect(inputField(input('TOKEN', { secret: true, default: 'hunter2' }, 'missing'))).toEqual({
      name: 'TOKEN',
      secret: true,
      required: true,
    });
    expect(
      inputField(input('ENV', { default: 'dev', pattern: '^(dev|prod)$' }, '"x" does not match')),
    ).toEqual({
      name: 'ENV',
      secret: false,
      required: true,
      default: 'dev',
      pattern: '^(dev|prod)$',
      problem: '"x" does not match',
    });
  });
});

describe('checkAnswers', () => {
  const inputs = [
    input('REGION', {}, 'missing'),
    input('ENV', { default: 'dev', pattern: '^(dev|prod)$' }),
    input('NOTE', { required: false }),
  ];

  it('takes every answer once all are good, a blank one as its default', () => {
    const { checked, taken } = checkAnswers(inputs, { REGION: 'eu', ENV: '', NOTE: '' });
    expect(checked.some((i) => i.problem)).toBe(false);
    expect(taken).toEqual([
      ['REGION', 'eu'],
      ['ENV', 'dev'],
    ]);
  });

  it('says what is wrong with each, and drops a problem that is gone', () => {
    const { checked } = checkAnswers(inputs, { REGION: '', ENV: 'staging' });
    expect(checked.map((i) => i.problem)).toEqual([
      'REGION needs a value',
      '"staging" does not match ^(dev|prod)$',
      undefined,
    ]);
    expect(checkAnswers(checked, { REGION: 'eu', ENV: 'prod' }).checked.map((i) => i.problem)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});
