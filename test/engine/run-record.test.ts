// The run record's writer and the run's scratch directory: where what a run keeps goes, and how.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Step } from '../../lib/core/types.ts';
import { RecordWriter } from '../../lib/engine/record-writer.ts';
import { loadRecord, newRecord } from '../../lib/engine/run-record.ts';
import { scratchDir } from '../../lib/os/scratch.ts';
import { placeOf } from '../../lib/os/state-dir.ts';
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

describe('RecordWriter and long values', () => {
  const long = (c: string) => c.repeat(200_000);
  const withVars = (dir: string, vars: Record<string, string>) => {
    const r = record(dir, 'x');
    r.context = {
      ...r.context,
      vars: Object.fromEntries(
        Object.entries(vars).map(([n, value]) => [n, { type: 'scalar', attrs: '', value }]),
      ),
    };
    return r;
  };

  it('keeps a long value in a file of its own, written once, and reads it back on resume', async () => {
    const dir = scratch();
    const file = recordFile(dir);
    const writer = new RecordWriter(file, 0);
    const r = withVars(dir, { BIG: long('a'), SMALL: 'b' });
    const first = r.steps[0] as (typeof r.steps)[0];
    first.setVars = ['BIG'];
    first.setValues = { BIG: long('a') };
    writer.save(() => r);
    await writer.flush();
    const values = path.join(dir, '.runbook', 'rb.values');
    const [only] = readdirSync(values);
    const written = statSync(path.join(values, only as string)).mtimeMs;
    // Saved again and again: the record stays small, the value's file is not written again.
    for (let i = 0; i < 5; i++) {
      writer.save(() => r);
      await writer.flush();
    }
    expect(statSync(file).size).toBeLessThan(10_000);
    expect(statSync(path.join(values, only as string)).mtimeMs).toBe(written);
    expect(statSync(path.join(values, only as string)).mode & 0o777).toBe(0o600);
    const onDisk = JSON.parse(readFileSync(file, 'utf8'));
    expect(onDisk.context.vars.BIG).toEqual({ file: only });
    expect(onDisk.steps[0].setValues.BIG).toMatch(/^a{4096}… \(200000 characters\)$/);
    writeFileSync(path.join(dir, 'rb.md'), '');
    const back = loadRecord(placeOf(path.join(dir, 'rb.md'), '', { cwd: dir, env: {} }));
    expect(back?.context.vars).toEqual(r.context.vars);
  });

  it('removes the files of values it no longer carries, leaves secrets out and lists them as withheld', async () => {
    const dir = scratch();
    const file = recordFile(dir);
    const writer = new RecordWriter(file, 0, (name) => name.endsWith('TOKEN'));
    writer.save(() => withVars(dir, { BIG: long('a'), API_TOKEN: long('s') }));
    await writer.flush();
    const values = path.join(dir, '.runbook', 'rb.values');
    expect(readdirSync(values)).toHaveLength(1);
    const onDisk = JSON.parse(readFileSync(file, 'utf8'));
    expect([Object.keys(onDisk.context.vars), onDisk.withheld]).toEqual([['BIG'], ['API_TOKEN']]);
    writer.save(() => withVars(dir, { BIG: long('b') }));
    await writer.flush();
    const [now] = readdirSync(values);
    expect(readFileSync(path.join(values, now as string), 'utf8')).toContain('bbbb');
    expect(readdirSync(values)).toHaveLength(1);
  });

  it('calls a record whose value file is gone or named oddly corrupt', async () => {
    const dir = scratch();
    const file = recordFile(dir);
    writeFileSync(path.join(dir, 'rb.md'), '');
    const place = placeOf(path.join(dir, 'rb.md'), '', { cwd: dir, env: {} });
    const writer = new RecordWriter(file, 0);
    writer.save(() => withVars(dir, { BIG: long('a') }));
    await writer.flush();
    const values = path.join(dir, '.runbook', 'rb.values');
    rmSync(path.join(values, readdirSync(values)[0] as string));
    expect(() => loadRecord(place)).toThrow(/is corrupt \(the value of BIG is unreadable/);
    const odd = JSON.parse(readFileSync(file, 'utf8'));
    odd.context.vars.BIG = { file: '../../etc/passwd' };
    writeFileSync(file, JSON.stringify(odd));
    expect(() => loadRecord(place)).toThrow(/is corrupt \(the value of BIG names a bad file/);
  });

  it('calls a record whose withheld list is not of variable names corrupt', async () => {
    const dir = scratch();
    const file = recordFile(dir);
    writeFileSync(path.join(dir, 'rb.md'), '');
    const place = placeOf(path.join(dir, 'rb.md'), '', { cwd: dir, env: {} });
    const writer = new RecordWriter(file, 0);
    writer.save(() => withVars(dir, { A: '1' }));
    await writer.flush();
    expect(loadRecord(place)?.withheld).toEqual([]);
    for (const withheld of [[{ name: 'X' }], ['not a name'], 'X']) {
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), withheld }));
      expect(() => loadRecord(place)).toThrow(
        /is corrupt \(withheld list missing or not of variable names\)/,
      );
    }
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
