// The analyses a run or --list keeps beside the runbook: one file per runbook, so that runbooks side by side
// (a runbook and its teardown) never evict each other's entries.
import { copyFileSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, scratch } from '../helpers/cli.ts';

describe('the analysis cache', () => {
  it('keeps each runbook of a directory in a file of its own, read again without being rewritten', async () => {
    const dir = scratch();
    for (const f of ['runbook.md', 'teardown.md']) copyFileSync(path.join(ROOT, f), path.join(dir, f));
    const cache = (name: string) => path.join(dir, '.runbook', `${name}.analysis.json`);
    for (const f of ['runbook.md', 'teardown.md'])
      expect((await runCli(['--list', f], { cwd: dir })).code).toBe(0);
    const written = {
      runbook: statSync(cache('runbook')).mtimeMs,
      teardown: statSync(cache('teardown')).mtimeMs,
    };
    // Listing them in turn again: both are hits, so neither file is written again.
    for (const f of ['runbook.md', 'teardown.md', 'runbook.md']) {
      expect((await runCli(['--list', f], { cwd: dir })).code).toBe(0);
    }
    expect({
      runbook: statSync(cache('runbook')).mtimeMs,
      teardown: statSync(cache('teardown')).mtimeMs,
    }).toEqual(written);
    const entries = (name: string) =>
      Object.keys(JSON.parse(readFileSync(cache(name), 'utf8')).entries).length;
    expect(entries('runbook')).toBeGreaterThan(entries('teardown'));
  });
});
