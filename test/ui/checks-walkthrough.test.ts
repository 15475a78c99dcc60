// The walkthrough with output blocks and background steps, in a real pseudo-terminal: a mismatch offers
// the failure choices with its diff, a background step shows under each header, and one that ends on its
// own is said at once, even while a question is on the screen.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scratch, waitFor } from '../helpers/cli.ts';
import { PtySession } from '../helpers/pty.ts';

const sessions: PtySession[] = [];
function start(args: string[], dir: string): PtySession {
  const s = new PtySession(args, { cwd: dir });
  sessions.push(s);
  return s;
}
afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose();
});

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('the walkthrough checks output', { timeout: 30_000 }, () => {
  it('shows the expected output, fails a mismatch with its diff, and retries once it is fixed', async () => {
    const dir = scratch('interactive/expect.md');
    const s = start(['expect.md'], dir);
    const first = await s.waitFor('Step 1: run it?');
    expect(first).toMatch(/It must print \(expect=lines\):\n\s+│ Status: Running/);
    s.write('r');
    const failed = await s.waitFor('Step 1 failed: what now?');
    expect(failed).toContain('✖ status failed (output did not match)');
    expect(failed).toMatch(
      /--- expected \(expect\.md:7\)\n\s+\+\+\+ printed\n\s+- Status: Running\n\s+\+ Status: Pending/,
    );
    writeFileSync(path.join(dir, 'ready.flag'), '');
    s.write('r');
    await s.waitFor('Step 2: run it?');
    expect(s.screen()).toContain('✔ status done in');
    s.write('r');
    // Past the last step the walkthrough waits with the summary: q finishes.
    await s.waitFor('End of the runbook');
    s.write('q');
    expect((await s.exit()).exitCode).toBe(0);
    expect(existsSync(path.join(dir, 'after.txt'))).toBe(true);
  });

  it('shows background steps under each header, says at once when one ends, and ends them on quit', async () => {
    const dir = scratch('interactive/background.md');
    const s = start(['background.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    const second = await s.waitFor('Step 2: run it?');
    expect(second).toMatch(/✔ server runs in the background \(pid \d+\), ready after/);
    expect(s.after('▶ Step 2/3 · second')).toMatch(
      /^▶ Step 2\/3 · second\n\s+⟳ in the background: server \(pid \d+\)/,
    );
    const pid = Number(readFileSync(path.join(dir, 'server.pid'), 'utf8'));
    // It ends while the question waits: the notice comes at once, and the question is asked again.
    writeFileSync(path.join(dir, 'stop.flag'), '');
    await s.waitFor('✖ background step server ended on its own (exit code 4); its last lines:');
    await s.waitFor((screen) => screen.lastIndexOf('Step 2: run it?') > screen.indexOf('ended on its own'));
    expect(s.screen()).toContain('│ giving up');
    s.write('r');
    await s.waitFor('Step 3: run it?');
    expect(s.after('▶ Step 3/3 · third')).toMatch(
      /^▶ Step 3\/3 · third\n\s+✖ background step server ended on its own \(exit code 4\)/,
    );
    s.write('q');
    expect((await s.exit()).exitCode).toBe(130);
    expect(s.screen()).toMatch(/1\/3 server\s+✔ done \(background, ended on its own \(exit code 4\)\)/);
    await waitFor(() => !running(pid), 5000, 'the server to be gone');
  });

  it('ends a background step that still runs when the person quits', async () => {
    const dir = scratch('interactive/background.md');
    const s = start(['background.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('Step 2: run it?');
    const pid = Number(readFileSync(path.join(dir, 'server.pid'), 'utf8'));
    expect(running(pid)).toBe(true);
    s.write('q');
    expect((await s.exit()).exitCode).toBe(130);
    await waitFor(() => !running(pid), 5000, 'the server to be gone');
    expect(existsSync(path.join(dir, 'second.txt'))).toBe(false);
  });

  it("shows a running background step's output so far on `o`, and marks it in the outline", async () => {
    const dir = scratch('interactive/background.md');
    const s = start(['background.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('Step 2: run it?');
    s.write('g');
    await s.waitFor('running in the background');
    s.write('\u001b'); // back to step 2 without moving
    await s.waitFor(
      (screen) => screen.lastIndexOf('Step 2: run it?') > screen.indexOf('running in the background'),
    );
    s.write('b');
    await s.waitFor((screen) => screen.lastIndexOf('Step 1') > screen.lastIndexOf('Step 2: run it?'));
    s.write('o');
    const shown = await s.waitFor('output so far of step 1 server (running in the background)');
    expect(shown.slice(shown.indexOf('output so far'))).toMatch(/│ up/);
    s.write('q');
    expect((await s.exit()).exitCode).toBe(130);
  });
});
