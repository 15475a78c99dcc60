// `runbook check` from the command line: findings one per line, exit 1 on errors, nothing run.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, scratch } from '../helpers/cli.ts';

describe('runbook check', () => {
  it('reports a missing values file and an unknown attribute with runbook lines, running nothing', async () => {
    const dir = scratch('attrs/cwd-attr.md');
    writeFileSync(
      path.join(dir, 'bad.md'),
      '# Bad\n\n```bash {name=install timout=60}\ntouch ran.txt\nhelm install x chart --values ./missing/values.yaml\n```\n',
    );
    const r = await runCli(['check', 'bad.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^bad\.md:3: error: unknown attribute timout \(did you mean timeout\?\) \(install\)$/m,
    );
    expect(r.stdout).toMatch(/^bad\.md:5: error: .*missing\/values\.yaml.*\(install\)$/m);
    expect(r.stderr).toMatch(/2 errors/);
    expect(existsSync(path.join(dir, 'ran.txt'))).toBe(false);
  });

  it('passes a clean runbook with exit 0', async () => {
    const dir = scratch('run/select.md');
    const r = await runCli(['check', 'select.md'], { cwd: dir });
    expect(r.stderr).toMatch(/looks good/);
    expect(r.code).toBe(0);
  });

  it('checks an unchanged runbook from its cache, asking bash and shellcheck only about changed steps', async () => {
    const dir = scratch('run/select.md');
    // Stand-ins on PATH that log each run and hand over to the real programs (shellcheck: no findings).
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    const log = path.join(dir, 'programs.log');
    const realBash = '/usr/bin/bash';
    writeFileSync(
      path.join(bin, 'bash'),
      `#!${realBash}\necho "bash $*" >> '${log}'\nexec ${realBash} "$@"\n`,
    );
    writeFileSync(
      path.join(bin, 'shellcheck'),
      `#!${realBash}\necho "shellcheck $*" >> '${log}'\ncat > /dev/null\necho '{"comments":[]}'\n`,
    );
    chmodSync(path.join(bin, 'bash'), 0o755);
    chmodSync(path.join(bin, 'shellcheck'), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const runs = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').length : 0);
    const first = await runCli(['check', 'select.md'], { cwd: dir, env });
    expect([first.code, first.stderr]).toEqual([0, expect.stringMatching(/looks good/)]);
    const asked = runs();
    // Four steps: bash -n and shellcheck for each, shellcheck --version once, and the shell line's bash
    // once (is it bash 4.4 or newer).
    expect(asked).toBe(10);
    expect((await runCli(['check', 'select.md'], { cwd: dir, env })).code).toBe(0);
    expect(runs()).toBe(asked);
    const file = path.join(dir, 'select.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('echo third', 'echo THIRD'));
    expect((await runCli(['check', 'select.md'], { cwd: dir, env })).code).toBe(0);
    expect(runs()).toBe(asked + 2);
  });

  it('reports a variable read through a function of an earlier step at the line that calls it, saying where it is read', async () => {
    const dir = scratch('check/functions.md');
    const r = await runCli(['check', 'functions.md'], { cwd: dir, env: { WHO: '', LOUD: '', COUNT: '' } });
    expect(r.code).toBe(0);
    const bare = await runCli(['check', 'functions.md'], { cwd: dir, env: { PATH: process.env.PATH } });
    expect(bare.code).toBe(1);
    const found = bare.stdout.trim().split('\n');
    expect(found).toEqual([
      'functions.md:29: error: needs WHO (read at line 6, through wrap), which no earlier step sets and neither the environment nor --set provides (calls)',
      // A function of a later step calling one of an earlier step: the line of the first function's read.
      'functions.md:34: error: needs LOUD (read at line 13, through outer), which no earlier step sets and neither the environment nor --set provides (later)',
      'functions.md:35: warning: may read COUNT (read at line 15, through next_count) unset (read in arithmetic, where unset is 0) (later)',
    ]);
  });
});
