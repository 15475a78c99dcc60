// The analysis thread the entry starts for a first --list (analysis/early.ts): only for a command line that
// can be nothing but a listing, of a regular file with no analysis kept yet; its answers are the
// analysis's own, and one started but never asked keeps no process from ending.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeRunbook } from '../../lib/analysis/analyze.ts';
import { type EarlyThread, listedFile } from '../../lib/analysis/early.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';
import { cacheFile, placeOf } from '../../lib/os/state-dir.ts';

// The thread runs the built worker file, as the entry does.
const built = new URL('../../dist/analysis/early.js', import.meta.url).href;
const startEarly = async (argv: string[], cwd: string) =>
  (await import(built)).startEarly(argv, cwd) as EarlyThread | undefined;
const RUNBOOK = readFileSync(new URL('../../runbook.md', import.meta.url), 'utf8');

function place() {
  const dir = mkdtempSync(path.join(tmpdir(), 'runbook-early-'));
  writeFileSync(path.join(dir, 'runbook.md'), RUNBOOK);
  return { dir, env: { XDG_STATE_HOME: path.join(dir, 'state'), HOME: dir } };
}

describe('the command lines it starts for', () => {
  it.each([
    [['--list', 'deploy.md'], 'deploy.md'],
    [['-l'], 'runbook.md'],
    [['deploy.md', '--json', '--list'], 'deploy.md'],
  ])('%j lists %s', (argv, file) => expect(listedFile(argv)).toBe(file));

  it.each([
    [[]],
    [['deploy.md']],
    [['--list', 'a.md', 'b.md']],
    [['--list', '--yes', 'a.md']],
    [['--list', '--help']],
    [['-lv']],
    [['--list=yes']],
    [['--list', '--', 'a.md']],
    [['check', '--list']],
    [['serve', '--list']],
  ])('%j is not a listing it starts for', (argv) => expect(listedFile(argv)).toBeUndefined());
});

describe('the thread the entry starts', { timeout: 30_000 }, () => {
  it('answers the steps as the analysis does, then ends', async () => {
    const { dir } = place();
    const early = await startEarly(['--list', 'runbook.md'], dir);
    expect(early?.file).toBe(path.join(dir, 'runbook.md'));
    const steps = parseRunbook(RUNBOOK).steps;
    expect(await early?.thread.analyzeLast(steps)).toEqual(await analyzeRunbook(steps));
    await expect(early?.thread.analyze(steps)).rejects.toThrow(/variable analysis ended/);
  });

  it('is not started for a file not there, a directory, a pipe, a descriptor, or one analysed', async () => {
    const { dir, env } = place();
    mkdirSync(path.join(dir, 'folder.md'));
    execFileSync('mkfifo', [path.join(dir, 'pipe.md')]);
    // Where the CLI keeps the analysis: the looking without os/state-dir.ts must find it there.
    const done = path.join(dir, 'done.md');
    writeFileSync(done, RUNBOOK);
    writeFileSync(cacheFile(placeOf(done, RUNBOOK, { cwd: dir, env }), 'analysis.json') as string, '{}');
    for (const file of ['none.md', 'folder.md', 'pipe.md', '/dev/stdin', 'done.md'])
      expect(await startEarly(['--list', file], dir)).toBeUndefined();
  });

  it('keeps no process from ending when nothing asks it', () => {
    const { dir, env } = place();
    const script = `const e = (await import(${JSON.stringify(built)})).startEarly(['--list'], ${JSON.stringify(dir)}); if (!e) process.exit(3);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
  });
});
