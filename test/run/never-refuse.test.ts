// Valid runbooks run under --yes: only a variable whose absence certainly breaks a step is refused.
// Every fixture runs in real bash; each reads what it set with `set -u` where that proves it was set.
import { describe, expect, it } from 'vitest';
import { runCli, scratch } from '../helpers/cli.ts';

async function runYes(fixture: string, ...args: string[]) {
  const dir = scratch(`honest/${fixture}`);
  return runCli(['--yes', '--no-preflight', ...args, fixture], { cwd: dir });
}

describe('runs that must not be refused', () => {
  it('the Python README: activate a venv in one step, use $VIRTUAL_ENV in the next', {
    timeout: 60_000,
  }, async () => {
    const r = await runYes('venv.md');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^venv: \/.*\/\.venv$/m);
    expect(r.stdout).toMatch(/^prefix: \/.*\/\.venv$/m);
    // Warned once, before step 1, naming the step that may set it.
    expect(r.stderr).toContain(
      'VIRTUAL_ENV  read by step 2 use-venv (step 1 make-venv runs source, so it may set it)',
    );
    expect(r.stderr.indexOf('VIRTUAL_ENV')).toBeLessThan(r.stderr.indexOf('Step 1/2'));
  });

  it('a retry wrapper that runs "$@", a function called through a variable, builtin export, \\export', {
    timeout: 60_000,
  }, async () => {
    const r = await runYes('wrappers.md');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('endpoint https://example.test/api region eu-west-1\n');
    expect(r.stdout).toContain('exported 1 2 3\n');
    // What the wrapper may set is said, not refused; the declarations are plain sets.
    expect(r.stderr).toContain(
      'ENDPOINT  read by step 4 wrappers-4 (step 2 wrappers-2 runs a computed command',
    );
    expect(r.stderr).not.toContain('EXPORTED');
  });

  it('reads only in a branch that does not run (if, case, after || or &&): warned, not refused', {
    timeout: 60_000,
  }, async () => {
    const r = await runYes('branches.md');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('deployed to staging\n');
    for (const name of ['PRODUCTION_URL', 'ONCALL', 'FAILURE_REASON'])
      expect(r.stderr).toMatch(
        new RegExp(`^  ${name} +read by step 2 .*read only in a branch that may not run`, 'm'),
      );
  });

  it('100 steps counting with V1=$((V0 + 1)) under set +u', { timeout: 60_000 }, async () => {
    const r = await runYes('counting.md');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('step 100: 100\n');
    expect(r.stderr.match(/may be unset/g)).toHaveLength(1);
    expect(r.stderr).toContain('V0  read by step 1');
  });

  it('read, mapfile, printf -v, getopts, exec {fd}>, coproc, namerefs, declarations, wait -p, ${X:=d}', {
    timeout: 60_000,
  }, async () => {
    const r = await runYes('forms.md');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('may be unset');
    expect(r.stdout).toContain('alpha beta gamma c two x 00042   x k ');
    expect(r.stdout).toContain('set-through-nameref picked one 1 2 3 4 10 6 b v\n');
    expect(r.stdout).toContain('worker got ping\n');
    expect(r.stdout).toContain('all set\n');
  });

  it('arithmetic, tests of set or empty, ${X+alt}, and a step that runs set +u', {
    timeout: 60_000,
  }, async () => {
    const r = await runYes('soft-reads.md');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ticks 1 total 5\n');
    expect(r.stdout).toContain('tests done\n');
    expect(r.stdout).toContain('relaxed: []\n');
    for (const name of ['NEVER_COUNTED', 'MAYBE_EMPTY', 'OPTIONAL_FLAG', 'DEBUG_MODE', 'NEVER_SET_ANYWHERE'])
      expect(r.stderr).toMatch(new RegExp(`^  ${name} +read by step`, 'm'));
  });

  it('a function defined in step 1 reads what step 2 sets, and step 3 calls it', {
    timeout: 60_000,
  }, async () => {
    const r = await runYes('functions.md');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('hello world from here\n');
    expect(r.stderr).not.toContain('may be unset');
  });

  it('source, the dot form and eval may set anything; later reads are warnings', {
    timeout: 60_000,
  }, async () => {
    const source = await runYes('source.md');
    expect(source.code, source.stderr).toBe(0);
    expect(source.stdout).toContain('later: loaded also\n');
    expect(source.stderr).toContain('NOT_IN_THE_FILE  read by step 3 later (step 2 load runs source');
    const dot = await runYes('dot.md');
    expect(dot.code, dot.stderr).toBe(0);
    expect(dot.stdout).toContain('dotted: yes\n');
    const evaled = await runYes('eval.md');
    expect(evaled.code, evaled.stderr).toBe(0);
    expect(evaled.stdout).toContain('agent at /tmp/agent.42\n');
  });

  it('valid bash the analysis parser cannot read runs, and may set anything', {
    timeout: 60_000,
  }, async () => {
    const r = await runYes('unparseable.md');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('key with a space: 1\n');
    expect(r.stderr).toContain('SET_OR_NOT  read by step 2 after (step 1 map cannot be read by the analysis');
  });
});

describe('certain needs are still refused', () => {
  it('exit 2 before anything runs, naming each variable and the step that reads it', {
    timeout: 60_000,
  }, async () => {
    const r = await runYes('certain.md');
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('setup ran');
    expect(r.stderr).toMatch(/3 variables are needed but never set/);
    expect(r.stderr).toMatch(/^ {2}CLUSTER_NAME +needed by step 2 deploy$/m);
    // Read in the body of a function step 3 defines, needed where step 4 calls it: said where it is read.
    expect(r.stderr).toMatch(
      /^ {2}WEBHOOK_ID +needed by step 4 notify \(read at line 13, through notify\)$/m,
    );
    expect(r.stderr).toMatch(/^ {2}REPORT_TO +needed by step 5 report$/m);
    expect(r.stderr).not.toMatch(/REGION/);
  });

  it('runs once they are given', { timeout: 60_000 }, async () => {
    const r = await runYes(
      'certain.md',
      '--set',
      'CLUSTER_NAME=c0',
      '--set',
      'WEBHOOK_ID=w1',
      '--set',
      'REPORT_TO=ops',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('deploying to eu in c0\nnotify w1\nreport for ops\n');
  });
});

describe('runbook check uses the same rule', () => {
  const check = (fixture: string) => runCli(['check', fixture], { cwd: scratch(`honest/${fixture}`) });

  it('certain needs are errors (exit 1)', { timeout: 60_000 }, async () => {
    const r = await check('certain.md');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/certain\.md:9: error: needs CLUSTER_NAME, .*\(deploy\)/);
    // Read in the body of a function an earlier step defined: at the line that calls it, naming the read.
    expect(r.stdout).toMatch(
      /certain\.md:17: error: needs WEBHOOK_ID \(read at line 13, through notify\), .*\(notify\)/,
    );
    expect(r.stdout).toMatch(/certain\.md:21: error: needs REPORT_TO, .*\(report\)/);
  });

  it('uncertain reads are warnings (exit 0)', { timeout: 60_000 }, async () => {
    const fixtures = [
      'venv.md',
      'counting.md',
      'soft-reads.md',
      'source.md',
      'eval.md',
      'forms.md',
      'functions.md',
    ];
    const results = await Promise.all(fixtures.map(check));
    for (const [i, r] of results.entries()) {
      const fixture = fixtures[i];
      expect(r.code, `${fixture}: ${r.stdout}`).toBe(0);
      expect(r.stdout, fixture).not.toContain(': error:');
    }
    const venv = await check('venv.md');
    expect(venv.stdout).toMatch(
      /venv\.md:12: warning: may read VIRTUAL_ENV unset \(step 1 make-venv runs source, so it may set it\) \(use-venv\)/,
    );
  });

  it('bash -n judges syntax: valid bash the analysis cannot read is a warning, not an error', {
    timeout: 60_000,
  }, async () => {
    const r = await check('unparseable.md');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).not.toContain('syntax');
    expect(r.stdout).toMatch(
      /unparseable\.md:4: warning: the variable analysis cannot read this step .*bash can/,
    );
  });
});
