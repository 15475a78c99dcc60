// Secret names and values: what is hidden, and what is left alone.
import { describe, expect, it } from 'vitest';
import { isSecretName, makeRedactor, makeSecretTest, redactorFor } from '../../lib/core/secrets.ts';
import type { Context } from '../../lib/core/types.ts';

function context(vars: Context['vars']): Context {
  return { vars, unset: [], functions: '', cwd: '/tmp' };
}

describe('isSecretName', () => {
  it.each([
    'TOKEN',
    'GITHUB_TOKEN',
    'accessToken',
    'CLIENT_SECRET',
    'DB_PASSWORD',
    'MYSQL_PASSWD',
    'KEY',
    'API_KEY',
    'PRIVATE_KEY',
    'apiKey',
    'APIKEY',
    'AWS_SECRET_ACCESS_KEY',
    'DB_PASS',
    'GCP_CREDENTIALS',
    'credential',
    'SSH_PASSPHRASE',
    'SSH_KEYS',
    'privateKey',
    'AccessKey',
    'secretKey',
    'GITHUB_PAT',
    'my.pass',
  ])('%s is secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each(['KEYBOARD', 'MONKEY', 'HOCKEY_TEAM', 'PASSAGE', 'CLUSTER', 'SERVER_IP', 'KUBECONFIG', 'PATH'])(
    '%s is not secret',
    (name) => {
      expect(isSecretName(name)).toBe(false);
    },
  );

  it('treats names listed in front matter as secret', () => {
    const isSecret = makeSecretTest(['ADMIN_PIN']);
    expect(isSecret('ADMIN_PIN')).toBe(true);
    expect(isSecret('OTHER_PIN')).toBe(false);
  });
});

describe('makeRedactor', () => {
  it('hides values of secret variables, array elements and front-matter secrets, nothing else', () => {
    const redact = makeRedactor(
      context({
        API_TOKEN: { type: 'scalar', value: 's3cr3t-t0ken', attrs: 'x' },
        KEYS: { type: 'indexed', value: { '0': 'first-key', '1': 'second-key' }, attrs: '' },
        PIN: { type: 'scalar', value: '98765', attrs: '' },
        CLUSTER: { type: 'scalar', value: 'east-1', attrs: '' },
      }),
      ['PIN'],
    );
    expect(redact('curl -H "Bearer s3cr3t-t0ken" east-1 first-key,second-key pin=98765')).toBe(
      'curl -H "Bearer ****" east-1 ****,**** pin=****',
    );
  });

  it('hides the longest secret first, so a secret containing another leaves no fragment', () => {
    const redact = redactorFor(['abc', 'abcdef-long']);
    expect(redact('x abcdef-long y abc z')).toBe('x **** y **** z');
  });

  it('hides very short values only where a text is exactly the value', () => {
    const redact = redactorFor(['ab']);
    expect(redact('ab')).toBe('****');
    expect(redact('a table')).toBe('a table');
  });

  it('hides multi-line values, also with terminal line endings and line by line', () => {
    const key =
      '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END KEY-----';
    const redact = redactorFor([key]);
    expect(redact(`before\n${key}\nafter`)).toBe('before\n****\nafter');
    expect(redact(`before\r\n${key.replace(/\n/g, '\r\n')}\r\nafter`)).toBe('before\r\n****\r\nafter');
    expect(redact('only one line: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')).toBe('only one line: ****');
  });

  it('hides the rest of a secret an output tail starts inside, and the start of one a text ends inside', () => {
    const redact = redactorFor(['supersecretvalue']);
    expect(redact('retvalue\nnext line')).toBe('****\nnext line');
    expect(redact('cut off at supersec')).toBe('cut off at ****');
    expect(redact('ordinary value')).toBe('ordinary value');
  });

  it('hides secret-named environment variables, and values a later step carries', () => {
    const ctx = context({});
    const redact = makeRedactor(ctx, [], { GITHUB_TOKEN: 'ghp_envsecret', HOME: '/root' });
    expect(redact('token ghp_envsecret in /root')).toBe('token **** in /root');
    ctx.vars.DB_PASSWORD = { type: 'scalar', value: 'hunter2!', attrs: '' };
    expect(redact('login with hunter2!')).toBe('login with ****');
  });

  it('leaves text alone when there are no secrets, and skips empty values', () => {
    const redact = makeRedactor(context({ EMPTY_TOKEN: { type: 'scalar', value: '', attrs: '' } }));
    expect(redact('nothing to hide')).toBe('nothing to hide');
  });
});
