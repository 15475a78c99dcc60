// How a step that ran ended, one expectation per rule, and which rule wins when several apply.
import { describe, expect, it } from 'vitest';
import { verdictOf } from '../../lib/engine/step-verdict.ts';

const ok = { interrupted: false, timedOut: false, exitCode: 0, signal: null };
const mismatch = { expect: 'exact', matched: false, diff: '-a\n+b' };

describe('verdictOf', () => {
  it.each([
    [ok, {}, { status: 'done' }],
    [{ ...ok, exitCode: 3 }, {}, { status: 'failed', message: 'exit code 3' }],
    [
      { ...ok, exitCode: null, signal: 'SIGKILL' as const },
      {},
      { status: 'failed', message: 'killed by SIGKILL' },
    ],
    [
      { ...ok, exitCode: null, timedOut: true },
      { timeout: 5 },
      { status: 'failed', message: 'timed out at timeout=5' },
    ],
    [
      { ...ok, exitCode: null, interrupted: true, timedOut: true },
      {},
      { status: 'interrupted', message: 'interrupted' },
    ],
    [ok, { check: mismatch }, { status: 'failed', message: 'output did not match' }],
    [{ ...ok, exitCode: 1 }, { check: mismatch }, { status: 'failed', message: 'exit code 1' }],
    [
      ok,
      { check: { ...mismatch, score: 0.5 }, threshold: 0.8 },
      { status: 'failed', message: 'output did not match (similarity 0.5, needs 0.8)' },
    ],
    [
      ok,
      { capture: 'OUT', overflowed: true },
      { status: 'failed', message: 'capture=OUT: the step printed more than 16 MiB' },
    ],
    [
      ok,
      { capture: 'OUT', nul: true },
      {
        status: 'failed',
        message: 'capture=OUT: the step printed a NUL character, which no bash variable can hold',
      },
    ],
    [ok, { overflowed: true }, { status: 'done' }],
    [ok, { check: { expect: 'exact', matched: true } }, { status: 'done' }],
  ])('%o with %o is %o', (outcome, input, verdict) => {
    expect(verdictOf(outcome, { timeout: 0, ...input })).toEqual(verdict);
  });
});
