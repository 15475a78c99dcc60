// What a run keeps secret as its steps go: a step that set no secret is worked out only for what it set,
// and a value made from a secret becomes secret however many ordinary variables came before it.
import { describe, expect, it } from 'vitest';
import { REDACTED } from '../../lib/core/secrets.ts';
import type { CarriedVar, Context } from '../../lib/core/types.ts';
import { RunSecrets } from '../../lib/engine/run-secrets.ts';

const scalar = (value: string): CarriedVar => ({ type: 'scalar', attrs: '', value });
const context = (vars: Record<string, CarriedVar>): Context => ({ vars, unset: [], functions: '', cwd: '/' });

/** Steps one after another, as the engine tells them: each context made from the one before. */
function run(secrets: RunSecrets, steps: Array<Record<string, string>>) {
  let ctx = context({});
  secrets.refresh(ctx);
  const shown: Array<Record<string, string>> = [];
  for (const set of steps) {
    const after = context({
      ...ctx.vars,
      ...Object.fromEntries(Object.entries(set).map(([n, v]) => [n, scalar(v)])),
    });
    secrets.stepped(ctx, after, Object.keys(set));
    shown.push(secrets.values(after, Object.keys(set)));
    ctx = after;
  }
  return { shown, ctx };
}

describe('RunSecrets', () => {
  it('keeps ordinary values, hides secrets and what is made from them, step after step', () => {
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`V${i}`, `value ${i}`]));
    const secrets = new RunSecrets(undefined, {});
    const { shown, ctx } = run(secrets, [
      many,
      { API_TOKEN: 'tok-123456' },
      { AUTH: 'Bearer tok-123456', PLAIN: 'hello' },
      { COPY: 'tok-123456' },
    ]);
    expect(shown[0]).toEqual(many);
    expect(shown[1]).toEqual({ API_TOKEN: REDACTED });
    expect(shown[2]).toEqual({ AUTH: REDACTED, PLAIN: 'hello' });
    expect(shown[3]).toEqual({ COPY: REDACTED });
    expect(['API_TOKEN', 'AUTH', 'COPY', 'PLAIN', 'V0'].filter((n) => secrets.withheld(n))).toEqual([
      'API_TOKEN',
      'AUTH',
      'COPY',
    ]);
    expect(secrets.redact(ctx, 'sent Bearer tok-123456')).toBe(`sent Bearer ${REDACTED}`);
  });

  it('hides values made from a secret of the environment, with no secret variable carried', () => {
    const secrets = new RunSecrets(undefined, { GITHUB_TOKEN: 'ghp-env-secret' });
    const { shown } = run(secrets, [{ A: 'x' }, { HEADER: 'token ghp-env-secret' }]);
    expect(shown).toEqual([{ A: 'x' }, { HEADER: REDACTED }]);
    expect(secrets.withheld('HEADER')).toBe(true);
  });

  it('hides what the front matter lists as secret', () => {
    const secrets = new RunSecrets(['DB_URL'], {});
    const { shown } = run(secrets, [{ DB_URL: 'postgres://u:p@h' }, { DSN: 'postgres://u:p@h/db' }]);
    expect(shown).toEqual([{ DB_URL: REDACTED }, { DSN: REDACTED }]);
  });
});
