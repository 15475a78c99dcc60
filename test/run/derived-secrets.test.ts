// Secrets stay secret: a value made from a secret is a secret (never in the record or --record files,
// redacted where the runner prints), --resume makes it again by running the step that made it, and no
// file of a run is readable by another user at any moment.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, scratch } from '../helpers/cli.ts';

const TOKEN = 'env-api-token-value';
const PASSWORD = 'db-pass-value';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

function expectClean(dir: string) {
  const files = [...filesUnder(path.join(dir, '.runbook')), ...filesUnder(path.join(dir, 'out'))];
  expect(files.length).toBeGreaterThan(3);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    expect(text, f).not.toContain(TOKEN);
    expect(text, f).not.toContain(PASSWORD);
    expect(text, f).not.toContain('Bearer env');
    expect(statSync(f).mode & 0o077, `${f} is private`).toBe(0);
  }
}

describe('values made from secrets', () => {
  it('are absent from .runbook/ and --record files, and --resume makes them again', {
    timeout: 60_000,
  }, async () => {
    const dir = scratch('secrets/derived.md');
    writeFileSync(path.join(dir, 'fail-once'), '');
    const env = { API_TOKEN: TOKEN };
    const first = await runCli(
      ['--yes', '--record', 'out', '--set', `DB_PASSWORD=${PASSWORD}`, 'derived.md'],
      {
        cwd: dir,
        env,
      },
    );
    expect(first.code, first.stderr).toBe(1);
    // The step's own output is the person's; the runner's own lines redact it.
    expect(first.stdout).toContain(`logged in: Bearer ${TOKEN}`);
    expect(first.stderr).toContain('failing once with Bearer ****');
    expect(first.stderr).not.toContain(TOKEN);
    const record = JSON.parse(readFileSync(path.join(dir, '.runbook/derived.state.json'), 'utf8'));
    expect(record.withheld.sort()).toEqual(['AUTH_HEADER', 'DB_PASSWORD', 'DSN']);
    expect(Object.keys(record.context.vars)).toEqual(['PLAIN']);
    expect(record.steps[0].setValues).toEqual({ AUTH_HEADER: '****' });
    expectClean(dir);

    // What was given must be given again; what a step made, it makes again.
    const without = await runCli(['--yes', '--resume', 'derived.md'], { cwd: dir, env });
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/^ {2}DB_PASSWORD +needed by step 2 dsn$/m);

    const resumed = await runCli(
      ['--yes', '--resume', '--record', 'out', '--set', `DB_PASSWORD=${PASSWORD}`, 'derived.md'],
      {
        cwd: dir,
        env,
      },
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      'AUTH_HEADER was not saved with the run (it holds a secret); step 1 login runs again first to make it',
    );
    expect(resumed.stderr).toContain('running step 1 login again to make AUTH_HEADER');
    expect(resumed.stderr).toContain('running step 2 dsn again to make DSN');
    expect(resumed.stdout).toContain('header of 26 characters, dsn of 35\n');
    expect(resumed.stdout).toContain('header back\ndsn back: nothing secret here\n');
    expectClean(dir);
  });

  it('--resume makes again, first, the withheld values the steps that make one again read themselves', {
    timeout: 60_000,
  }, async () => {
    const dir = scratch('secrets/chain.md');
    writeFileSync(path.join(dir, 'fail-once'), '');
    const first = await runCli(['--yes', 'chain.md'], { cwd: dir });
    expect(first.code, first.stderr).toBe(1);
    const record = JSON.parse(readFileSync(path.join(dir, '.runbook/chain.state.json'), 'utf8'));
    expect(record.withheld.sort()).toEqual(['HDR', 'MY_TOKEN']);
    const resumed = await runCli(['--yes', '--resume', 'chain.md'], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('running step 1 mk-token again to make MY_TOKEN');
    expect(resumed.stderr).toContain('running step 2 mk-header again to make HDR');
    expect(readFileSync(path.join(dir, 'used.txt'), 'utf8')).toBe(
      'header: Bearer tok-12345\nheader: Bearer tok-12345\n',
    );
  });

  it('is not made again when no step left to run reads it', { timeout: 60_000 }, async () => {
    const dir = scratch('secrets/unneeded.md');
    writeFileSync(path.join(dir, 'fail-once'), '');
    const env = { API_TOKEN: TOKEN };
    expect((await runCli(['--yes', 'unneeded.md'], { cwd: dir, env })).code).toBe(1);
    const r = await runCli(['--yes', '--resume', 'unneeded.md'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('flaky passed\n');
    expect(r.stderr).not.toContain('again');
  });
});

describe('files a run leaves or uses', () => {
  it('are private while a step runs: the scratch directory, hand-over files, the lock and the record', {
    timeout: 60_000,
  }, async () => {
    const dir = scratch('secrets/modes.md');
    const r = await runCli(['--yes', '--set', 'SESSION_TOKEN=tok-in-ctx-file', 'modes.md'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('scratch 700\n');
    expect(r.stdout).toContain('scripts 700\n');
    expect(r.stdout).toContain('lock 600\n');
    expect(r.stdout).toContain('state 700\n');
    const files = r.stdout.split('\n').filter((l) => l.startsWith('file '));
    expect(
      files.some((l) => l.endsWith('/snap')),
      r.stdout,
    ).toBe(true);
    expect(
      files.some((l) => l.endsWith('.state.json')),
      r.stdout,
    ).toBe(true);
    for (const line of files) expect(line, line).toMatch(/^file 600 /);
  });
});

describe('secrets a failing step set', () => {
  // Made at run time, so that no file the test writes holds them.
  const steps = {
    'bash.md':
      '# Login\n\n```bash\nAPI_TOKEN=tk-$((1234 * 2))\nAUTH="Bearer $API_TOKEN"\necho "401 for $API_TOKEN, $AUTH"; exit 22\n```\n',
    'js.md':
      '# Login\n\n```js\nconst t = `tk-${1234 * 2}`\nvars.PASSWORD = t\nconsole.log("using", t)\nthrow new Error(`refused for ${t}`)\n```\n',
    'check.md':
      '# Login\n\n```bash\nSECRET_KEY=tk-$((1234 * 2))\necho "key $SECRET_KEY"\n```\n\n```output\nsomething else\n```\n',
  };

  it.each(Object.keys(steps))(
    'are hidden in the record, --record files and what the runner prints: %s',
    {
      timeout: 60_000,
    },
    async (file) => {
      const dir = scratch();
      writeFileSync(path.join(dir, file), steps[file as keyof typeof steps]);
      const r = await runCli(['--yes', '--record', 'out', file], { cwd: dir });
      expect(r.code).toBe(1);
      // The step's own output reaches the terminal as it printed it; the runner's account of it does not.
      const account = r.stderr.slice(r.stderr.indexOf('failed'));
      expect(account).toContain('****');
      expect(account).not.toContain('tk-2468');
      const files = [...filesUnder(path.join(dir, '.runbook')), ...filesUnder(path.join(dir, 'out'))];
      expect(files.length).toBeGreaterThan(2);
      for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toContain('tk-2468');
    },
  );
});
