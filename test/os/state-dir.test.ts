// Where a runbook belongs and where its own files go: the rule of os/state-dir.ts, one case a line.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheFile, placeOf, stateDir, stateFile } from '../../lib/os/state-dir.ts';

const root = () => mkdtempSync(path.join(tmpdir(), 'runbook-place-'));
const where = (dir: string) => ({ cwd: dir, env: { XDG_STATE_HOME: path.join(dir, 'state') } });

describe('placeOf', () => {
  it('a file is itself: its directory, its path as identity', () => {
    const dir = root();
    writeFileSync(path.join(dir, 'deploy.md'), '');
    expect(placeOf(path.join(dir, 'deploy.md'), '', where(dir))).toMatchObject({
      file: path.join(dir, 'deploy.md'),
      dir,
      stream: false,
      identity: path.join(dir, 'deploy.md'),
      name: 'deploy',
    });
  });

  it('a path with nothing there yet is a file, not a stream', () => {
    const dir = root();
    expect(placeOf(path.join(dir, 'later.md'), '', where(dir)).stream).toBe(false);
  });

  it('a named pipe is a stream in its own directory, keyed by its text', () => {
    const dir = root();
    const fifo = path.join(dir, 'pipe.md');
    execFileSync('mkfifo', [fifo]);
    const a = placeOf(fifo, 'one', where(dir));
    expect(a).toMatchObject({ stream: true, dir, name: 'stream' });
    expect(placeOf(fifo, 'two', where(dir)).homeFolder).not.toBe(a.homeFolder);
  });

  it('a descriptor path that is not a file is a stream in the current directory', () => {
    const dir = root();
    expect(placeOf('/proc/self/fd/999999', 'x', where(dir))).toMatchObject({ stream: true, dir });
  });

  it('folders in the state home are named for the runbook and a hash of its path', () => {
    const dir = root();
    const place = placeOf(path.join(dir, 'a b.md'), '', where(dir));
    expect(path.relative(path.join(dir, 'state', 'runbook'), place.homeFolder)).toMatch(/^a_b-[0-9a-f]{16}$/);
  });
});

describe('stateDir', () => {
  it('is .runbook beside a runbook whose directory can hold it, made 0700', () => {
    const dir = root();
    const place = placeOf(path.join(dir, 'r.md'), '', where(dir));
    expect(stateFile(place, 'state.json')).toBe(path.join(dir, '.runbook', 'r.state.json'));
  });

  it('is the state home folder when .runbook is a file', () => {
    const dir = root();
    writeFileSync(path.join(dir, '.runbook'), '');
    const place = placeOf(path.join(dir, 'r.md'), '', where(dir));
    expect(stateDir(place)).toBe(place.homeFolder);
  });

  it('is nowhere, with both reasons, when the state home is a file too', () => {
    const dir = root();
    writeFileSync(path.join(dir, '.runbook'), '');
    writeFileSync(path.join(dir, 'state'), '');
    const place = placeOf(path.join(dir, 'r.md'), '', where(dir));
    expect(() => stateDir(place)).toThrow(/\.runbook is not a directory; .*state is not a directory/);
    expect(cacheFile(place, 'parse.json')).toBeUndefined();
  });

  it('gives a stream no cache', () => {
    const dir = root();
    execFileSync('mkfifo', [path.join(dir, 'p.md')]);
    expect(cacheFile(placeOf(path.join(dir, 'p.md'), 'x', where(dir)), 'parse.json')).toBeUndefined();
  });
});
