// ShellSession with real bash: a step launched ahead of its run (unattended runs) is the one that runs
// next, and one that will not be run after all is ended, never left behind.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyContext } from '../../lib/core/context.ts';
import { DEFAULT_SHELL, ShellSession, type StepIO } from '../../lib/shell/session.ts';
import { waitFor } from '../helpers/cli.ts';

const sessions: ShellSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
});

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'runbook-session-test-'));
  const session = new ShellSession(DEFAULT_SHELL, process.env);
  sessions.push(session);
  let out = '';
  const stdout = new PassThrough();
  stdout.on('data', (d) => {
    out += d;
  });
  const io: StepIO = { stdin: 'ignore', stdout, stderr: new PassThrough() };
  return { dir, session, io, out: () => out, at: (f: string) => path.join(dir, f) };
}

const alive = (pid: number) => {
  if (!(pid > 0)) throw new Error(`not a PID: ${pid}`);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// The PID a step wrote, or 0 while the file is absent or not yet written (echo creates it empty first).
const pidIn = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) || 0 : 0);

describe('ShellSession look-ahead', () => {
  it('starts the next step as soon as one ends, in the context it left', async () => {
    const { dir, session, io, out, at } = setup();
    const next = { name: 'second', code: 'touch second-started\necho "second sees $GREETING"' };
    const first = await session.run({
      name: 'first',
      code: 'GREETING=hi',
      context: emptyContext(dir),
      io,
      next,
    });
    expect(first.exitCode).toBe(0);
    // Nobody has asked for the second step yet, and it is running already.
    await waitFor(() => existsSync(at('second-started')), 5000, 'the second step to start');
    const context = first.context ?? emptyContext(dir);
    const second = await session.run({ ...next, context, io });
    expect(second.exitCode).toBe(0);
    expect(out()).toBe('second sees hi\n');
  });

  it('ends a step launched ahead when something else runs instead, or the session closes', async () => {
    const { dir, session, io, out, at } = setup();
    const next = { name: 'slow', code: 'echo $BASHPID > slow.pid\nsleep 30\ntouch slow-finished' };
    const first = await session.run({ name: 'first', code: 'true', context: emptyContext(dir), io, next });
    await waitFor(() => pidIn(at('slow.pid')) > 0, 5000, 'the slow step to start');
    const pid = pidIn(at('slow.pid'));
    const other = await session.run({
      name: 'other',
      code: 'echo other ran',
      context: first.context ?? emptyContext(dir),
      io,
      next,
    });
    expect(other.exitCode).toBe(0);
    expect(out()).toBe('other ran\n');
    expect(alive(pid)).toBe(false);
    expect(existsSync(at('slow-finished'))).toBe(false);
    // `next` launched the slow step again after `other`; closing the session ends it too.
    await waitFor(() => ![0, pid].includes(pidIn(at('slow.pid'))), 5000, 'a second launch');
    const again = pidIn(at('slow.pid'));
    await session.close();
    // Ended by close(); a killed child may stay a zombie for a moment until init reaps it.
    await waitFor(() => !alive(again), 2000, 'the second launch to end');
    expect(existsSync(at('slow-finished'))).toBe(false);
  });

  it('runs the step sent ahead for the same step in an equal context, and sends it again in a changed one', async () => {
    const { dir, session, io, out, at } = setup();
    // Each launch waits for its own go-ahead file, so one that is ended unused prints nothing.
    const code =
      'echo $BASHPID >> launches\nn=$(wc -l < launches)\nuntil [ -e go.$n ]; do sleep 0.02; done\necho "launch $n sees ${GREETING:-nothing}"';
    const launches = () =>
      existsSync(at('launches')) ? readFileSync(at('launches'), 'utf8').trim().split('\n') : [];
    const next = { name: 'greet', code, line: 7 };
    const first = await session.run({
      name: 'first',
      code: 'X=1',
      line: 3,
      context: emptyContext(dir),
      io,
      next,
    });
    await waitFor(() => launches().length === 1, 5000, 'the step sent ahead to start');
    writeFileSync(at('go.1'), '');
    // A copy of what the first step left: the same state, so the launch sent ahead is the one that runs.
    const left = first.context ?? emptyContext(dir);
    const same = await session.run({ ...next, context: { ...left, vars: { ...left.vars } }, io, next });
    expect(same.exitCode).toBe(0);
    expect(out()).toBe('launch 1 sees nothing\n');
    // The runner changed the context (a --set, a JavaScript step): the launch sent ahead is ended unused.
    await waitFor(() => launches().length === 2, 5000, 'the second launch');
    const unused = Number(launches()[1]);
    const changed = same.context ?? emptyContext(dir);
    const greeted = {
      ...changed,
      vars: { ...changed.vars, GREETING: { type: 'scalar' as const, attrs: '', value: 'hi' } },
    };
    writeFileSync(at('go.3'), '');
    const third = await session.run({ ...next, context: greeted, io });
    expect(third.exitCode).toBe(0);
    expect(out()).toBe('launch 1 sees nothing\nlaunch 3 sees hi\n');
    await waitFor(() => !alive(unused), 2000, 'the unused launch to end');
  });
});
