// A step's own terminal in the walkthrough, in a real pseudo-terminal on the built CLI: the step's streams
// are a terminal, it follows the window's size, it can prompt on /dev/tty, Ctrl-C reaches its foreground
// process group, and what it prints still reaches the record (redacted) and `o`. Under --yes, pipes.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, runCli, scratch, waitFor } from '../helpers/cli.ts';
import { PtySession } from '../helpers/pty.ts';

const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');
const record = (dir: string) => JSON.parse(read(dir, '.runbook/terminal.state.json'));

const sessions: PtySession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose();
});

describe("a step's own terminal", { timeout: 60_000 }, () => {
  it('is a terminal of the window’s size, takes /dev/tty prompts and Ctrl-C, and keeps its output', async () => {
    const dir = scratch('notebook/terminal.md');
    const s = new PtySession(['--set', 'API_TOKEN=hunter2-secret', 'terminal.md'], {
      cwd: dir,
      env: { NO_COLOR: '1' },
      cols: 100,
    });
    sessions.push(s);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('stdin and stdout are terminals');

    await s.waitFor('Step 2: run it?');
    s.write('r');
    // The prompt comes from the running step (the code shown above it has the words too).
    await s.waitFor(() => s.after('── size is running').includes('Resize, then press Enter:'));
    expect(s.screen()).toContain('columns before: 100');
    s.proc.resize(72, 40);
    s.term.resize(72, 40);
    s.write('\r');
    await s.waitFor('columns after: 72');

    await s.waitFor('Step 3: run it?');
    s.write('r');
    await s.waitFor(() => s.after('── tty-prompt is running').includes('Passphrase (read from /dev/tty):'));
    s.write('open sesame\r');
    await s.waitFor('read 11 characters from the terminal');

    await s.waitFor('Step 4: run it?');
    s.write('r');
    const pidFiles = ['bg.pid', 'child.pid'].map((f) => path.join(dir, f));
    await waitFor(() => pidFiles.every((f) => existsSync(f) && read(dir, path.basename(f)).trim() !== ''));
    const pids = pidFiles.map((f) => Number(readFileSync(f, 'utf8')));
    expect(pids.every(alive)).toBe(true);
    s.write('\x03');
    await s.waitFor('Step 4 interrupted: what now?');
    expect(s.screen()).toContain('■ stoppable interrupted after');
    await waitFor(() => !pids.some(alive), 10_000, 'the step and its child to end');
    expect(existsSync(path.join(dir, 'reached.txt'))).toBe(false);
    s.write('s');

    await s.waitFor('Step 5: run it?');
    s.write('r');
    await s.waitFor('Step 6: run it?');
    // Live output is the step's own; what the runner keeps and shows again is redacted.
    expect(s.screen()).toContain('the token is hunter2-secret');
    s.write('b');
    await s.waitFor('Step 5 is done: run it again?');
    s.write('o');
    await s.waitFor('│ the token is ****');
    s.write('n');
    await s.waitForCount('Step 6: run it?', 2);
    s.write('r');
    await s.waitFor('End of the runbook');
    s.write('q');
    expect((await s.exit()).exitCode).toBe(0);

    const steps = record(dir).steps;
    expect(steps.map((r: { status: string }) => r.status)).toEqual([
      'done',
      'done',
      'done',
      'skipped',
      'done',
      'done',
    ]);
    // The terminal's CRLF line ends are kept as the LF the step wrote; the secret is never written.
    expect(steps[0].tail).toBe('stdin and stdout are terminals\n');
    expect(steps[4].tail).toBe('the token is ****\n');
    expect(read(dir, '.runbook/terminal.state.json')).not.toContain('hunter2-secret');
  });

  it('ends a step at its timeout, saying only what the step printed', async () => {
    const dir = scratch('notebook/timeout.md');
    const s = new PtySession(['timeout.md'], { cwd: dir, env: { NO_COLOR: '1' } });
    sessions.push(s);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    const failed = await s.waitFor('Step 1 failed: what now?');
    expect(failed).toContain('Step 1/1 slow failed: timed out at timeout=1');
    expect(s.after('── slow is running')).not.toContain('Terminated');
    s.write('q');
    expect((await s.exit()).exitCode).toBe(1);
    expect(JSON.parse(read(dir, '.runbook/timeout.state.json')).steps[0].tail).toBe('slow started\n');
  });

  // A step that ignores SIGTERM too has its tree killed: the step shell once reported that job, its whole
  // command text (the runner's own script), on the screen.
  it.each([
    ['Ctrl-C', 'stubborn.md'],
    ['Ctrl-C and SIGTERM', 'stubborn-term.md'],
  ])(
    'ends a step that ignores %s when Ctrl-C comes three times, showing nothing of the step shell',
    async (_what, file) => {
      const dir = scratch(`notebook/${file}`);
      const s = new PtySession([file], { cwd: dir, env: { NO_COLOR: '1' } });
      sessions.push(s);
      await s.waitFor('Step 1: run it?');
      s.write('r');
      await waitFor(() => existsSync(path.join(dir, 'started.txt')));
      // One Ctrl-C is the step's to handle, and this one ignores it; three in a row end it.
      s.write('\x03');
      await s.waitFor('^C');
      s.write('\x03\x03');
      await s.waitFor('Step 1 interrupted: what now?');
      expect(s.screen()).not.toMatch(/Killed|__rb_|server\.sh/);
      s.write('q');
      expect((await s.exit()).exitCode).toBe(130);
    },
  );

  it('keeps pipes under --yes', async () => {
    const dir = scratch('notebook/terminal.md');
    const r = await runCli(['--yes', '--set', 'API_TOKEN=x', 'terminal.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no terminal here');
  });
});
