// JavaScript steps end to end: the built CLI runs fixture runbooks mixing zx scripts and shell in real
// processes; plus the conversion rule between JS values and bash variables.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CarriedVar, Context } from '../../lib/core/types.ts';
import { makeVars, mergeJsResult, toCarried } from '../../lib/js/vars-object.ts';
import { alive, interruptAndExpectTreeGone, runCli, scratch, startCli, waitFor } from '../helpers/cli.ts';

const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');
const record = (dir: string, name: string) => JSON.parse(read(dir, `.runbook/${name}.state.json`));
const statuses = (dir: string, name: string) =>
  record(dir, name).steps.map((s: { status: string }) => s.status) as string[];

describe('JavaScript steps with --yes', () => {
  it('share one context with shell steps, both ways, as data', async () => {
    const dir = scratch('js/mixed.md');
    const r = await runCli(['--yes', 'mixed.md'], { cwd: dir });
    expect(r.stderr).toContain('all 4 steps done');
    expect(r.code).toBe(0);
    const work = path.join(dir, 'work');
    expect(read(work, 'js-env.txt')).toBe(
      `ip=172.18.0.9 region=eu-west count=2 pwd=${work}\nafter=172.18.0.10\n`,
    );
    expect(read(dir, 'shell-saw.txt')).toBe(
      [
        'GATEWAY_IP=172.18.0.10',
        'PORTS=15443 15021 (2)',
        'NETWORK=network2 ZONE=b c',
        'PORT_COUNT=2',
        'ZONES=unset',
        'PWD=deeper',
        'declare -x ',
        'declare -- ',
        '',
      ].join('\n'),
    );
    expect(read(dir, 'tricky-shell.txt')).toBe(
      'line one\nit\'s "quoted" $(touch pwned-js) `touch pwned-tick` \\ back\n\n',
    );
    expect(read(dir, 'round-trip.txt')).toBe('same\n');
    expect(read(dir, 'js-cwd.txt')).toBe('deeper deeper\n');
    expect(read(dir, 'js-env.txt')).toBe('eu-west not exported true\n');
    for (const f of ['pwned-js', 'pwned-tick', 'work/pwned-js', 'work/deeper/pwned-js']) {
      expect(existsSync(path.join(dir, f)), f).toBe(false);
    }
    const steps = record(dir, 'mixed').steps;
    expect(steps[1].setVars.sort()).toEqual(
      ['GATEWAY_IP', 'GATEWAY_PORTS', 'LABELS', 'PORT_COUNT', 'TRICKY', 'ZONES'].sort(),
    );
    expect(steps[1].setValues.GATEWAY_PORTS).toBe('([0]="15443" [1]="15021")');
  });

  it('knows what a JS step sets, so a later shell step needing it is not reported missing', async () => {
    const dir = scratch('js/mixed.md');
    const r = await runCli(['--dry-run', 'mixed.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr + r.stdout).not.toMatch(/needed but never set/);
    // The same check does fail when nothing sets the value.
    writeFileSync(
      path.join(dir, 'lacking.md'),
      '```js\nvars.A = 1;\n```\n\n```bash\necho "$A $NOBODY_SETS_THIS"\n```\n',
    );
    const lacking = await runCli(['--yes', 'lacking.md'], { cwd: dir });
    expect(lacking.code).toBe(2);
    expect(lacking.stderr).toMatch(/NOBODY_SETS_THIS +needed by step 2/);
    expect(lacking.stderr).not.toMatch(/\bA +needed/);
  });

  it('starts a step in a fresh Node when what Node reads at start-up changed', async () => {
    const dir = scratch('js/node-options.md');
    const r = await runCli(['--yes', 'node-options.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(read(dir, 'title.txt')).toBe('runbook-title-check\n');
  });

  it('gives a step every global zx/globals defines, loaded on first use', async () => {
    const dir = scratch('js/exit.md');
    const zx = Object.keys(await import('zx')).filter((n) => n !== 'default');
    const code = [
      `const names = ${JSON.stringify(zx)};`,
      'const missing = names.filter((n) => globalThis[n] === undefined || globalThis[n] === null);',
      "fs.writeFileSync('globals.txt', `${missing.join(' ') || 'none missing'} ${typeof fs.readJsonSync} ${YAML.parse('a: 1').a}\\n`);",
    ].join('\n');
    writeFileSync(path.join(dir, 'globals.md'), `\`\`\`js\n${code}\n\`\`\`\n`);
    const r = await runCli(['--yes', 'globals.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(zx.length).toBeGreaterThan(40);
    expect(read(dir, 'globals.txt')).toBe('none missing function 1\n');
  });

  it('fails a step that throws, with the message at its runbook line, and stops there', async () => {
    const dir = scratch('js/failures.md');
    const r = await runCli(['--yes', 'failures.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Step 2\/6 throws failed: exit code 1/);
    expect(r.stderr).toMatch(
      /│ Error: the gateway is not ready \(READY=yes\)\n.*│ +at check \(\S*failures\.md:9:\d+\)/,
    );
    expect(existsSync(path.join(dir, 'after.txt'))).toBe(false);
    expect(statuses(dir, 'failures')).toEqual(['done', 'failed', 'pending', 'pending', 'pending', 'pending']);
  });

  it('fails a step whose $ command fails, with that command’s exit code', async () => {
    const dir = scratch('js/failures.md');
    const r = await runCli(['--yes', '--only', 'setup,failed-command', 'failures.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed-command failed: exit code 4/);
    expect(r.stderr).toMatch(/│ it broke\n.*│ Command failed: exit code 4\n.*│ +at \S*failures\.md:15:\d+/);
    expect(record(dir, 'failures').steps[2].exitCode).toBe(4);
  });

  it('counts process.exit(n) as the step’s exit code without ending the runner', async () => {
    const dir = scratch('js/failures.md');
    const r = await runCli(['--yes', '--only', 'exits', 'failures.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('leaving early\n');
    expect(r.stderr).toMatch(/Step 4\/6 exits failed: exit code 3/);
    expect(r.stderr).toMatch(/run again with --resume/);
    const rec = record(dir, 'failures');
    expect(rec.steps[3]).toMatchObject({ status: 'failed', exitCode: 3 });
    // A failed step carries nothing.
    expect(rec.context.vars.HALF).toBeUndefined();
  });

  it('points a syntax error at the runbook line', async () => {
    const dir = scratch('js/failures.md');
    const r = await runCli(['--yes', '--only', 'syntax', 'failures.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/│ SyntaxError: .*\n.*│ +at \S*failures\.md:26:\d+/);
  });

  it('saves the variables when a step ends itself with process.exit(0)', async () => {
    const dir = scratch('js/exit.md');
    const r = await runCli(['--yes', 'exit.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(read(dir, 'exit.txt')).toBe('EARLY=saved LATE=unset\n');
  });

  it('resumes at a failed JS step with the context of the steps before it', async () => {
    const dir = scratch('js/failures.md');
    const first = await runCli(['--yes', 'failures.md'], { cwd: dir });
    expect(first.code).toBe(1);
    const fixed = read(dir, 'failures.md')
      .replace("if (ready === 'yes') throw", "if (ready !== 'yes') throw")
      .replace('exit 4`', 'exit 0`')
      .replace('process.exit(3)', 'process.exit(0)')
      .replace('let = = 2;', 'let two = 2;');
    writeFileSync(path.join(dir, 'failures.md'), fixed);
    const r = await runCli(['--yes', '--resume', 'failures.md'], { cwd: dir });
    expect(r.stderr).toContain('resuming at step 2');
    expect(r.code).toBe(0);
    expect(read(dir, 'after.txt')).toBe('after ran READY=yes\n');
    expect(record(dir, 'failures').context.vars.HALF).toEqual({ type: 'scalar', attrs: '', value: 'done' });
  });

  it('ends a step that outlives timeout=, with everything it started', async () => {
    const dir = scratch('js/timeout.md');
    const started = Date.now();
    const r = await runCli(['--yes', 'timeout.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(r.stderr).toMatch(/Step 1\/2 slow failed: timed out at timeout=1/);
    expect(existsSync(path.join(dir, 'never.txt'))).toBe(false);
    for (const f of ['node.pid', 'sleeper.pid']) expect(alive(Number(read(dir, f))), f).toBe(false);
    expect(statuses(dir, 'timeout')).toEqual(['failed', 'pending']);
  });

  it('ends the step’s whole tree on Ctrl-C, records it, and carries nothing from it', async () => {
    const dir = scratch('js/interrupt.md');
    const run = startCli(['--yes', 'interrupt.md'], { cwd: dir });
    await waitFor(() => existsSync(path.join(dir, 'sleeper.pid')) && read(dir, 'sleeper.pid').trim() !== '');
    const pids = ['node.pid', 'sleeper.pid'].map((f) => Number(read(dir, f)));
    await interruptAndExpectTreeGone(run, pids);
    expect(existsSync(path.join(dir, 'after.txt'))).toBe(false);
    expect(statuses(dir, 'interrupt')).toEqual(['interrupted', 'pending']);
    expect(record(dir, 'interrupt').context.vars.STARTED).toBeUndefined();
  });
});

describe('JS values as bash variables', () => {
  const ctx = (vars: Record<string, CarriedVar>, unset: string[] = []): Context => ({
    vars,
    unset,
    functions: 'f () \n{ \n    :\n}\n',
    cwd: '/start',
  });

  it('converts by the documented rule', () => {
    expect(toCarried('S', 'text')).toEqual({ type: 'scalar', value: 'text' });
    expect(toCarried('N', 42)).toEqual({ type: 'scalar', value: '42' });
    expect(toCarried('B', false)).toEqual({ type: 'scalar', value: 'false' });
    expect(toCarried('G', 10n ** 20n)).toEqual({ type: 'scalar', value: '100000000000000000000' });
    expect(toCarried('U', undefined)).toBeUndefined();
    expect(toCarried('Z', null)).toBeUndefined();
    const sparse: unknown[] = ['a'];
    sparse[5] = 7;
    sparse[6] = null;
    expect(toCarried('A', sparse)).toEqual({ type: 'indexed', value: { '0': 'a', '5': '7' } });
    expect(toCarried('O', { k: 'v', n: 1, nested: { x: [1, 2n] }, gone: undefined })).toEqual({
      type: 'assoc',
      value: { k: 'v', n: '1', nested: '{"x":[1,"2"]}' },
    });
    expect(toCarried('D', new Date(0))).toEqual({ type: 'scalar', value: String(new Date(0)) });
    expect(() => toCarried('F', () => 1)).toThrow(/vars.F is a function/);
    expect(() => toCarried('Y', [Symbol('s')])).toThrow(/vars.Y is a symbol/);
  });

  it('gives arrays and maps to JS as arrays and objects, reading the environment for the rest', () => {
    const changes: Array<[string, string | undefined]> = [];
    const { vars, collect } = makeVars(
      {
        S: { type: 'scalar', attrs: 'x', value: 'v' },
        L: { type: 'indexed', attrs: '', value: { '0': 'a', '3': 'd', '99999999999999999999': 'far' } },
        M: { type: 'assoc', attrs: '', value: { b: '1', '2': 'two' } },
        R: { type: 'scalar', attrs: 'n', value: 'S' },
      },
      { HOME: '/home/me' },
      (name, value) => changes.push([name, value]),
    );
    expect(vars.S).toBe('v');
    expect((vars.L as string[])[3]).toBe('d');
    expect((vars.L as string[]).length).toBe(4);
    expect(vars.M).toEqual({ b: '1', '2': 'two' });
    expect(vars.R).toBeUndefined();
    expect(vars.HOME).toBe('/home/me');
    expect('HOME' in vars).toBe(true);
    expect(Object.keys(vars).sort()).toEqual(['L', 'M', 'S']);
    vars.N = 5;
    vars.L = [...(vars.L as string[]), 'e'];
    delete vars.HOME;
    vars.S = null;
    expect(vars.HOME).toBeUndefined();
    expect(changes).toEqual([
      ['N', '5'],
      ['L', undefined],
      ['HOME', undefined],
      ['S', undefined],
    ]);
    const out = collect();
    expect(out.vars.N).toEqual({ type: 'scalar', value: '5' });
    expect(out.vars.M).toEqual({ type: 'assoc', value: { b: '1', '2': 'two' } });
    expect(out.deleted.sort()).toEqual(['HOME', 'S']);
  });

  it('keeps untouched variables exactly, attributes of changed ones, and exports env names', () => {
    const before = ctx(
      {
        KEEP: { type: 'assoc', attrs: '', value: { z: '1', '10': 'x' } },
        EXP: { type: 'scalar', attrs: 'x', value: 'old' },
        REF: { type: 'scalar', attrs: 'n', value: 'EXP' },
        GONE: { type: 'scalar', attrs: '', value: 'g' },
        PATH: { type: 'scalar', attrs: 'x', value: '/bin' },
      },
      ['LANG'],
    );
    const after = mergeJsResult(
      before,
      {
        vars: {
          // Same entries in another order: unchanged.
          KEEP: { type: 'assoc', value: { '10': 'x', z: '1' } },
          EXP: { type: 'indexed', value: { '0': 'new' } },
          FRESH: { type: 'scalar', value: 'f' },
          HOME: { type: 'scalar', value: '/elsewhere' },
          LANG: { type: 'scalar', value: 'C' },
        },
        deleted: ['USER'],
        cwd: '/moved',
      },
      { PATH: '/usr/bin', HOME: '/home/me', USER: 'me', LANG: 'en' },
    );
    expect(after.vars.KEEP).toBe(before.vars.KEEP);
    expect(after.vars.REF).toBe(before.vars.REF);
    expect(after.vars.EXP).toEqual({ type: 'indexed', attrs: 'x', value: { '0': 'new' } });
    expect(after.vars.FRESH).toEqual({ type: 'scalar', attrs: '', value: 'f' });
    expect(after.vars.HOME).toEqual({ type: 'scalar', attrs: 'x', value: '/elsewhere' });
    // LANG was unset by an earlier step: setting it again is a plain shell variable, as in bash.
    expect(after.vars.LANG).toEqual({ type: 'scalar', attrs: '', value: 'C' });
    expect(after.vars.GONE).toBeUndefined();
    expect(after.vars.PATH).toBeUndefined();
    expect(after.unset.sort()).toEqual(['PATH', 'USER']);
    expect(after.functions).toBe(before.functions);
    expect(after.cwd).toBe('/moved');
  });
});
