// End to end in real bash: background steps started with the carried context, waited for (ready=), called
// by later steps, reported when they die, failed when never ready, and ended with their whole tree however
// the run ends (done, Ctrl-C, SIGTERM, the runner killed outright, a later step's stop=).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, scratch, startCli, waitFor } from '../helpers/cli.ts';

const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');
const has = (dir: string, f: string) => existsSync(path.join(dir, f));
/** A pid a step wrote; only once the whole line is there (a half-written file must never read as 0). */
const written = (dir: string, f: string) => has(dir, f) && read(dir, f).endsWith('\n');
function pidIn(dir: string, f: string): number {
  const pid = Number(read(dir, f).trim());
  if (!(pid > 1)) throw new Error(`${f} holds no pid: ${JSON.stringify(read(dir, f))}`);
  return pid;
}

/** Whether a process still runs: a zombie has ended, it only waits to be collected. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
const allGone = (pids: number[]) =>
  waitFor(() => pids.every((p) => !running(p)), 5000, `pids ${pids} to end`);

// Each test runs the CLI once or twice with real servers and process trees: slower than most under load.
describe('background steps', { timeout: 30_000 }, () => {
  it('start a server that later shell and JavaScript steps call, and end it with the run', async () => {
    const dir = scratch('background/server.md');
    const r = await runCli(['--yes', '--record', 'rec', 'server.md'], { cwd: dir });
    expect(r.stderr).toContain('all 6 steps done');
    expect(r.code).toBe(0);
    expect(read(dir, 'shell.txt')).toBe('hello from the server\n');
    expect(read(dir, 'js.txt')).toBe('hello from the server\n');
    expect(r.stderr).toMatch(/✔ server runs in the background \(pid \d+\), ready after/);
    expect(r.stderr).toMatch(/Step 3\/6 · call-shell\n {2}⟳ in the background: server \(pid \d+\)\n/);
    expect(r.stderr).toMatch(
      /Step 6\/6 · stop-watch\n {2}⟳ in the background: server \(pid \d+\), watch \(pid \d+\)\n/,
    );
    expect(r.stderr).toContain('■ stopped background step watch');
    expect(r.stderr).toContain('runbook: ending background step server');
    // What a background step sets is not carried.
    expect(read(dir, 'carried.txt')).toBe('SET_IN_BACKGROUND=[]\n');
    // Nothing of either is left: the server, the watcher and the child it started.
    await allGone([pidIn(dir, 'server.pid'), pidIn(dir, 'watcher.pid'), pidIn(dir, 'watcher-child.pid')]);
    const steps = JSON.parse(read(dir, 'rec/run.json')).steps;
    expect(steps[1].background).toMatchObject({ state: 'ended', pid: pidIn(dir, 'server.pid') });
    // Its log is in the record: what it printed while the run went on, the requests included.
    expect(steps[1].outputTail).toMatch(/serving on \d+\n[\s\S]*"GET \/index.html HTTP\/1.1" 200/);
    expect(steps[4].background).toMatchObject({ state: 'stopped' });
    expect(steps[1].vars).toEqual({});
  });

  it('hide a secret the ready= address holds, on the terminal and in the record', async () => {
    const dir = scratch('background/ready-secret.md');
    const r = await runCli(['--yes', '--record', 'rec', 'ready-secret.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not ready after 1 s');
    expect(r.stderr + r.stdout).not.toContain('readySECRET55');
    for (const f of ['.runbook/ready-secret.state.json', 'rec/run.json', 'rec/junit.xml']) {
      expect(readFileSync(path.join(dir, f), 'utf8'), f).not.toContain('readySECRET55');
    }
  });

  it('say so at once when one dies, and again in the next header', async () => {
    const dir = scratch('background/dies.md');
    const r = await runCli(['--yes', '--record', 'rec', 'dies.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      [
        '✖ background step flaky ended on its own (exit code 3); its last lines:',
        '  │ connecting to the cluster',
        '  │ error: connection refused',
      ].join('\n'),
    );
    expect(r.stderr).toMatch(
      /Step 3\/3 · later\n {2}✖ background step flaky ended on its own \(exit code 3\)\n/,
    );
    expect(has(dir, 'later.txt')).toBe(true);
    const flaky = JSON.parse(read(dir, 'rec/run.json')).steps[0];
    expect(flaky.background).toMatchObject({ state: 'exited', exitCode: 3 });
    expect(flaky.outputTail).toContain('error: connection refused');
  });

  it('fail when never ready within timeout=, or when they end first, with their trees gone', async () => {
    const dir = scratch('background/never-ready.md');
    const started = Date.now();
    const r = await runCli(['--yes', 'never-ready.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'closed-port failed (not ready after 1 s: waited for a connection to 127.0.0.1:1; ended it)',
    );
    expect(r.stderr).toContain(
      'quiet failed (not ready after 1 s: waited for a line of its output to match /^listening on/; ended it)',
    );
    expect(r.stderr).toContain(
      'gives-up failed (ended before it was ready (exit code 7); waited for a line of its output to match /^listening on/)',
    );
    expect(r.stderr).toMatch(/Last lines of its output:\n {2}│ cannot bind/);
    expect(Date.now() - started).toBeLessThan(20_000);
    await allGone([pidIn(dir, 'port.pid'), pidIn(dir, 'port-child.pid'), pidIn(dir, 'quiet.pid')]);
  });

  it('end with the run on Ctrl-C, the running step and the background tree alike', async () => {
    const dir = scratch('background/interrupt.md');
    const run = startCli(['--yes', 'interrupt.md'], { cwd: dir });
    await waitFor(() => written(dir, 'long.pid'), 10_000, 'the long step');
    const pids = [pidIn(dir, 'bg.pid'), pidIn(dir, 'bg-child.pid'), pidIn(dir, 'long.pid')];
    for (const p of pids) expect(running(p)).toBe(true);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    await allGone(pids);
  });

  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'end with the run on %s (SIGKILL: the runner killed outright)',
    async (sig) => {
      {
        const dir = scratch('background/interrupt.md');
        // A scratch place of its own, to see that the run's directory is removed.
        const runtime = mkdtempSync(path.join(tmpdir(), 'runbook-bg-rt-'));
        const run = startCli(['--yes', 'interrupt.md'], { cwd: dir, env: { XDG_RUNTIME_DIR: runtime } });
        await waitFor(() => written(dir, 'long.pid'), 10_000, 'the long step');
        // One directory for the run, the background step's files inside it.
        const made = readdirSync(runtime);
        expect(made).toEqual([expect.stringMatching(/^runbook-[0-9a-f]{16}-/)]);
        expect(readdirSync(path.join(runtime, made[0] as string))).toContainEqual(
          expect.stringMatching(/^bg-/),
        );
        const bg = [pidIn(dir, 'bg.pid'), pidIn(dir, 'bg-child.pid')];
        run.child.kill(sig);
        await run.done;
        // After SIGKILL nothing of the runner is left to end them: the watchdog in their group does, and
        // the step server's watcher ends the step that ran in the foreground.
        await allGone([...bg, pidIn(dir, 'long.pid')]);
        await waitFor(() => readdirSync(runtime).length === 0, 5000, `${runtime} to be emptied`);
        rmSync(runtime, { recursive: true });
      }
    },
  );

  it('start again on --resume when they ran until the run stopped', async () => {
    const dir = scratch('background/interrupt.md');
    const run = startCli(['--yes', 'interrupt.md'], { cwd: dir });
    await waitFor(() => written(dir, 'long.pid'), 10_000, 'the long step');
    const first = pidIn(dir, 'bg.pid');
    run.child.kill('SIGINT');
    expect((await run.done).code).toBe(130);
    writeFileSync(
      path.join(dir, 'interrupt.md'),
      read(dir, 'interrupt.md').replace('sleep 1003', 'test -e bg.pid'),
    );
    const r = await runCli(['--yes', '--resume', 'interrupt.md'], { cwd: dir });
    expect(r.stderr).toContain(
      'runbook: starting background step server again (it ran until the last run stopped)',
    );
    expect(r.code).toBe(0);
    const second = pidIn(dir, 'bg.pid');
    expect(second).not.toBe(first);
    await allGone([first, second, pidIn(dir, 'bg-child.pid')]);
  });

  it('are listed as background, their variables not carried, and refused where they cannot work', async () => {
    const dir = scratch('background/server.md');
    const list = await runCli(['--list', 'server.md'], { cwd: dir });
    expect(list.stdout).toMatch(
      /watch +SET_IN_BACKGROUND=yes +\[background: its variables are not carried\]/,
    );
    expect(list.stdout).toMatch(/stop-watch +.*\[stops watch\]/);
    const json = JSON.parse((await runCli(['--list', '--json', 'server.md'], { cwd: dir })).stdout).steps;
    expect(json[1].background).toEqual({ ready: 'http://127.0.0.1:$PORT/', timeout: 30 });
    expect(json[4].sets).toEqual([]);
    expect(json[0].background).toBeNull();
    writeFileSync(
      path.join(dir, 'bad.md'),
      '# B\n\n```bash {name=a ready=x}\necho a\n```\n\n```bash {stop=nothing}\necho b\n```\n\n```js {background}\n1\n```\n\n```bash {background capture=X}\necho\n```\n',
    );
    const r = await runCli(['--yes', 'bad.md'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('step a: ready= applies to a background step only');
    expect(r.stderr).toContain('stop=nothing: no background step named nothing comes before this one');
    expect(r.stderr).toContain('background runs shell steps only');
    expect(r.stderr).toContain('capture= cannot take the output of a background step');
  });
});
