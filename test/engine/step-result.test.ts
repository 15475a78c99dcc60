// What a step that is done leaves for the next: its cwd= is not carried, a captured value is set as data
// and named among what it set, and a step whose shell reported no context leaves one only if it captured.
import { describe, expect, it } from 'vitest';
import { emptyContext, withValue } from '../../lib/core/context.ts';
import type { Step, StepOutcome } from '../../lib/core/types.ts';
import { contextAfter } from '../../lib/engine/step-result.ts';

const step = (attributes: Step['attributes'] = {}): Step => ({
  index: 1,
  name: 'one',
  lang: 'bash',
  kind: 'shell',
  line: 1,
  code: 'true',
  attributes,
  prose: '',
  headings: [],
});
const ended: StepOutcome = {
  exitCode: 0,
  signal: null,
  durationMs: 1,
  tail: '',
  interrupted: false,
  timedOut: false,
};
const before = emptyContext('/start');
const printed = (text: string) => ({ text, overflowed: false });

describe('contextAfter', () => {
  it('takes what the shell reported, and the names it says the step changed', () => {
    const context = withValue({ ...before, cwd: '/elsewhere' }, 'A', '1');
    expect(contextAfter(step(), { ...ended, context, changed: ['A'] }, before, before)).toEqual({
      context,
      setVars: ['A'],
    });
  });

  it('finds the names by comparing, when the shell did not say', () => {
    const context = withValue(withValue(before, 'A', '1'), 'B', '2');
    expect(contextAfter(step(), { ...ended, context }, before, before)?.setVars).toEqual(['A', 'B']);
  });

  it('keeps where later steps start when the step had a cwd= of its own', () => {
    const context = { ...before, cwd: '/tmp' };
    const after = contextAfter(step({ cwd: '/tmp' }), { ...ended, context }, before, before);
    expect(after?.context.cwd).toBe('/start');
  });

  it('sets a captured value, its trailing newlines dropped, and names it once', () => {
    const context = withValue(before, 'OUT', 'old');
    const outcome = { ...ended, context, changed: ['OUT'] };
    const after = contextAfter(step(), outcome, before, before, 'OUT', printed('new\n\n'));
    expect(after?.context.vars.OUT).toMatchObject({ type: 'scalar', value: 'new' });
    expect(after?.setVars).toEqual(['OUT']);
  });

  it('leaves nothing when the shell reported no context and nothing was captured', () => {
    expect(contextAfter(step(), { ...ended, warning: 'not carried' }, before, before)).toBeUndefined();
  });

  it('sets a capture on the context as it is now when the shell reported none', () => {
    const current = withValue(before, 'GIVEN', 'x');
    const after = contextAfter(step(), ended, before, current, 'OUT', printed('v'));
    expect(after?.context.vars).toMatchObject({ GIVEN: { value: 'x' }, OUT: { value: 'v' } });
    expect(after?.setVars).toContain('OUT');
  });
});
