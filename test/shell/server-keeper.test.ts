// ServerKeeper with real bash: a server started ahead of the first step (warmUp) and then taken down by a
// step is started again for the next one, never handed out again.
import { writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { StepIO } from '../../lib/core/types.ts';
import { scratchDir } from '../../lib/os/scratch.ts';
import { ServerKeeper } from '../../lib/shell/server-keeper.ts';
import { SERVER } from '../../lib/shell/server-script.ts';
import { SessionFiles } from '../../lib/shell/session-files.ts';
import { DEFAULT_SHELL } from '../../lib/shell/shell-line.ts';

const keepers: ServerKeeper[] = [];
afterEach(async () => {
  for (const k of keepers.splice(0)) await k.dispose();
});

function setup() {
  const dir = scratchDir('runbook-keeper-test-');
  const files = new SessionFiles(dir);
  writeFileSync(files.path('server.sh'), SERVER, { mode: 0o600 });
  writeFileSync(files.path('snap'), '', { mode: 0o600 });
  let starts = 0;
  let onStart = () => {};
  const keeper = new ServerKeeper({
    ...{ shellLine: DEFAULT_SHELL, env: process.env, dir, nonce: 'n0nce', runbook: 'runbook.md', files },
    started: () => {
      starts++;
      onStart();
    },
  });
  keepers.push(keeper);
  const io: StepIO = { stdin: 'ignore', stdout: new PassThrough(), stderr: new PassThrough() };
  const firstStart = new Promise<void>((resolve) => {
    onStart = resolve;
  });
  return { keeper, io, firstStart, starts: () => starts };
}

describe('ServerKeeper', () => {
  it('a server warmed up, up before any step asked, then lost: the next step gets a new one', async () => {
    const { keeper, io, firstStart, starts } = setup();
    keeper.warmUp(io);
    await firstStart;
    // The first step asks only once the server is up (the walkthrough waits for a key meanwhile).
    await new Promise((r) => setImmediate(r));
    const first = await keeper.ready(io);
    keeper.lost(first);
    const second = await keeper.ready(io);
    expect(second).not.toBe(first);
    expect(starts()).toBe(2);
    expect(second.child.pid).not.toBe(first.child.pid);
  });

  it('a server asked for while still starting is the one started', async () => {
    const { keeper, io, starts } = setup();
    keeper.warmUp(io);
    const [a, b] = await Promise.all([keeper.ready(io), keeper.ready(io)]);
    expect(a).toBe(b);
    expect(starts()).toBe(1);
  });
});
