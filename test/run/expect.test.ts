// End to end in real bash: output blocks checked in each mode, mismatches failing with a diff that
// junit.xml and run.json carry, CRLF blocks, and capture= into later shell and JavaScript steps.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { runCli, scratch } from '../helpers/cli.ts';

const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');
const json = (dir: string, f: string) => JSON.parse(read(dir, f));

interface Case {
  '@_name': string;
  failure?: { '@_message': string; '#text'?: string };
  skipped?: unknown;
}
function testcases(dir: string): Case[] {
  const xml = read(dir, 'rec/junit.xml');
  expect(XMLValidator.validate(xml)).toBe(true);
  const suite = new XMLParser({ ignoreAttributes: false, trimValues: false, htmlEntities: true }).parse(xml)
    .testsuites.testsuite;
  return [suite.testcase].flat();
}

describe('output blocks', { timeout: 30_000 }, () => {
  it('a retry after output that did not match says so, not a failure with exit 0', async () => {
    const dir = scratch('expect/retry-match.md');
    const r = await runCli(['--yes', 'retry-match.md'], { cwd: dir, env: { RUNBOOK_RETRY_DELAY_MS: '0' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('settles failed (its output did not match), retry 1');
    expect(r.stderr).not.toContain('exit 0');
  });

  it('pass in every mode when the output matches, and the record says so', async () => {
    const dir = scratch('expect/match.md');
    const r = await runCli(['--yes', '--record', 'rec', 'match.md'], { cwd: dir });
    expect(r.stderr).toContain('all 7 steps done');
    expect(r.code).toBe(0);
    const steps = json(dir, 'rec/run.json').steps;
    expect(steps.map((s: { output?: { expect: string; matched: boolean } }) => s.output)).toEqual([
      { expect: 'lines', matched: true },
      { expect: 'contains', matched: true },
      { expect: 'regex', matched: true },
      { expect: 'similar:0.8', matched: true, score: expect.any(Number) },
      { expect: 'similar:0.7', matched: true, score: expect.any(Number) },
      undefined,
      { expect: 'lines', matched: true },
    ]);
    expect(testcases(dir).some((c) => c.failure)).toBe(false);
    // The output block is documentation: never run, and not shown as the next step's prose.
    expect(r.stdout).not.toContain('rollout complete\nrollout complete');
  });

  it('fail when the output does not match, with a diff in the terminal, junit.xml and run.json', async () => {
    const dir = scratch('expect/mismatch.md');
    const r = await runCli(['--yes', '--record', 'rec', 'mismatch.md'], { cwd: dir });
    expect(r.code).toBe(1);
    // Each mismatch is a failure continue-on-error lets pass; the exit code failure then stops the run.
    expect(r.stderr).toContain('lines failed (output did not match)');
    expect(r.stderr).toContain('contains failed (output did not match)');
    expect(r.stderr).toContain('regex failed (output did not match)');
    expect(r.stderr).toMatch(/similar failed \(output did not match \(similarity 0\.\d+, needs 0\.9\)\)/);
    expect(r.stderr).toContain('failing-exit failed (exit code 3)');
    expect(r.stderr).toContain(
      [
        'What it printed against its output block:',
        '  --- expected (mismatch.md:8)',
        '  +++ printed',
        '  - Status: Running',
        '  + Status: Pending',
        '    Ready: 0/1',
      ].join('\n'),
    );
    expect(existsSync(path.join(dir, 'never.txt'))).toBe(false);

    const cases = testcases(dir);
    expect(cases.map((c) => c['@_name'])).toEqual([
      '01 lines',
      '02 contains',
      '03 regex',
      '04 similar',
      '05 failing-exit',
      '06 never',
    ]);
    expect(cases[0]?.failure?.['@_message']).toBe(
      'output did not match\n--- expected (mismatch.md:8)\n+++ printed\n- Status: Running\n+ Status: Pending\n  Ready: 0/1',
    );
    expect(cases[1]?.failure?.['@_message']).toBe(
      'output did not match\n--- expected (mismatch.md:18)\n+++ printed\n  alpha\n  beta\n- gamma',
    );
    expect(cases[2]?.failure?.['@_message']).toContain('- took \\d+ s\n+ took 42 ms');
    expect(cases[3]?.failure?.['@_message']).toMatch(
      /^output did not match \(similarity 0\.\d+, needs 0\.9\)\n/,
    );
    expect(cases[4]?.failure?.['@_message']).toBe('exit code 3');
    expect(cases[5]?.skipped).toBeDefined();

    const steps = json(dir, 'rec/run.json').steps;
    expect(steps[0].output).toEqual({
      expect: 'lines',
      matched: false,
      diff: '--- expected (mismatch.md:8)\n+++ printed\n- Status: Running\n+ Status: Pending\n  Ready: 0/1',
    });
    expect(steps[3].output).toMatchObject({
      expect: 'similar:0.9',
      matched: false,
      score: expect.any(Number),
    });
    // A step that failed by its exit code has no verdict: its output was not compared.
    expect(steps[4].output).toBeUndefined();
    expect(steps[0].status).toBe('failed');
    expect(steps[0].exitCode).toBe(0);
  });

  it('read an output block written with CRLF line endings', async () => {
    const dir = scratch('expect/crlf.md');
    expect(read(dir, 'crlf.md')).toContain('```output\r\none\r\n...\r\nthree\r\n```');
    const r = await runCli(['--yes', 'crlf.md'], { cwd: dir });
    expect(r.stderr).toContain('all 2 steps done');
    expect(r.code).toBe(0);
    expect(existsSync(path.join(dir, 'done.txt'))).toBe(true);
  });

  it('let retries= try again until the output matches', async () => {
    const dir = scratch();
    writeFileSync(
      path.join(dir, 'retry.md'),
      '# R\n\n```bash {retries=3}\necho x >> n.txt\nif [ "$(wc -l < n.txt)" -ge 3 ]; then echo Ready; else echo Pending; fi\n```\n\n```output\nReady\n```\n',
    );
    const r = await runCli(['--yes', 'retry.md'], { cwd: dir, env: { RUNBOOK_RETRY_DELAY_MS: '10' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/retry 1[\s\S]*retry 2/);
    expect(read(dir, 'n.txt')).toBe('x\nx\nx\n');
  });

  it('are listed with each step by --list and --list --json', async () => {
    const dir = scratch('expect/match.md');
    const text = await runCli(['--list', 'match.md'], { cwd: dir });
    expect(text.stdout).toMatch(/lines +printf .*\[sets i; expects output \(lines\)\]/);
    expect(text.stdout).toMatch(/similar-comment +.*\[expects output \(similar:0\.7\)\]/);
    expect(text.stdout).toMatch(/ off +echo "whatever it prints"\n/);
    const r = await runCli(['--list', '--json', 'match.md'], { cwd: dir });
    const rows = JSON.parse(r.stdout).steps;
    expect(rows[0].expect).toEqual({
      mode: 'lines',
      text: 'Deploying\npod/web-... created\n...\nrollout complete',
      line: 12,
    });
    expect(rows[3].expect).toMatchObject({ mode: 'similar', threshold: 0.8 });
    expect(rows[5].expect).toBeNull();
    expect(rows).toHaveLength(7);
  });
});

describe('runbook check and output blocks', { timeout: 30_000 }, () => {
  it('reports a block that follows no step, a bad regex and an expect= with nothing to compare', async () => {
    const dir = scratch();
    writeFileSync(
      path.join(dir, 'bad.md'),
      [
        '# B',
        '',
        '```output',
        'orphan',
        '```',
        '',
        '```bash {expect=regex}',
        'echo hi',
        '```',
        '',
        '```output',
        'h(i',
        '```',
        '',
        '```bash {expect=contains}',
        'echo no block',
        '```',
        '',
        '```bash {expect=sometimes}',
        'echo x',
        '```',
        '',
      ].join('\n'),
    );
    const r = await runCli(['check', 'bad.md'], {
      cwd: dir,
      env: { PATH: process.env.PATH },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('bad.md:3: warning: this output block is not checked: it follows no step');
    expect(r.stdout).toMatch(/bad\.md:11: error: line 1 of the output block: Invalid regular expression/);
    expect(r.stdout).toContain(
      'bad.md:15: warning: expect= has no output block after the step to compare with',
    );
    expect(r.stdout).toContain(
      'bad.md:19: error: expect must be lines, contains, regex, similar:SCORE or off; got "sometimes"',
    );
    // The same problems stop a run before anything runs.
    const run = await runCli(['--yes', 'bad.md'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Invalid regular expression/);
  });
});

describe('capture=', { timeout: 30_000 }, () => {
  it('carries a step’s output as a variable to later shell and JavaScript steps, as data', async () => {
    const dir = scratch('expect/capture.md');
    const r = await runCli(['--yes', '--record', 'rec', 'capture.md'], { cwd: dir });
    expect(r.stderr).toContain('all 7 steps done');
    expect(r.code).toBe(0);
    // Still shown while it runs.
    expect(r.stdout).toContain('web-7f9d2');
    expect(read(dir, 'shell.txt')).toBe(
      'pod=[web-7f9d2]\na $(touch pwned) `touch pwned2` "b"\nsecond line\n',
    );
    expect(read(dir, 'js.txt')).toBe('pod=web-7f9d2\n');
    expect(read(dir, 'after.txt')).toBe('web-second\n');
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
    expect(existsSync(path.join(dir, 'pwned2'))).toBe(false);
    const steps = json(dir, 'rec/run.json').steps;
    expect(steps[0].vars).toEqual({ POD_NAME: 'web-7f9d2' });
    // A secret-looking name is a secret: its value reaches no record.
    expect(steps[2].vars).toEqual({ DB_PASSWORD: '****' });
    for (const f of ['rec/run.json', 'rec/junit.xml', 'rec/transcript.md', '.runbook/capture.state.json']) {
      expect(read(dir, f), f).not.toContain('hunter2');
    }
    expect(r.stderr).toContain('password is hunter2-very-secret');
  });

  it('counts as setting the variable, so --yes does not ask for it', async () => {
    const dir = scratch('expect/capture.md');
    const r = await runCli(['--list', 'capture.md'], { cwd: dir });
    expect(r.stdout).toMatch(/pod +printf .*\[sets POD_NAME\]/);
    expect(r.stdout).toMatch(/use-in-shell +.*needs POD_NAME TRICKY DB_PASSWORD/);
  });

  it('refuses a name bash keeps for itself', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'c.md'), '# C\n\n```bash {capture=PWD}\necho x\n```\n');
    const r = await runCli(['--yes', 'c.md'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('capture=PWD: bash sets PWD itself, so it cannot be carried');
  });
  it('fails a step whose output holds a NUL, which continue-on-error lets the run go past', async () => {
    const dir = scratch();
    const md = [
      '# N',
      '',
      '```bash {name=bytes capture=X continue-on-error}',
      "printf 'a\\0b'",
      '```',
      '',
      '```bash {name=after}',
      'echo "after sees ${X-unset}" > after.txt',
      '```',
      '',
    ].join('\n');
    writeFileSync(path.join(dir, 'n.md'), md);
    const r = await runCli(['--yes', 'n.md'], { cwd: dir });
    expect(r.stderr).toContain(
      'bytes failed (capture=X: the step printed a NUL character, which no bash variable can hold)',
    );
    expect(r.stderr).not.toContain('runbook: the value of X');
    expect(readFileSync(path.join(dir, 'after.txt'), 'utf8')).toBe('after sees unset\n');
    expect(r.code).toBe(0);
    const rec = JSON.parse(readFileSync(path.join(dir, '.runbook/n.state.json'), 'utf8'));
    expect(rec.steps.map((s: { status: string }) => s.status)).toEqual(['failed', 'done']);
  });
});
