// The terminal window closed while a step runs: the step's tree ends, the record says interrupted, and the
// runner exits as it says it does, not by Node aborting at exit over a terminal it cannot restore.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, scratch, waitFor } from '../helpers/cli.ts';
import { PtySession } from '../helpers/pty.ts';

const sessions: PtySession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose();
});

const RUNBOOK = ['# Closed', '', '```bash {name=long}', 'echo $$ > step.pid', 'sleep 60', '```', ''].join(
  '\n',
);

describe('the terminal closed under the walkthrough', { timeout: 30_000 }, () => {
  it('ends the running step and exits with a run code, without a crash at exit', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'runbook.md'), RUNBOOK);
    const session = new PtySession(['runbook.md'], { cwd: dir });
    sessions.push(session);
    await session.waitFor('Step 1: run it?');
    session.write('r');
    await waitFor(() => existsSync(path.join(dir, 'step.pid')), 10_000, 'the step to start');
    const stepPid = Number(readFileSync(path.join(dir, 'step.pid'), 'utf8'));
    session.hangUp();
    const ended = await session.exited;
    // 130 for the hang-up, or 141 when the dead terminal refused a write first; never an abort (SIGABRT).
    expect(ended.signal ?? 0).toBe(0);
    expect([130, 141]).toContain(ended.exitCode);
    expect(alive(stepPid)).toBe(false);
    const record = JSON.parse(readFileSync(path.join(dir, '.runbook/runbook.state.json'), 'utf8'));
    expect(record.steps[0].status).toBe('interrupted');
  });
});
