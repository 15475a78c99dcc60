// The declared inputs form, in a real pseudo-terminal: one form before step 1, the default taken on
// Enter, a bad value asked again, a secret masked and never on screen or in the record.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scratch } from '../helpers/cli.ts';
import { PtySession } from '../helpers/pty.ts';

const sessions: PtySession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose();
});

function start(args: string[], dir: string, env: Record<string, string | undefined> = {}): PtySession {
  const s = new PtySession(args, { cwd: dir, env: { NO_COLOR: '1', ...env } });
  sessions.push(s);
  return s;
}

describe('declared inputs at a terminal', () => {
  it('asks once, up front: default on Enter, bad value re-asked, secrets masked', {
    timeout: 60_000,
  }, async () => {
    const dir = scratch('inputs/deploy.md');
    const s = start(['deploy.md'], dir);
    await s.waitFor('This runbook takes 4 inputs:');
    await s.waitFor('CLUSTER_PREFIX (prefix of the two cluster names)');
    // The default is offered; Enter takes it.
    expect(s.screen()).toContain('cluster');
    s.write('\r');
    await s.waitFor('REGISTRY_TOKEN (token for the image mirror) [optional]');
    s.write('tok-secret-1\r');
    await s.waitFor('REGION (cloud region)');
    s.write('Europe\r');
    await s.waitFor('"Europe" does not match ^[a-z]+-[a-z]+-[0-9]$');
    s.write(`${'\x7f'.repeat(6)}eu-west-1\r`);
    await s.waitFor('API_KEY (key for the deploy API)');
    s.write('key-secret-2\r');
    await s.waitFor('Step 1: run it?');
    s.write('a');
    // Past the last step the walkthrough waits with the summary: q finishes.
    await s.waitFor('End of the runbook');
    s.write('q');
    expect((await s.exit()).exitCode).toBe(0);
    const screen = s.screen();
    expect(screen).toContain('clusters cluster-0 and cluster-1 in eu-west-1');
    expect(screen).toContain('registry token given: yes');
    expect(screen).toContain('api key length 12');
    expect(screen).toContain('js sees cluster in eu-west-1');
    // Typed secrets show as masks; their values appear nowhere on screen.
    expect(screen).toContain('************');
    expect(s.raw).not.toContain('tok-secret-1');
    expect(s.raw).not.toContain('key-secret-2');
    expect(screen.match(/This runbook takes 4 inputs/g)).toHaveLength(1);
    for (const f of readdirSync(path.join(dir, '.runbook'))) {
      const text = readFileSync(path.join(dir, '.runbook', f), 'utf8');
      expect(text, f).not.toContain('tok-secret-1');
      expect(text, f).not.toContain('key-secret-2');
    }
  });

  it('asks only for what is not given, and Ctrl-C in the form quits with 130 running nothing', {
    timeout: 60_000,
  }, async () => {
    const dir = scratch('inputs/deploy.md');
    const s = start(['deploy.md'], dir, { REGION: 'us-east-1', API_KEY: 'from-env' });
    await s.waitFor('This runbook takes 2 inputs:');
    expect(s.screen()).not.toContain('REGION (');
    await s.waitFor('CLUSTER_PREFIX (');
    s.write('\x03');
    expect((await s.exit()).exitCode).toBe(130);
    expect(s.screen()).not.toContain('clusters ');
  });
});

describe('asking just in time', () => {
  it('asks only for a certain need, never for what the step sources or reads in arithmetic', {
    timeout: 60_000,
  }, async () => {
    const dir = scratch('honest/ask.md');
    const s = start(['ask.md'], dir, { ASKED_FOR: undefined, FROM_FILE: undefined, NEVER_SET: undefined });
    await s.waitFor('Step 1: run it?');
    s.write('a');
    await s.waitFor('Step 2 reads ASKED_FOR, which is not set.');
    s.write('typed\r');
    expect((await s.finish()).exitCode).toBe(0);
    const screen = s.screen();
    expect(screen).toContain('same step: loaded');
    expect(screen).toContain('counted: 1');
    expect(screen).toContain('needs typed');
    expect(screen).not.toMatch(/reads (FROM_FILE|NEVER_SET)/);
  });
});
