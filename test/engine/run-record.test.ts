// The run record's writer and the run's scratch directory: where what a run keeps goes, and how.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Step } from '../../lib/core/types.ts';
import { newRecord, RecordWriter } from '../../lib/engine/run-record.ts';
import { scratchDir } from '../../lib/os/scratch.ts';
import { waitFor } from '../helpers/cli.ts';

const scratch = () => mkdtempSync(path.join(tmpdir(), 'runbook-state-test-'));
/** Where the record of `rb.md` in `dir` goes when `.runbook/` can be there. */
const recordFile = (dir: string) => path.join(dir, '.runbook', 'rb.state.json');

function record(dir: string, marker: string) {
  const steps = [{ index: 1, name: 'one', code: 'true' }] as Step[];
  const r = newRecord(path.join(dir, 'rb.md'), steps, { vars: {}, unset: [], functions: '', cwd: dir });
  (r.steps[0] as (typeof r.steps)[0]).tail = marker;
  return r;
}

describe('RecordWriter', () => {
  it('leaves the newest of many quick saves on disk, 0600, with no temp file behind', async () => {
    const dir = scratch();
    const file = recordFile(dir);
    const writer = new RecordWriter(file);
    for (let i = 0; i < 50; i++) writer.save(() => record(dir, `save ${i}`));
    await writer.flush();
    expect(JSON.parse(readFileSync(file, 'utf8')).steps[0].tail).toBe('save 49');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(file))).toEqual(['rb.state.json']);
    writer.save(() => record(dir, 'later'));
    await writer.flush();
    expect(JSON.parse(readFileSync(file, 'utf8')).steps[0].tail).toBe('later');
  });

  it('writes a save at once after a quiet spell, and those close behind it together, at flush at the latest', async () => {
    const dir = scratch();
    const file = recordFile(dir);
    // A long interval: the test would time out if flush waited for it.
    const writer = new RecordWriter(file, 60_000);
    const tail = () => JSON.parse(readFileSync(file, 'utf8')).steps[0].tail;
    writer.save(() => record(dir, 'first'));
    await waitFor(() => existsSync(file), 5000, 'the first save');
    expect(tail()).toBe('first');
    writer.save(() => record(dir, 'second'));
    writer.save(() => record(dir, 'third'));
    await new Promise((r) => setTimeout(r, 50));
    expect(tail()).toBe('first');
    await writer.flush();
    expect(tail()).toBe('third');
  });

  it('reports a record it cannot write at flush, and refuses later saves', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, '.runbook'), 'a file where the directory should be');
    const writer = new RecordWriter(recordFile(dir));
    writer.save(() => record(dir, 'x'));
    await expect(writer.flush()).rejects.toThrow(/^cannot write the run record .*rb\.state\.json: /);
    expect(() => writer.save(() => record(dir, 'y'))).toThrow(/cannot write the run record/);
  });
});

describe('scratchDir', () => {
  it('makes a private directory in $XDG_RUNTIME_DIR when that is usable', () => {
    const base = scratch();
    const dir = scratchDir('runbook-', { XDG_RUNTIME_DIR: base });
    expect(path.dirname(dir)).toBe(base);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('falls back to /dev/shm or the temp dir when $XDG_RUNTIME_DIR is missing or relative', () => {
    for (const env of [{ XDG_RUNTIME_DIR: '/nonexistent/run' }, { XDG_RUNTIME_DIR: 'relative' }, {}]) {
      const dir = scratchDir('runbook-', env);
      expect(existsSync(dir)).toBe(true);
      expect(['/dev/shm', tmpdir()]).toContain(path.dirname(dir));
      rmSync(dir, { recursive: true });
    }
  });
});
