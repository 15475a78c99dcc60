// The faults a real run meets at the shell and process level, end to end: the built CLI in real bash,
// each run in its own scratch place ($XDG_RUNTIME_DIR, $TMPDIR) so that what it leaves can be seen. Every
// test asserts the exit code, the runner's one-line message, that no process of the run is left (the
// step tree: the pids the steps wrote, and every process that carries the run's scratch place in its
// environment), that no scratch file is left, and what --resume does with the record.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, BIN, type CliResult, runCli, scratch, startCli, waitFor } from '../helpers/cli.ts';

interface Box {
  dir: string;
  runtime: string;
  env: Record<string, string>;
}

/** A copy of the fixtures in a directory of its own, with a scratch place of its own. */
function box(...fixtures: string[]): Box {
  const dir = scratch(...fixtures.map((f) => `faults/${f}`));
  const runtime = mkdtempSync(path.join(tmpdir(), 'runbook-faults-rt-'));
  const tmp = path.join(runtime, 'tmp');
  mkdirSync(tmp);
  return { dir, runtime, env: { XDG_RUNTIME_DIR: runtime, TMPDIR: tmp } };
}

const read = (b: Box, f: string) => readFileSync(path.join(b.dir, f), 'utf8');
const pid = (b: Box, f: string) => Number(read(b, f).trim());
const record = (b: Box, name: string) => JSON.parse(read(b, `.runbook/${name}.state.json`));
const statuses = (b: Box, name: string) => record(b, name).steps.map((s: { status: string }) => s.status);
const run = (b: Box, args: string[]) => runCli(args, { cwd: b.dir, env: b.env });
/** The runner's own lines. */
const said = (r: CliResult) => r.stderr.split('\n').filter((l) => l.startsWith('runbook:'));

/** Processes whose environment names the box's scratch place: every process of its runs but a few that cleared it. */
function processesOf(b: Box): number[] {
  const mark = `\0XDG_RUNTIME_DIR=${b.runtime}\0`;
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((p) => {
      try {
        return `\0${readFileSync(`/proc/${p}/environ`, 'utf8')}`.includes(mark) && alive(p);
      } catch {
        return false;
      }
    });
}

/** Nothing of the box's runs is left: no process (the given pids, and any carrying its place), no file. */
async function expectNothingLeft(b: Box, pids: number[] = []): Promise<void> {
  for (const p of pids) await waitFor(() => !alive(p), 5000, `pid ${p} to end`);
  await waitFor(() => processesOf(b).length === 0, 5000, 'no process of the run');
  const files = readdirSync(b.runtime).filter((f) => f !== 'tmp');
  expect(files, `left in ${b.runtime}`).toEqual([]);
  expect(readdirSync(path.join(b.runtime, 'tmp')), 'left in TMPDIR').toEqual([]);
}

describe('what a step leaves running', { timeout: 60_000 }, () => {
  it('does not keep the runner waiting: what left the step lives for later steps, then the run ends it, saying so', async () => {
    const b = box('daemons.md');
    // Output to pipes, not a terminal: a daemon holding them used to keep the runner waiting for ever.
    const r = await run(b, ['--yes', 'daemons.md']);
    expect(r.code).toBe(0);
    expect(read(b, 'used.txt')).toBe('the daemons are there\n');
    const escaped = ['setsid.pid', 'fork.pid', 'bare.pid'].map((f) => pid(b, f));
    const ended = said(r).filter((l) => l.includes('which a step left running'));
    expect(ended.sort()).toEqual(
      [
        `runbook: ended pid ${escaped[0]} (sleep 1001), which a step left running`,
        `runbook: ended pid ${escaped[1]} (sleep 1002), which a step left running`,
        `runbook: ended pid ${escaped[2]} (sleep 1003), which a step left running`,
      ].sort(),
    );
    // Background jobs that stayed in the step's group ended with their step, unannounced.
    const jobs = ['nohup.pid', 'disown.pid', 'double.pid'].map((f) => pid(b, f));
    await expectNothingLeft(b, [...escaped, ...jobs]);
    expect(statuses(b, 'daemons').every((s: string) => s === 'done')).toBe(true);
    const again = await run(b, ['--yes', '--resume', 'daemons.md']);
    expect(again.code).toBe(0);
    expect(said(again)).toEqual([
      `runbook: every step of ${path.join(b.dir, 'daemons.md')} is already done; nothing to resume`,
    ]);
  });
});

/**
 * Step 2 of killed.md has started all it starts (each pid written), and the record says step 1 is done (a runner killed
 * within the moment a save waits for may lose it, and --resume then runs step 1 again, as README says).
 */
const started = (b: Box) => {
  // Each pid file whole: `echo $! > f` makes the file before it writes the pid.
  const written = (f: string) => existsSync(path.join(b.dir, f)) && /^\d+\n$/.test(read(b, f));
  if (!['stubborn.pid', 'daemon.pid', 'sleep.pid'].every(written)) return false;
  try {
    return statuses(b, 'killed')[0] === 'done';
  } catch {
    return false;
  }
};

describe('a runner killed outright', { timeout: 60_000 }, () => {
  it('has its step server end the running step whole and remove the scratch directory; --resume runs the step once', async () => {
    const b = box('killed.md');
    const cli = startCli(['--yes', 'killed.md'], { cwd: b.dir, env: b.env });
    await waitFor(() => started(b), 10_000, 'step 2 to start');
    const pids = ['stubborn.pid', 'daemon.pid', 'sleep.pid'].map((f) => pid(b, f));
    writeFileSync(path.join(b.dir, 'quick'), '');
    cli.child.kill('SIGKILL');
    expect((await cli.done).signal).toBe('SIGKILL');
    // Resumed at once: the earlier copy of step 2 must not run beside the new one.
    const again = await run(b, ['--yes', '--resume', 'killed.md']);
    expect(again.code).toBe(0);
    expect(said(again)).toContain('runbook: resuming at step 2 (1 done)');
    expect(read(b, 'log.txt')).toBe('first\nlong\nlong\nlast\n');
    await expectNothingLeft(b, pids);
  });

  it('when its step server was killed too, the next run ends what it left before any step starts', async () => {
    const b = box('killed.md');
    const cli = startCli(['--yes', 'killed.md'], { cwd: b.dir, env: b.env });
    await waitFor(() => started(b), 10_000, 'step 2 to start');
    const pids = ['stubborn.pid', 'daemon.pid', 'sleep.pid'].map((f) => pid(b, f));
    // The runner and the step server with its watch, as an OOM killer or `kill -9` of a session might.
    // Not the step's own: `sleep 300 &` is a fork of the server's subshell until it execs.
    const server = processesOf(b).filter((p) => {
      try {
        return !pids.includes(Number(p)) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('server.sh');
      } catch {
        return false;
      }
    });
    writeFileSync(path.join(b.dir, 'quick'), '');
    // All at once, as one `kill -9` of them. The runner and the server's own processes are stopped first,
    // so that none sees another go (the server's watch ends the run's processes when the runner dies; the
    // runner ends the step's group when the server dies). The step's subshell is not stopped: a stopped
    // member of a group orphaned by the server's death would bring the kernel's SIGHUP to all of it.
    const groupOf = (p: number) =>
      Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ')[2]);
    const stepGroup = groupOf(pids[2] as number);
    const inStep = server.filter((p) => {
      try {
        return groupOf(p) === stepGroup;
      } catch {
        return false;
      }
    });
    const others = [cli.child.pid as number, ...server.filter((p) => !inStep.includes(p))];
    const send = (list: number[], signal: NodeJS.Signals) => {
      for (const p of list) {
        try {
          process.kill(p, signal);
        } catch {
          // A subshell of the server that ended meanwhile.
        }
      }
    };
    send(others, 'SIGSTOP');
    send(inStep, 'SIGKILL');
    send(others, 'SIGKILL');
    await cli.done;
    expect(pids.every(alive)).toBe(true);
    // Nothing was left to remove the scratch directory: the next run's sweep does (run/leftovers.ts).
    expect(readdirSync(b.runtime).filter((f) => f !== 'tmp')).toEqual([expect.stringMatching(/^runbook-/)]);
    const again = await run(b, ['--yes', '--resume', 'killed.md']);
    expect(again.code).toBe(0);
    const earlier = said(again).filter((l) => l.includes('left running by an earlier run'));
    expect(earlier.length).toBeGreaterThanOrEqual(3);
    for (const p of pids) expect(earlier.some((l) => l.startsWith(`runbook: ended pid ${p} `))).toBe(true);
    expect(read(b, 'log.txt')).toBe('first\nlong\nlong\nlast\n');
    await expectNothingLeft(b, pids);
  });
});

describe('a signal that ends the runner', { timeout: 60_000 }, () => {
  for (const signal of ['SIGQUIT', 'SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} ends the step tree, writes the record and exits 130; --resume continues there`, async () => {
      const b = box('killed.md');
      const cli = startCli(['--yes', 'killed.md'], { cwd: b.dir, env: b.env });
      await waitFor(() => started(b), 10_000, 'step 2 to start');
      const pids = ['stubborn.pid', 'sleep.pid'].map((f) => pid(b, f));
      writeFileSync(path.join(b.dir, 'quick'), '');
      cli.child.kill(signal);
      const r = await cli.done;
      expect(r.code).toBe(130);
      expect(said(r)).toEqual([
        `runbook: ${signal} received, ending the running step`,
        'runbook: stopped at step 2 long; run again with --resume',
        `runbook: ended pid ${pid(b, 'daemon.pid')} (sleep 302), which a step left running`,
      ]);
      await expectNothingLeft(b, [...pids, pid(b, 'daemon.pid')]);
      expect(statuses(b, 'killed')).toEqual(['done', 'interrupted', 'pending']);
      const again = await run(b, ['--yes', '--resume', 'killed.md']);
      expect(again.code).toBe(0);
      expect(read(b, 'log.txt')).toBe('first\nlong\nlong\nlast\n');
    });
  }
});

describe('umask', { timeout: 60_000 }, () => {
  it('carries from step to step like the directory, through JavaScript steps and --resume', async () => {
    const b = box('umask.md');
    const r = await run(b, ['--yes', '--to', 'from-js', 'umask.md']);
    expect(r.code).toBe(0);
    expect(read(b, 'mode-1.txt')).toBe('600\n');
    expect(read(b, 'mode-js.txt')).toBe('600');
    expect(record(b, 'umask').context.umask).toBe('0027');
    const again = await run(b, ['--yes', '--resume', 'umask.md']);
    expect(again.code).toBe(0);
    expect(read(b, 'umask.txt')).toBe('0027\n');
    await expectNothingLeft(b);
  });
});

describe("bash's own messages", { timeout: 60_000 }, () => {
  it('name the runbook and its line, not the temporary script; $0 and $LINENO are the runbook and its lines', async () => {
    const b = box('errors.md');
    const file = path.join(b.dir, 'errors.md');
    const r = await run(b, ['--yes', 'errors.md']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:15: Some_command_that_does_not_exist: command not found\n`);
    expect(r.stderr).not.toContain(b.runtime);
    const [zero, line, dir, source] = read(b, 'where.txt').split('\n');
    expect([zero, line, dir]).toEqual([`dollar zero: ${file}`, 'line: 7', `dir: ${b.dir}`]);
    // The known limitation (README): bash takes BASH_SOURCE from the file it reads, the step's script.
    expect(source).toMatch(
      new RegExp(`^source: ${b.runtime}/runbook-[0-9a-f]{16}-p\\d+-\\w+/step/where\\.sh$`),
    );
    await expectNothingLeft(b);
    // The record resumes at the failed step, and says the same again.
    const again = await run(b, ['--yes', '--resume', 'errors.md']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${file}:15: Some_command_that_does_not_exist: command not found\n`);
  });

  it("are the step's lines only under a shell line with -x", async () => {
    const b = box('traced.md');
    const r = await run(b, ['--yes', 'traced.md']);
    expect(r.code).toBe(0);
    const traces = r.stderr.split('\n').filter((l) => l.startsWith('+'));
    expect(traces.map((l) => l.replace(/^\++ /, ''))).toEqual([
      'GREETING=hello',
      'echo hello',
      "echo 'hello again'",
    ]);
    expect(r.stderr).not.toContain('__rb');
    await expectNothingLeft(b);
  });
});

describe('the status line', { timeout: 60_000 }, () => {
  it('starts on a line of its own after output without a final newline', async () => {
    const b = box('no-newline.md');
    // Both streams to one pipe, as in a CI log.
    const out = execFileSync('bash', ['-c', `"${process.execPath}" "${BIN}" --yes no-newline.md 2>&1`], {
      cwd: b.dir,
      env: { ...process.env, ...b.env, NO_COLOR: '1' },
    }).toString();
    expect(out).toContain('no newline at end\n✔ out done');
    expect(out).toContain('nor here\n✔ err done');
    // Apart, the step's stdout is left as it printed it.
    const r = await run(b, ['--yes', 'no-newline.md']);
    expect(r.stdout).toBe('no newline at end');
    expect(r.stderr).toContain('nor here\n✔ err done');
    await expectNothingLeft(b);
  });
});

describe('a front matter shell: that cannot run the steps', { timeout: 60_000 }, () => {
  const cases: Array<[string, (b: Box) => string]> = [
    [
      'no-shell.md',
      () =>
        'runbook: front matter shell: no-such-shell-here {0}: no-such-shell-here is not installed (not found on PATH); steps need bash 4.4 or newer',
    ],
    [
      'python-shell.md',
      () => 'runbook: front matter shell: python3 {0} does not run bash; steps need bash 4.4 or newer',
    ],
    [
      'old-bash.md',
      (b) =>
        `runbook: front matter shell: ./old-bash/bash {0} runs bash 4.3.48(1)-release (${path.join(b.dir, 'old-bash/bash')}); steps need bash 4.4 or newer`,
    ],
  ];
  for (const [fixture, message] of cases) {
    it(`${fixture}: refused before step 1 with exit 2 and what was found; runbook check says the same`, async () => {
      const b = box(fixture, 'old-bash');
      const r = await run(b, ['--yes', fixture]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`${message(b)}\n`);
      expect(existsSync(path.join(b.dir, 'ran.txt'))).toBe(false);
      await expectNothingLeft(b);
      // Nothing ran, so there is no run to resume.
      const name = fixture.replace('.md', '');
      expect(existsSync(path.join(b.dir, `.runbook/${name}.state.json`))).toBe(false);
      const resumed = await run(b, ['--yes', '--resume', fixture]);
      expect(resumed.stderr).toBe(
        `runbook: no earlier run of ${path.join(b.dir, fixture)} to resume; run without --resume\n`,
      );
      const check = await run(b, ['check', fixture]);
      expect(check.code).toBe(1);
      expect(check.stdout).toBe(`${fixture}:2: error: ${message(b).slice('runbook: '.length)}\n`);
    });
  }
});

describe('early exits', { timeout: 60_000 }, () => {
  it("never show the step shell's own errors, however early the run stops", async () => {
    const b = box();
    // A refusal after the step shell began to start (it starts while the runner checks), many times over.
    const names = Array.from({ length: 12 }, (_, i) => `needs-${i}.md`);
    for (const name of names)
      writeFileSync(path.join(b.dir, name), '```bash\necho "$NOT_SET_ANYWHERE"\n```\n');
    const runs = await Promise.all(names.map((name) => run(b, ['--yes', name])));
    for (const r of runs) {
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/shell-init|server\.sh|No such file or directory/);
      expect(r.stderr.split('\n')[0]).toMatch(/^runbook: 1 variable is needed/);
    }
    await expectNothingLeft(b);
  });
});

describe('a full scratch disk', { timeout: 60_000 }, () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts) execFileSync('umount', [m]);
  });
  /** A tmpfs of `size` at a new directory, or undefined where this machine cannot mount one. */
  function tinyDisk(size: string): string | undefined {
    const at = mkdtempSync(path.join(tmpdir(), 'runbook-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', at], {
        stdio: 'ignore',
      });
    } catch {
      return undefined;
    }
    mounts.push(at);
    return at;
  }

  it("is the runner's failure, naming the file and ENOSPC; the step is not blamed, and resumes elsewhere", async (ctx) => {
    const small = tinyDisk('256k');
    if (!small) return ctx.skip('cannot mount a tmpfs here (needs root)');
    const b = box('big-value.md');
    const r = await runCli(['--yes', 'big-value.md'], {
      cwd: b.dir,
      env: { ...b.env, XDG_RUNTIME_DIR: small },
    });
    expect(r.code).toBe(2);
    const [line, ...rest] = said(r);
    expect(rest).toEqual([]);
    expect(line).toMatch(
      new RegExp(
        `^runbook: step 1 big: cannot write ${small}/runbook-[\\w-]+/snap, which hands the step's variables on: no space left on device \\(ENOSPC\\); --resume runs the step again$`,
      ),
    );
    expect(r.stderr).not.toContain('failed');
    expect(readdirSync(small)).toEqual([]);
    expect(statuses(b, 'big-value')).toEqual(['interrupted', 'pending']);
    const again = await run(b, ['--yes', '--resume', 'big-value.md']);
    expect(again.code).toBe(0);
    expect(read(b, 'length.txt')).toBe('300000\n');
    await expectNothingLeft(b);
  });

  it("of the runbook's .runbook/ is said with the file and ENOSPC, and leaves no temporary file there", async (ctx) => {
    const b = box('umask.md');
    const state = path.join(b.dir, '.runbook');
    mkdirSync(state);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', state], { stdio: 'ignore' });
    } catch {
      return ctx.skip('cannot mount a tmpfs here (needs root)');
    }
    mounts.push(state);
    try {
      writeFileSync(path.join(state, 'fill'), Buffer.alloc(128 * 1024));
    } catch {
      // Full now, as intended.
    }
    const r = await run(b, ['--yes', 'umask.md']);
    expect(r.code).toBe(2);
    expect(said(r)).toEqual([
      `runbook: cannot take the run lock ${state}/umask.lock: no space left on device (ENOSPC)`,
    ]);
    expect(readdirSync(state)).toEqual(['fill']);
    await expectNothingLeft(b);
    // Room again: the run goes ahead, and its record is whole.
    execFileSync('rm', [path.join(state, 'fill')]);
    const again = await run(b, ['--yes', 'umask.md']);
    expect(again.code).toBe(0);
    expect(statuses(b, 'umask').every((st: string) => st === 'done')).toBe(true);
    expect(readdirSync(state).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('a JavaScript value holding NUL', { timeout: 60_000 }, () => {
  it('is refused naming the variable, at its line; nothing of the step is carried, so record and shell agree', async () => {
    const b = box('js-nul.md');
    const r = await run(b, ['--yes', 'js-nul.md']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "TypeError: vars.FILES holds a NUL character (at index 7), which no bash variable can hold; split it first, e.g. with .split('\\0')",
    );
    expect(r.stderr).toContain(`at ${path.join(b.dir, 'js-nul.md')}:10:`);
    expect(statuses(b, 'js-nul')).toEqual(['done', 'failed', 'pending']);
    const vars = record(b, 'js-nul').context.vars;
    expect(Object.keys(vars)).not.toContain('FILES');
    expect(Object.keys(vars)).not.toContain('FIRST');
    await expectNothingLeft(b);
    // Fixed as the message says, the step carries every value and its neighbours.
    const fixed = read(b, 'js-nul.md').replace('.stdout;', ".stdout.split('\\0').filter(Boolean);");
    writeFileSync(path.join(b.dir, 'js-nul.md'), fixed);
    const again = await run(b, ['--yes', '--resume', 'js-nul.md']);
    expect(again.code).toBe(0);
    expect(read(b, 'seen.txt')).toBe('FIRST=kept FILES=2 LAST=kept too\n');
  });
});
