// End to end: per-step attributes, missing variables, secrets and --record, with real bash.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { alive, runCli, scratch, startCli, waitFor } from '../helpers/cli.ts';

const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');

describe('step attributes', () => {
  it('timeout= ends the step and its children and fails saying it timed out', async () => {
    const dir = scratch('attrs/attributes.md');
    const started = Date.now();
    const r = await runCli(['--yes', 'attributes.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.stderr).toMatch(/slow failed \(timed out at timeout=1\) after 1\.\d s/);
    expect(alive(Number(read(dir, 'sleeper.pid')))).toBe(false);
  });

  it('a step whose attributes cannot all be read stops the run before any step, naming what', async () => {
    const dir = scratch('attrs/unreadable.md');
    const r = await runCli(['--yes', 'unreadable.md'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'unreadable.md:9: step drop: attributes not read: cannot read timeout==60 and no closing } in {name=drop timeout==60 retries=2',
    );
    expect(existsSync(path.join(dir, 'first.ran'))).toBe(false);
    expect(existsSync(path.join(dir, 'dropped.ran'))).toBe(false);
    const check = await runCli(['check', 'unreadable.md'], { cwd: dir });
    expect(check.code).not.toBe(0);
    expect(check.stdout + check.stderr).toMatch(/9.*attributes not read: cannot read timeout==60/);
  });

  it('retries= re-runs a failing step before it counts as failed', async () => {
    const dir = scratch('attrs/retries.md');
    const r = await runCli(['--yes', 'retries.md'], { cwd: dir, env: { RUNBOOK_RETRY_DELAY_MS: '10' } });
    expect(r.code).toBe(0);
    expect(read(dir, 'attempts.log')).toBe('attempt\nattempt\nattempt\n');
    expect(r.stderr).toMatch(/flaky failed \(exit 1\), retry 1[\s\S]*retry 2/);
    const rec = JSON.parse(read(dir, '.runbook/retries.state.json'));
    expect(rec.steps[0].attempts).toBe(3);
    expect(existsSync(path.join(dir, 'after.txt'))).toBe(true);
  });

  it('Ctrl-C during the pause between retries stops the run there', async () => {
    const dir = scratch('attrs/retries.md');
    const run = startCli(['--yes', 'retries.md'], { cwd: dir, env: { RUNBOOK_RETRY_DELAY_MS: '60000' } });
    await waitFor(() => existsSync(path.join(dir, 'attempts.log')));
    await waitFor(() => run.output().includes('retry 1'));
    const sent = Date.now();
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(read(dir, 'attempts.log')).toBe('attempt\n');
    const rec = JSON.parse(read(dir, '.runbook/retries.state.json'));
    expect(rec.steps[0].status).toBe('interrupted');
  });

  it('cwd= starts one step elsewhere without moving later steps; unknown attributes warn', async () => {
    const dir = scratch('attrs');
    const r = await runCli(['--yes', 'attrs/cwd-attr.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(read(dir, 'attrs/sub/where.txt').trim()).toBe(path.join(dir, 'attrs/sub'));
    expect(read(dir, 'attrs/where.txt').trim()).toBe(path.join(dir, 'attrs'));
    expect(r.stderr).toMatch(/warning: .*cwd-attr.md:\d+: step odd: unknown attribute unknownattr/);
  });

  it('an attribute value the runner cannot use stops the run before anything runs', async () => {
    const dir = scratch('attrs/retries.md');
    const file = path.join(dir, 'retries.md');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, read(dir, 'retries.md').replace('retries=2', 'retries=two'));
    const r = await runCli(['--yes', 'retries.md'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/step flaky: retries must be a whole number/);
    expect(existsSync(path.join(dir, 'attempts.log'))).toBe(false);
  });
});

describe('variables a run needs', () => {
  it('lists every missing variable at once and exits 2 running nothing', async () => {
    const dir = scratch('attrs/needs.md');
    const r = await runCli(['--yes', 'needs.md'], { cwd: dir, env: { CLUSTER_NAME: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/1 variable is needed/);
    expect(r.stderr).toMatch(/REGION +needed by step 1 uses/);
    expect(r.stderr).not.toMatch(/DEFAULTED|item|LOCAL/);
  });

  it('counts the environment and --set as provided', async () => {
    const dir = scratch('attrs/needs.md');
    const env = { CLUSTER_NAME: 'c0' };
    const r = await runCli(['--yes', '--set', 'REGION=us', 'needs.md'], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('fallback c0 us\n');
  });

  it('--list shows what each step sets and needs, and --json adds arrays', async () => {
    const dir = scratch('attrs/needs.md');
    const text = await runCli(['--list', 'needs.md'], { cwd: dir });
    expect(text.stdout).toMatch(/1 +uses +echo .*\[sets item LOCAL; needs CLUSTER_NAME REGION\]/);
    const json = await runCli(['--list', '--json', 'needs.md'], { cwd: dir });
    const rows = JSON.parse(json.stdout).steps;
    expect(rows[1]).toMatchObject({ index: 2, name: 'sets-later', sets: ['REGION'], needs: [] });
  });
});

describe('secrets and --record', () => {
  it('writes run.json, junit.xml and transcript.md with every secret redacted', async () => {
    const dir = scratch('attrs/record.md');
    const r = await runCli(['--yes', '--record', 'out', 'record.md'], { cwd: dir });
    expect(r.code).toBe(0);
    // The step's own live output is the person's to see.
    expect(r.stdout).toContain('logging in with tok-abc123-XYZ and session sess-9876543');
    for (const f of ['run.json', 'junit.xml', 'transcript.md', '../.runbook/record.state.json']) {
      const content = read(dir, path.join('out', f));
      expect(content, f).not.toContain('tok-abc123-XYZ');
      expect(content, f).not.toContain('sess-9876543');
    }
    const run = JSON.parse(read(dir, 'out/run.json'));
    expect(run.exitCode).toBe(0);
    expect(run.steps.map((s: { status: string }) => s.status)).toEqual(['done', 'failed', 'done']);
    expect(run.steps[0].vars).toMatchObject({
      API_TOKEN: '****',
      SESSION_ID: '****',
      PUBLIC: 'visible value',
    });
    expect(run.steps[0].outputTail).toContain('logging in with **** and session ****');
    expect(run.steps[1].outputTail).toContain('using **** again');
    const xml = read(dir, 'out/junit.xml');
    expect(XMLValidator.validate(xml)).toBe(true);
    const suite = new XMLParser({ ignoreAttributes: false }).parse(xml).testsuites.testsuite;
    expect(suite['@_tests']).toBe('3');
    expect(suite['@_failures']).toBe('1');
    const transcript = read(dir, 'out/transcript.md');
    expect(transcript).toContain('done with <xml> & "quotes" visible value');
  });

  it('never repeats a secret in its own failure summary', async () => {
    const dir = scratch('attrs/record.md');
    const file = path.join(dir, 'record.md');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, read(dir, 'record.md').replace(' continue-on-error}', '}'));
    const r = await runCli(['--yes', 'record.md'], { cwd: dir });
    expect(r.code).toBe(1);
    // The live output (stderr too) is the person's; the summary the runner prints after it is redacted.
    const summary = r.stderr.slice(r.stderr.indexOf('Last lines of its output:'));
    expect(summary).toMatch(/│ using \*\*\*\* again/);
    expect(summary).not.toContain('tok-abc123-XYZ');
  });

  it('stops at a failure under --yes when continue-on-error=false', async () => {
    const dir = scratch('attrs/continue-false.md');
    const r = await runCli(['--yes', 'continue-false.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('fails failed (exit code 3)');
    expect(r.stderr).not.toContain('continuing (continue-on-error)');
    expect(existsSync(path.join(dir, 'after.txt'))).toBe(false);
  });

  it('writes records for an interrupted or failed run too', async () => {
    const dir = scratch('attrs/attributes.md');
    const r = await runCli(['--yes', '--record', 'out', 'attributes.md'], { cwd: dir });
    expect(r.code).toBe(1);
    const run = JSON.parse(read(dir, 'out/run.json'));
    expect(run.exitCode).toBe(1);
    expect(run.steps[0].message).toMatch(/timed out/);
  });
});
