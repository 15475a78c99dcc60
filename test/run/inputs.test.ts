// Declared inputs without a terminal: from the environment, --set and --env-file; every missing or
// invalid one listed at once with its description, exit 2, nothing run; shown by --list, --json and
// --dry-run; checked by runbook check.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli, scratch } from '../helpers/cli.ts';

const clean = { REGION: undefined, API_KEY: undefined, CLUSTER_PREFIX: undefined, REGISTRY_TOKEN: undefined };

describe('declared inputs under --yes', () => {
  it('lists every missing and invalid input with its description, exit 2, and runs nothing', {
    timeout: 60_000,
  }, async () => {
    const dir = scratch('inputs/deploy.md');
    const missing = await runCli(['--yes', 'deploy.md'], { cwd: dir, env: clean });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('runbook: 2 inputs are missing or invalid');
    expect(missing.stderr).toMatch(/^ {2}REGION {3}cloud region: missing$/m);
    expect(missing.stderr).toMatch(/^ {2}API_KEY {2}key for the deploy API: missing$/m);
    expect(missing.stdout).toBe('');
    expect(existsSync(path.join(dir, '.runbook', 'deploy.state.json'))).toBe(false);

    const invalid = await runCli(['--yes', '--set', 'REGION=Europe', 'deploy.md'], { cwd: dir, env: clean });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(
      /REGION {3}cloud region: "Europe" does not match \^\[a-z\]\+-\[a-z\]\+-\[0-9\]\$/,
    );
    expect(invalid.stderr).toContain('API_KEY  key for the deploy API: missing');
    // A secret's bad value is not repeated.
    const secret = await runCli(['--yes', 'short.md'], {
      cwd: scratch('inputs/short.md'),
      env: { NAMESPACE: 'n', REPLICAS: 'many' },
    });
    expect(secret.code, secret.stderr).toBe(2);
    expect(secret.stderr).toContain('REPLICAS  "many" does not match ^[0-9]+$');
  });

  it('never quotes the value of an input secret by its name or listed under secrets:', {
    timeout: 60_000,
  }, async () => {
    const dir = scratch('inputs/secret-names.md');
    const set = ['--set', 'API_KEY=leakKEY123', '--set', 'LISTED=leakLIST456'];
    const r = await runCli(['--yes', ...set, '--record', 'rec', 'secret-names.md'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/API_KEY +the key: the value given does not match \^k-/);
    const dry = await runCli(['--dry-run', ...set, 'secret-names.md'], { cwd: dir });
    for (const text of [r.stderr, r.stdout, dry.stdout, dry.stderr]) {
      expect(text).not.toContain('leakKEY123');
      expect(text).not.toContain('leakLIST456');
    }
    expect(readFileSync(path.join(dir, 'rec/run.json'), 'utf8')).not.toMatch(/leakKEY123|leakLIST456/);
  });

  it('takes the environment, then --env-file files in order, then --set; defaults fill the rest', {
    timeout: 60_000,
  }, async () => {
    const dir = scratch('inputs/deploy.md', 'inputs/values.env', 'inputs/more.env');
    const env = await runCli(['--yes', 'deploy.md'], {
      cwd: dir,
      env: { ...clean, REGION: 'eu-north-1', API_KEY: 'k' },
    });
    expect(env.code, env.stderr).toBe(0);
    expect(env.stdout).toContain('clusters cluster-0 and cluster-1 in eu-north-1\n');
    expect(env.stdout).toContain('registry token given: \n');

    const files = await runCli(['--yes', '--env-file', 'values.env', '--env-file', 'more.env', 'deploy.md'], {
      cwd: dir,
      env: { ...clean, REGION: 'xx-yy-1' },
    });
    expect(files.code, files.stderr).toBe(0);
    // The file overrides the environment, a later file an earlier one; quotes are dotenv's.
    expect(files.stdout).toContain('clusters from-second-file-0 and from-second-file-1 in eu-west-1\n');
    expect(files.stdout).toContain('api key length 15\n');

    const set = await runCli(
      ['--yes', '--env-file', 'values.env', '--set', 'REGION=us-east-1', '--set', 'API_KEY=x', 'deploy.md'],
      { cwd: dir, env: clean },
    );
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('clusters from-file-0 and from-file-1 in us-east-1\n');
  });

  it('a missing --env-file stops the run with one line, running nothing', { timeout: 60_000 }, async () => {
    const dir = scratch('inputs/deploy.md');
    // The bin as npx starts it, through its #! line: Node 20 must not take --env-file as its own.
    const r = spawnSync(BIN, ['--yes', '--env-file', 'nope.env', 'deploy.md'], {
      cwd: dir,
      env: { ...clean, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`runbook: cannot read --env-file ${path.join(dir, 'nope.env')}: no such file\n`);
    expect(r.stdout).toBe('');
    expect(existsSync(path.join(dir, '.runbook'))).toBe(false);
  });

  it('a dotenv line that is not a variable name is a usage error', { timeout: 60_000 }, async () => {
    const dir = scratch('inputs/deploy.md');
    // A space where = was meant puts the value into the name: the error names the line, never its text.
    writeFileSync(path.join(dir, 'bad.env'), '# deploy\nAPI_TOKEN s3cr3t-value=1\n');
    const r = await runCli(['--yes', '--env-file', 'bad.env', 'deploy.md'], { cwd: dir, env: clean });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `runbook: --env-file ${path.join(dir, 'bad.env')}:2: what stands before = is not a variable name (letters, digits and _, not starting with a digit)`,
    );
    expect(r.stderr).not.toContain('s3cr3t');
  });

  it('--env-file values reach plain runbooks too, as environment', { timeout: 60_000 }, async () => {
    const dir = scratch('honest/certain.md');
    writeFileSync(path.join(dir, 'ci.env'), 'CLUSTER_NAME=from-env-file\nWEBHOOK_ID=w\nREPORT_TO=r\n');
    const r = await runCli(['--yes', '--env-file', 'ci.env', 'certain.md'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('deploying to eu in from-env-file\n');
  });
});

describe('inputs in --list, --json, --dry-run and check', () => {
  it('--list shows them before the steps; --json as an inputs array beside the steps', {
    timeout: 60_000,
  }, async () => {
    const dir = scratch('inputs/deploy.md');
    const list = await runCli(['--list', 'deploy.md'], { cwd: dir });
    expect(list.stdout).toMatch(
      /^Inputs:\n {2}CLUSTER_PREFIX +prefix of the two cluster names \(default "cluster"\)\n/,
    );
    expect(list.stdout).toMatch(/^ {2}REGISTRY_TOKEN +token for the image mirror \(optional, secret\)$/m);
    expect(list.stdout).toMatch(
      /^ {2}REGION +cloud region \(required, pattern \^\[a-z\]\+-\[a-z\]\+-\[0-9\]\$\)$/m,
    );
    expect(list.stdout).toMatch(/^Steps:\n1 +show /m);
    const json = JSON.parse((await runCli(['--list', '--json', 'deploy.md'], { cwd: dir })).stdout);
    expect(json.inputs[0]).toEqual({
      name: 'CLUSTER_PREFIX',
      description: 'prefix of the two cluster names',
      default: 'cluster',
    });
    expect(json.inputs.map((i: { name: string }) => i.name)).toEqual([
      'CLUSTER_PREFIX',
      'REGISTRY_TOKEN',
      'REGION',
      'API_KEY',
    ]);
    expect(json.steps.map((s: { name: string }) => s.name)).toEqual(['show', 'from-js']);
  });

  it('--dry-run shows each input and where its value would come from', { timeout: 60_000 }, async () => {
    const dir = scratch('inputs/deploy.md');
    const r = await runCli(['--dry-run', 'deploy.md'], {
      cwd: dir,
      env: { ...clean, API_KEY: 'dry-secret' },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Inputs:');
    expect(r.stdout).toMatch(/CLUSTER_PREFIX .*\n +the default; the walkthrough would ask/);
    expect(r.stdout).toMatch(/REGION .*\n +missing: the walkthrough would ask, --yes would refuse/);
    expect(r.stdout).toMatch(/API_KEY .*\n +from the environment: \*\*\*\*/);
    expect(r.stdout).not.toContain('dry-secret');
  });

  it('runbook check validates the spec at its line, and declared inputs are never missing variables', {
    timeout: 60_000,
  }, async () => {
    const cases: Array<[string, RegExp, number]> = [
      [
        'bad-spec.md',
        /bad-spec\.md:4: error: front matter line 4: inputs: REGION: default "Europe" does not match/,
        1,
      ],
      [
        'bad-pattern.md',
        /bad-pattern\.md:3: error: .*pattern "\(\[a-z" is not a valid regular expression/,
        1,
      ],
      ['bad-name.md', /bad-name\.md:3: error: .*"not-a-name" is not a shell variable name/, 1],
      ['bad-key.md', /bad-key\.md:3: warning: front matter: inputs: TIMEOUT: unknown key defualt/, 0],
    ];
    for (const [file, message, code] of cases) {
      const r = await runCli(['check', file], { cwd: scratch(`inputs/${file}`) });
      expect(r.stdout, file).toMatch(message);
      expect(r.code, file).toBe(code);
    }
    const ok = await runCli(['check', 'deploy.md'], { cwd: scratch('inputs/deploy.md'), env: clean });
    expect(ok.stdout).not.toContain('needs ');
    expect(ok.code, ok.stdout).toBe(0);
    const run = await runCli(['--yes', 'bad-pattern.md'], { cwd: scratch('inputs/bad-pattern.md') });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^runbook: .*front matter line 3: inputs: ZONE: pattern/);
  });
});
