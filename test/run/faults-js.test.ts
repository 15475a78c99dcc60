// A runner killed outright (SIGKILL, the OOM killer) while a JavaScript step runs: the step's own Node
// process notices (js/runner-watch.ts) and ends itself, what it started and what else is of the run, also
// when no step server is alive to do it; --resume then runs the step once, never beside an earlier copy.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, FIXTURES, runCli, startCli, waitFor } from '../helpers/cli.ts';
import { expectNothingLeft, processesUsing, type Sandbox, sandbox } from '../helpers/sandbox.ts';

const PIDS = ['node.pid', 'sleep.pid', 'daemon.pid'];

function box(edit: (text: string) => string = (text) => text): Sandbox {
  const b = sandbox();
  const text = readFileSync(path.join(FIXTURES, 'faults/js-killed.md'), 'utf8');
  writeFileSync(path.join(b.dir, 'js-killed.md'), edit(text));
  return b;
}

const read = (b: Sandbox, f: string) => readFileSync(path.join(b.dir, f), 'utf8');
const statuses = (b: Sandbox) =>
  JSON.parse(read(b, '.runbook/js-killed.state.json')).steps.map((s: { status: string }) => s.status);

/** Step 2 has started all it starts, and the record says step 1 is done. */
function started(b: Sandbox): boolean {
  if (!PIDS.every((f) => existsSync(path.join(b.dir, f)) && read(b, f).trim() !== '')) return false;
  try {
    return statuses(b)[0] === 'done';
  } catch {
    return false;
  }
}

/** The step server's processes (the server, its watch, a subshell waiting for a step). */
function serverProcesses(b: Sandbox): number[] {
  return processesUsing(`${b.runtime}/`)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('server.sh') && alive(Number(p));
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function killDuringStep(b: Sandbox, server: boolean): Promise<number[]> {
  const cli = startCli(['--yes', 'js-killed.md'], { cwd: b.dir, env: b.env });
  await waitFor(() => started(b), 20_000, 'step 2 to start');
  const pids = PIDS.map((f) => Number(read(b, f)));
  for (const p of pids) expect(alive(p), `pid ${p} before`).toBe(true);
  // The step server too (its watch included), as a `kill -9` of everything might. All stopped first, then
  // killed: killed one by one, the server's watch could act on the runner's death and be killed part-way.
  const servers = server ? serverProcesses(b) : [];
  if (server) expect(servers.length).toBeGreaterThan(0);
  for (const signal of ['SIGSTOP', 'SIGKILL'] as const) {
    for (const p of [cli.child.pid as number, ...servers]) {
      try {
        process.kill(p, signal);
      } catch {
        // A subshell of the server that ended meanwhile.
      }
    }
  }
  if (server) await waitFor(() => serverProcesses(b).length === 0, 5000, 'the step server to be gone');
  expect((await cli.done).signal).toBe('SIGKILL');
  return pids;
}

describe('a runner killed outright during a JavaScript step', { timeout: 60_000 }, () => {
  for (const [what, server] of [
    ['its step server alive', false],
    ['its step server killed too', true],
  ] as const) {
    it(`${what}: the step's process and all it started end, the scratch directory goes; --resume runs the step once`, async () => {
      const b = box();
      const pids = await killDuringStep(b, server);
      // No next run has to come: the step's process ends the run itself.
      for (const [i, p] of pids.entries())
        await waitFor(() => !alive(p), 5000, `pid ${p} (${PIDS[i]}) to end`);
      await expectNothingLeft(b);
      expect(statuses(b)).toEqual(['done', 'running', 'pending']);
      writeFileSync(path.join(b.dir, 'quick'), '');
      const again = await runCli(['--yes', '--resume', 'js-killed.md'], { cwd: b.dir, env: b.env });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('runbook: resuming at step 2 (1 done)');
      expect(read(b, 'log.txt')).toBe('first\nlong\nlong\nlast\n');
      await expectNothingLeft(b);
      expect(readdirSync(b.runtime)).toEqual([]);
    });
  }
});

describe('a runner killed outright during a JavaScript step, its cleaner killed part-way', {
  timeout: 60_000,
}, () => {
  it("the step's process, sent the cleaner's SIGTERM while it ends the run, ends it to the last", async () => {
    // A daemon that ignores SIGTERM: ending it takes the SIGKILL round, after the grace.
    const b = box((text) => text.replace("bash -c 'echo", 'bash -c \'trap "" TERM; echo'));
    expect(read(b, 'js-killed.md')).toContain('trap "" TERM; echo $$ > daemon.pid');
    const cli = startCli(['--yes', 'js-killed.md'], { cwd: b.dir, env: b.env });
    await waitFor(() => started(b), 20_000, 'step 2 to start');
    const pids = PIDS.map((f) => Number(read(b, f)));
    const [node] = pids as [number];
    const servers = serverProcesses(b);
    expect(servers.length).toBeGreaterThan(0);
    // The step server's watch as if it had sent its SIGTERM round and been killed before its SIGKILL
    // round: the server stopped, the runner killed; once the step's process is ending the run (its grace
    // for the daemon running), it gets that SIGTERM, and the server is killed.
    for (const p of [cli.child.pid as number, ...servers]) process.kill(p, 'SIGSTOP');
    process.kill(cli.child.pid as number, 'SIGKILL');
    expect((await cli.done).signal).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 150));
    process.kill(node, 'SIGTERM');
    for (const p of servers) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // A subshell of the server that ended meanwhile.
      }
    }
    for (const [i, p] of pids.entries()) await waitFor(() => !alive(p), 5000, `pid ${p} (${PIDS[i]}) to end`);
    await expectNothingLeft(b);
    expect(readdirSync(b.runtime)).toEqual([]);
  });
});

describe('a runner killed outright during a JavaScript step blocked in a synchronous call', {
  timeout: 60_000,
}, () => {
  it('its step server killed too: ends the step, what it waits for and the scratch directory; --resume runs the step once', async () => {
    const b = sandbox();
    const fixture = 'js-blocked.md';
    writeFileSync(path.join(b.dir, fixture), readFileSync(path.join(FIXTURES, `faults/${fixture}`)));
    const pidFiles = ['node.pid', 'sleep.pid'];
    const whole = () => pidFiles.every((f) => existsSync(path.join(b.dir, f)) && read(b, f).trim() !== '');
    const cli = startCli(['--yes', fixture], { cwd: b.dir, env: b.env });
    await waitFor(whole, 20_000, 'the step to block');
    const pids = pidFiles.map((f) => Number(read(b, f)));
    for (const p of pids) expect(alive(p), `pid ${p} before`).toBe(true);
    // The step server too, whose watch would otherwise end the step: the step's own watch must do it. All
    // stopped first, so that the server's watch cannot act on the runner's death before it is killed.
    const servers = serverProcesses(b);
    for (const signal of ['SIGSTOP', 'SIGKILL'] as const) {
      for (const p of [cli.child.pid as number, ...servers]) {
        try {
          process.kill(p, signal);
        } catch {
          // A subshell of the server that ended meanwhile.
        }
      }
    }
    expect((await cli.done).signal).toBe('SIGKILL');
    await waitFor(() => serverProcesses(b).length === 0, 5000, 'the step server to be gone');
    // Nothing turns the step's event loop: the watch from outside ends what it waits for, then the step.
    for (const p of pids) await waitFor(() => !alive(p), 5000, `pid ${p} to end`);
    await expectNothingLeft(b);
    writeFileSync(path.join(b.dir, 'quick'), '');
    const again = await runCli(['--yes', '--resume', fixture], { cwd: b.dir, env: b.env });
    expect(again.code, again.stderr).toBe(0);
    expect(read(b, 'log.txt')).toBe('first\nblocked\nblocked\n');
    await expectNothingLeft(b);
    expect(readdirSync(b.runtime)).toEqual([]);
  });
});
