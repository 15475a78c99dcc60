// Preflight through the CLI: a required check that fails stops the run before step 1 (exit 2 under --yes,
// a question at a terminal), a `warn: true` one is said before step 1 and the run goes on.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, scratch } from '../helpers/cli.ts';
import { PtySession } from '../helpers/pty.ts';

const WARNING =
  'runbook: warning: bash: the disk is nearly full (pretend)\n    how to fix: free some space\n';
const REFUSAL =
  'runbook: 1 requirement is not met:\n  - bash: ./present is missing\n    how to fix: touch present\n';

const sessions: PtySession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose();
});

describe('preflight levels, end to end', () => {
  it('--yes: a failed required check exits 2 before step 1, with the warnings said too', async () => {
    const dir = scratch('preflight/levels.md');
    const r = await runCli(['--yes', 'levels.md'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(WARNING);
    expect(r.stderr).toContain(REFUSAL);
    expect(r.stdout).not.toContain('the step ran');
  });

  it('a check that prints a secret of the environment is reported with the value hidden', async () => {
    const dir = scratch();
    const md = [
      '---',
      'secrets: [LOGIN]',
      'requires:',
      '  - { name: bash, check: \'echo "token $API_TOKEN rejected"; exit 1\' }',
      '  - name: cat',
      '    warn: true',
      '    check: |',
      '      echo "checking"',
      '      echo "user $LOGIN is locked"; exit 1',
      '---',
      '# P',
      '',
      '```bash',
      'echo ran',
      '```',
      '',
    ].join('\n');
    writeFileSync(path.join(dir, 'p.md'), md);
    const env = { API_TOKEN: 's3cr3t-token-value', LOGIN: 'alice-the-admin' };
    const r = await runCli(['--yes', 'p.md'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'bash: `echo "token $API_TOKEN rejected"; exit 1` failed (exit 1): token **** rejected',
    );
    expect(r.stderr).toContain('runbook: warning: cat: user **** is locked');
    expect(r.stderr).not.toContain('s3cr3t-token-value');
    expect(r.stderr).not.toContain('alice-the-admin');
  });

  it('--yes: warnings alone let the run go on; --no-preflight says nothing', async () => {
    const dir = scratch('preflight/levels.md');
    writeFileSync(path.join(dir, 'present'), '');
    const r = await runCli(['--yes', 'levels.md'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(WARNING);
    expect(r.stderr).not.toContain('not met');
    expect(r.stdout).toContain('the step ran');
    const quiet = await runCli(['--yes', '--no-preflight', 'levels.md'], { cwd: dir });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain('warning: bash');
  });

  it('at a terminal: a failed required check is a question, default no; yes runs the walkthrough', async () => {
    const dir = scratch('preflight/levels.md');
    const no = new PtySession(['levels.md'], { cwd: dir });
    sessions.push(no);
    const asked = await no.waitFor('A requirement is not met. Continue anyway?');
    expect(asked).toContain('warning: bash: the disk is nearly full (pretend)');
    expect(asked).toContain('- bash: ./present is missing');
    no.write('\r');
    expect((await no.exit()).exitCode).toBe(2);
    expect(no.screen()).not.toContain('the step ran');

    const yes = new PtySession(['levels.md'], { cwd: dir });
    sessions.push(yes);
    await yes.waitFor('Continue anyway?');
    yes.write('y');
    await yes.waitFor('Step 1: run it?');
    yes.write('r');
    expect((await yes.finish()).exitCode).toBe(0);
    expect(yes.screen()).toContain('the step ran');
  });

  it('at a terminal: warnings alone ask nothing', async () => {
    const dir = scratch('preflight/levels.md');
    writeFileSync(path.join(dir, 'present'), '');
    const s = new PtySession(['levels.md'], { cwd: dir });
    sessions.push(s);
    const shown = await s.waitFor('Step 1: run it?');
    expect(shown).toContain('warning: bash: the disk is nearly full (pretend)');
    expect(shown).not.toContain('Continue anyway?');
    s.write('q');
    await s.exit();
  });
});
