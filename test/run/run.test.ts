// End to end: the built CLI runs fixture runbooks with --yes in real bash.
import { execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  alive,
  BIN,
  interruptAndExpectTreeGone,
  runCli,
  scratch,
  startCli,
  waitFor,
  writeSteps,
} from '../helpers/cli.ts';
import { processesUsing } from '../helpers/sandbox.ts';

const execFileAsync = promisify(execFile);
const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');
const record = (dir: string, name: string) => JSON.parse(read(dir, `.runbook/${name}.state.json`));

describe('runbook --yes', () => {
  it('carries every kind of shell state between steps, as data', async () => {
    const dir = scratch('run/context.md');
    const r = await runCli(['--yes', 'context.md'], { cwd: dir });
    expect(r.stderr).toContain('all 3 steps done');
    expect(r.code).toBe(0);
    const seen = read(dir, 'seen.txt');
    expect(seen).toContain('PLAIN=hello\n');
    expect(seen).toContain('SPACED=two  words\n');
    expect(seen).toContain('MULTI=line one\nline two\n');
    expect(seen).toContain('QUOTES=it\'s "quoted"\n');
    expect(seen).toContain('SUBST=$(touch pwned-subst) and `touch pwned-backtick`\n');
    expect(seen).toContain('UNICODE=ünïcødé ☃\n');
    expect(seen).toContain('EMPTY=[] set=yes\n');
    expect(seen).toContain('LIST=3|two three|$(touch pwned-array)\n');
    expect(seen).toContain('MAP=value|v w\n');
    expect(seen).toContain('EXPORTED_ENV=yes\n');
    expect(seen).toContain('PLAIN_ENV=none\n');
    expect(seen).toContain('IP=172.18.0.2\n');
    expect(seen).toContain('PWD=sub\n');
    expect(seen).toContain('hello from step2\n');
    expect(seen).toContain('LOCKED=second counter=2 PLAIN=unset\n');
    for (const f of ['pwned-subst', 'pwned-backtick', 'pwned-array', 'sub/pwned-subst']) {
      expect(existsSync(path.join(dir, f)), f).toBe(false);
    }
  });

  it('prints a header before each step and its status after', async () => {
    const dir = scratch('run/select.md');
    const r = await runCli(['--yes', 'select.md'], { cwd: dir });
    expect(r.stderr).toMatch(/▶ Step 1\/4 · first\n[\s\S]*✔ first done in \d/);
    expect(r.stderr).toMatch(/▶ Step 4\/4 · fourth/);
  });

  it('stops at a failing step with its exit code and last lines, and runs nothing after', async () => {
    const dir = scratch('run/fail.md');
    const r = await runCli(['--yes', 'fail.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Step 2\/3 fail-stop-2 failed: exit code 3/);
    // Both streams' last lines; their order is the order the runner read two pipes in, which for lines
    // written a moment apart is not always the order they were written in.
    expect(r.stderr).toMatch(/Last lines of its output:\n(.*│ (about to fail|to stderr)\n){2}/);
    expect(r.stderr).toContain('│ about to fail\n');
    expect(r.stderr).toContain('│ to stderr\n');
    expect(existsSync(path.join(dir, 'one.txt'))).toBe(true);
    expect(existsSync(path.join(dir, 'three.txt'))).toBe(false);
    const rec = record(dir, 'fail');
    expect(rec.steps.map((s: { status: string }) => s.status)).toEqual(['done', 'failed', 'pending']);
    expect(rec.steps[1].exitCode).toBe(3);
  });

  it('keeps the record private and resumes with the context restored', async () => {
    const dir = scratch('run/resume.md');
    const first = await runCli(['--yes', 'resume.md'], { cwd: dir });
    expect(first.code).toBe(1);
    expect(statSync(path.join(dir, '.runbook/resume.state.json')).mode & 0o777).toBe(0o600);
    writeFileSync(path.join(dir, 'ready.flag'), '');
    const second = await runCli(['--yes', '--resume', 'resume.md'], { cwd: dir });
    expect(second.stderr).toContain('resuming at step 2');
    expect(second.code).toBe(0);
    expect(read(dir, 'runs.log')).toBe('ran-1\nran-2\nran-2\nran-3\n');
    expect(read(dir, 'result.txt')).toBe('value from step 1 42\n');
  });

  it('never writes a secret to the record; --resume makes it again with the step that made it, or takes it given', {
    timeout: 60_000,
  }, async () => {
    const prepare = async () => {
      const dir = scratch('run/resume.md');
      const file = path.join(dir, 'resume.md');
      writeFileSync(file, read(dir, 'resume.md').replace('count=41', 'count=41\nAPI_TOKEN=s3cr3t-value'));
      writeFileSync(
        file,
        read(dir, 'resume.md').replace('echo "$CAPTURED $count"', 'echo "$CAPTURED $count $API_TOKEN"'),
      );
      await runCli(['--yes', 'resume.md'], { cwd: dir });
      expect(read(dir, '.runbook/resume.state.json')).not.toContain('s3cr3t-value');
      writeFileSync(path.join(dir, 'ready.flag'), '');
      return dir;
    };
    const remade = await prepare();
    const r = await runCli(['--yes', '--resume', 'resume.md'], { cwd: remade });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/API_TOKEN was not saved with the run .*step 1 capture runs again first/);
    // Only the withheld value is taken from the step run again: count is still the record's.
    expect(read(remade, 'result.txt')).toBe('value from step 1 42 s3cr3t-value\n');
    expect(read(remade, 'runs.log')).toBe('ran-1\nran-2\nran-1\nran-2\nran-3\n');

    const given = await prepare();
    const g = await runCli(['--yes', '--resume', '--set', 'API_TOKEN=again', 'resume.md'], { cwd: given });
    expect(g.code, g.stderr).toBe(0);
    expect(read(given, 'result.txt')).toBe('value from step 1 42 again\n');
    expect(read(given, 'runs.log')).toBe('ran-1\nran-2\nran-2\nran-3\n');
  });

  it('says a done step is stale when its code changed before --resume', async () => {
    const dir = scratch('run/resume.md');
    await runCli(['--yes', 'resume.md'], { cwd: dir });
    const file = path.join(dir, 'resume.md');
    writeFileSync(file, read(dir, 'resume.md').replace('count=41', 'count=40'));
    writeFileSync(path.join(dir, 'ready.flag'), '');
    const r = await runCli(['--yes', '--resume', 'resume.md'], { cwd: dir });
    expect(r.stderr).toMatch(/step 1 capture changed since it ran \(stale\)/);
    expect(r.code).toBe(0);
  });

  // Four runs one after the other: time for them when other tests share the cores.
  it(
    'selects steps with --from, --to and --only, by number or name',
    { timeout: 30_000 },
    async () => {
      const cases: Array<[string[], string, RegExp]> = [
        [['--from', '3'], 'third\nfourth\n', /passing over steps 1 first, 2 second/],
        [['--to', 'second'], 'first\nsecond\n', /all 2 steps done/],
        [['--from', 'second', '--to', '3'], 'second\nthird\n', /passing over step 1 first\n/],
        [['--only', 'fourth,2'], 'second\nfourth\n', /passing over steps 1 first, 3 third/],
      ];
      for (const [args, order, note] of cases) {
        const dir = scratch('run/select.md');
        const r = await runCli(['--yes', ...args, 'select.md'], { cwd: dir });
        expect(r.code, args.join(' ')).toBe(0);
        expect(read(dir, 'order.log')).toBe(order);
        expect(r.stderr).toMatch(note);
      }
      // Four runs, one after another: time for them when other tests share the cores.
    },
    30_000,
  );

  it('rejects an unknown step reference', async () => {
    const dir = scratch('run/select.md');
    const r = await runCli(['--yes', '--from', 'nope', 'select.md'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--from "nope": no such step/);
  });

  it('seeds the context with --set, as data', async () => {
    const dir = scratch('run/select.md');
    writeFileSync(path.join(dir, 'seed.md'), '```bash\necho "[$GREETING]" > seed.txt\n```\n');
    const r = await runCli(['--yes', '--set', 'GREETING=$(touch pwned) hi', 'seed.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(read(dir, 'seed.txt')).toBe('[$(touch pwned) hi]\n');
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
  });

  it('survives a step that kills its own shell, and carries on from the last good state', async () => {
    const dir = scratch('run/select.md');
    const md =
      '```bash\nKEEP=kept\n```\n\n```bash\nkill -KILL $$\n```\n\n```bash {continue-on-error}\necho never\n```\n';
    writeFileSync(path.join(dir, 'killer.md'), md);
    const r = await runCli(['--yes', 'killer.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the step's shell ended unexpectedly/);
    writeFileSync(path.join(dir, 'killer.md'), md.replace('kill -KILL $$', 'echo "KEEP=$KEEP"'));
    const again = await runCli(['--yes', '--resume', 'killer.md'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('KEEP=kept\n');
  });

  it("fails the step, not the run's shell, when the directory it would start in is gone", async () => {
    const dir = scratch('run/select.md');
    writeSteps(dir, 'gone.md', [
      'mkdir -p gone && cd gone\nKEEP=kept',
      'rmdir "$PWD"',
      'echo "KEEP=$KEEP in ${PWD##*/}"',
    ]);
    const r = await runCli(['--yes', 'gone.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Step 3\/3 \S+ failed: exit code 1/);
    expect(r.stderr).toContain(`runbook: cannot start in ${path.join(dir, 'gone')}`);
    expect(r.stderr).not.toMatch(/ended unexpectedly/);
    mkdirSync(path.join(dir, 'gone'));
    const again = await runCli(['--yes', '--resume', 'gone.md'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('KEEP=kept in gone\n');
  });

  it("keeps each step's output between its header and its status line, on one terminal", async () => {
    const dir = scratch('run/select.md');
    writeSteps(
      dir,
      'order.md',
      [1, 2, 3, 4].map((n) => `echo "out ${n}"\necho "err ${n}" >&2`),
    );
    // Both streams into one pipe, as a terminal shows them.
    const { stdout } = await execFileAsync('bash', ['-c', `exec node "$BIN" --yes order.md 2>&1`], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', BIN },
    });
    const lines = stdout.trim().split('\n');
    const expected = [1, 2, 3, 4].flatMap((n) => [
      expect.stringMatching(new RegExp(`^▶ Step ${n}/4 · `)),
      expect.stringMatching(/^(out|err) \d$/),
      expect.stringMatching(/^(out|err) \d$/),
      expect.stringMatching(/ done in /),
    ]);
    expect(lines).toEqual([...expected, 'runbook: all 4 steps done']);
    for (const n of [1, 2, 3, 4]) {
      const at = lines.findIndex((l) => l.startsWith(`▶ Step ${n}/`));
      expect(lines.slice(at + 1, at + 3).sort()).toEqual([`err ${n}`, `out ${n}`]);
    }
  });

  it('ends each step cleanly whatever it does with its own output streams', async () => {
    const dir = scratch('run/select.md');
    writeSteps(dir, 'streams.md', [
      'exec >&- 2>&-\nCLOSED=yes',
      'exec > out.txt\necho "to the file"\nREDIRECTED=yes',
      // The run's markers are not the step's to write: it does not know their nonce.
      'echo "nonce=[${__RB_NONCE-}]"\nprintf \'\\0RBSYNC\\0 looks like a marker\\n\'',
      'echo "CLOSED=$CLOSED REDIRECTED=$REDIRECTED"',
    ]);
    const r = await runCli(['--yes', 'streams.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('nonce=[]\n\0RBSYNC\0 looks like a marker\nCLOSED=yes REDIRECTED=yes\n');
    expect(read(dir, 'out.txt')).toBe('to the file\n');
  });

  it('leaves no shell behind: neither the step server nor the subshell it readied', async () => {
    const dir = scratch('run/select.md');
    writeSteps(dir, 'where.md', ['echo "$__RB_DIR"', 'true']);
    const r = await runCli(['--yes', 'where.md'], { cwd: dir });
    expect(r.code).toBe(0);
    const session = r.stdout.trim();
    expect(session).toMatch(/runbook-/);
    await waitFor(() => processesUsing(session).length === 0, 5000, `no process using ${session}`);
    expect(existsSync(session)).toBe(false);
  });

  it('ends the step shell it started early when the run stops before any step', async () => {
    const dir = scratch('run/select.md');
    const runtime = path.join(dir, 'runtime');
    mkdirSync(runtime);
    writeSteps(dir, 'needs.md', ['echo "$NOT_GIVEN"']);
    const r = await runCli(['--yes', 'needs.md'], { cwd: dir, env: { XDG_RUNTIME_DIR: runtime } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/NOT_GIVEN/);
    await waitFor(() => processesUsing(runtime).length === 0, 5000, `no process using ${runtime}`);
    expect(readdirSync(runtime)).toEqual([]);
  });

  it('is not fooled by steps that define functions named like shell builtins', async () => {
    const dir = scratch('run/select.md');
    const md = [
      '```bash\ncd() { echo "my cd"; builtin cd "$@"; }\nprintf() { echo "my printf"; }\ndeclare() { echo "my declare"; }\nread() { :; }\nV=1\n```',
      '```bash\nmkdir -p sub && cd sub\nV=$((V + 1))\n```',
      '```bash\necho "V=$V in $(basename "$PWD")"\n```',
    ].join('\n\n');
    writeFileSync(path.join(dir, 'builtins.md'), md);
    const r = await runCli(['--yes', 'builtins.md'], { cwd: dir });
    expect(r.stderr).toContain('all 3 steps done');
    expect(r.stdout).toContain('V=2 in sub\n');
  });

  it('warns when a step replaced the EXIT trap the capture relies on', async () => {
    const dir = scratch('run/trap.md');
    const r = await runCli(['--yes', 'trap.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: trap: .*replaced the EXIT trap.*could not be carried/);
    expect(read(dir, 'trap.txt')).toBe('KEPT=unset LOST=unset\n');
  });

  it("keeps a step's set -x away from the runner's own bookkeeping", async () => {
    const dir = scratch('run/select.md');
    writeFileSync(
      path.join(dir, 'trace.md'),
      '```bash\nset -x\nTRACED=1\n```\n\n```bash\necho "$TRACED"\n```\n',
    );
    const r = await runCli(['--yes', 'trace.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('+ TRACED=1');
    expect(r.stderr).not.toMatch(/__rb_|__RB_/);
    expect(r.stdout).toBe('1\n');
  });

  it('starts steps in front matter cwd, relative to the runbook', async () => {
    const dir = scratch('run/cwd.md');
    const missing = await runCli(['--yes', 'cwd.md'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/front matter cwd .*work does not exist/);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'work'));
    const r = await runCli(['--yes', path.join(dir, 'cwd.md')], { cwd: '/' });
    expect(r.code).toBe(0);
    expect(read(dir, 'work/here.txt').trim()).toBe(path.join(dir, 'work'));
  });

  it('front matter shell: replaces the interpreter line', async () => {
    const dir = scratch('run/select.md');
    const strict =
      '---\nshell: bash --noprofile --norc -e -u -o pipefail {0}\n---\n\n```bash\narr=()\necho "${arr[5]}"\n```\n';
    writeFileSync(path.join(dir, 'strict.md'), strict);
    const r = await runCli(['--yes', 'strict.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/arr\[5\]: unbound variable/);
    writeFileSync(path.join(dir, 'posix.md'), '---\nshell: sh {0}\n---\n\n```bash\ntrue\n```\n');
    const sh = await runCli(['--yes', 'posix.md'], { cwd: dir });
    expect(sh.code).toBe(2);
    expect(sh.stderr).toBe(
      'runbook: front matter shell: sh {0} does not run bash; steps need bash 4.4 or newer\n',
    );
  });

  it('ends the whole process tree on SIGINT, records it, and resumes at that step', async () => {
    const dir = scratch('run/interrupt.md');
    const run = startCli(['--yes', 'interrupt.md'], { cwd: dir });
    await waitFor(
      () => existsSync(path.join(dir, 'started.txt')) && existsSync(path.join(dir, 'grandchild.pid')),
    );
    const pids = ['bg.pid', 'child.pid', 'grandchild.pid'].map((f) => Number(read(dir, f)));
    await interruptAndExpectTreeGone(run, pids);
    expect(existsSync(path.join(dir, 'after.txt'))).toBe(false);
    expect(record(dir, 'interrupt').steps.map((s: { status: string }) => s.status)).toEqual([
      'done',
      'interrupted',
      'pending',
    ]);
    writeFileSync(
      path.join(dir, 'interrupt.md'),
      read(dir, 'interrupt.md').replace('wait\n```', 'true\n```'),
    );
    const again = await runCli(['--yes', '--resume', 'interrupt.md'], { cwd: dir });
    expect(again.stderr).toContain('resuming at step 2');
    expect(again.code).toBe(0);
    expect(existsSync(path.join(dir, 'after.txt'))).toBe(true);
  }, 20_000);

  it('refuses a second run of the same runbook while one is in progress, and frees the lock after', async () => {
    const dir = scratch('run/interrupt.md');
    const first = startCli(['--yes', 'interrupt.md'], { cwd: dir });
    await waitFor(() => existsSync(path.join(dir, 'started.txt')));
    const second = await runCli(['--yes', 'interrupt.md'], { cwd: dir });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/another run of this runbook \(pid \d+, runbook --yes\) is in progress/);
    first.child.kill('SIGINT');
    expect((await first.done).code).toBe(130);
    expect(existsSync(path.join(dir, '.runbook/interrupt.lock'))).toBe(false);
  }, 20_000);

  it('takes over a lock whose pid now belongs to a process that started after it was written', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'ok.md'), '```bash\necho ran\n```\n');
    mkdirSync(path.join(dir, '.runbook'));
    const lock = path.join(dir, '.runbook/ok.lock');
    // A live process that is not the run that wrote the lock: its pid used again (a reboot, a container).
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(lock, `${other.pid} run:0123456789abcdef runbook --yes`);
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(lock, hourAgo, hourAgo);
      const r = await runCli(['--yes', 'ok.md'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('ran\n');
      expect(alive(other.pid as number)).toBe(true);
    } finally {
      other.kill();
    }
  });

  it('ends the step on SIGTERM too', async () => {
    const dir = scratch('run/interrupt.md');
    const run = startCli(['--yes', 'interrupt.md'], { cwd: dir });
    await waitFor(() => existsSync(path.join(dir, 'grandchild.pid')));
    const grandchild = Number(read(dir, 'grandchild.pid'));
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(alive(grandchild)).toBe(false);
  });

  it('streams a large output without holding it, keeping only a tail', async () => {
    const dir = scratch('run/select.md');
    writeFileSync(
      path.join(dir, 'flood.md'),
      '```bash\nhead -c 15000000 /dev/zero | base64\necho END\nexit 4\n```\n',
    );
    const r = await runCli(['--yes', 'flood.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBeGreaterThanOrEqual(20_000_000);
    expect(r.stderr).toMatch(/│ END\n/);
    expect(record(dir, 'flood').steps[0].tail.length).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('bad input', () => {
  it('refuses to prompt without a terminal', async () => {
    const dir = scratch('run/select.md');
    const r = await runCli(['select.md'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^runbook: stdin is not a terminal: pass --yes/);
    expect(existsSync(path.join(dir, 'order.log'))).toBe(false);
  });

  it.each([
    [['--bogus'], /unknown option '--bogus'/],
    [['--yes', 'missing.md'], /cannot read runbook .*missing.md: no such file/],
    [['--yes', '--resume', 'select.md'], /no earlier run of .* to resume/],
    [['--json'], /--json goes with --list/],
    [['--yes', '--set', 'not a pair', 'select.md'], /--set takes NAME=VALUE/],
  ])('%j is a one-line usage error with exit 2', async (args, message) => {
    const dir = scratch('run/select.md');
    const r = await runCli(args, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    ['not json', /is corrupt/],
    ['{"format":"something-else"}', /is not a run record of this version/],
    ['{"format":"runbook-state/1","runbook":"/elsewhere.md"}', /belongs to \/elsewhere.md/],
  ])('a corrupt or foreign record (%s) is a clear error suggesting a fresh run', async (content, message) => {
    const dir = scratch('run/select.md');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, '.runbook'));
    writeFileSync(path.join(dir, '.runbook/select.state.json'), content);
    const r = await runCli(['--yes', '--resume', 'select.md'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/run without --resume/);
  });
});
