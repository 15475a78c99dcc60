// The run lock under contention: runs of one runbook started together, each in a process of its own,
// never hold it at once, and none fails for another's lock coming or going under it.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, scratch } from '../helpers/cli.ts';

/** Takes the lock `times` times, holding it `ms` each; prints what happened, one line each time. */
const HOLDER = `
const { lockRun } = await import(${JSON.stringify(path.join(ROOT, 'dist/engine/run-lock.js'))});
const { placeOf } = await import(${JSON.stringify(path.join(ROOT, 'dist/os/state-dir.js'))});
const [file, times, ms] = process.argv.slice(1);
const place = placeOf(file, '', { cwd: process.cwd(), env: {} });
for (let i = 0; i < Number(times); i++) {
  try {
    const lock = lockRun(place, 'test', '0123456789abcdef');
    console.log('held');
    if (Number(ms)) await new Promise((r) => setTimeout(r, Number(ms)));
    lock.release();
  } catch (err) {
    console.log(err.constructor.name + ': ' + err.message);
  }
}
`;

function take(file: string, times = 1, ms = 2000): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', HOLDER, file, String(times), String(ms)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  return new Promise((resolve) => child.on('close', () => resolve(out.trim())));
}

describe('lockRun', () => {
  it('is held by one of many runs started together; the others are told who holds it', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = scratch();
      mkdirSync(path.join(dir, '.runbook'));
      const file = path.join(dir, 'r.md');
      writeFileSync(file, '');
      const results = await Promise.all(Array.from({ length: 8 }, () => take(file)));
      expect(
        results.filter((r) => r === 'held'),
        results.join('\n'),
      ).toHaveLength(1);
      for (const r of results.filter((x) => x !== 'held'))
        expect(r).toMatch(/^StateError: another run of this runbook \(pid \d+, test\) is in progress/);
    }
  }, 30_000);

  it('taken and released again and again by runs side by side, never fails for one coming or going', async () => {
    const dir = scratch();
    mkdirSync(path.join(dir, '.runbook'));
    const file = path.join(dir, 'r.md');
    writeFileSync(file, '');
    const lines = (await Promise.all(Array.from({ length: 6 }, () => take(file, 300, 0))))
      .join('\n')
      .split('\n');
    const odd = lines.filter((l) => l !== 'held' && !/^StateError: another run of this runbook/.test(l));
    expect(odd).toEqual([]);
    expect(lines.filter((l) => l === 'held').length).toBeGreaterThan(0);
  }, 30_000);
});
