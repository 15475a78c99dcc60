// The analysis thread of a first --list (analysis/analyzer.ts): given the runbook's text or its file it
// starts on the code of its shell fences before the steps come, and answers every step as the analysis
// itself does, whether it found that step's code ahead, found it another way (a fence in a list), was
// given the text of another runbook, or a file it must not read (a named pipe); run from its modules and
// from the bundle the build makes of them, which is taken only while none of those is newer.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeRunbook } from '../../lib/analysis/analyze.ts';
import type { Ahead, AnalyzerThread } from '../../lib/analysis/analyzer.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';
import { bundleThread } from '../../scripts/bundle-thread.mjs';
import { ROOT } from '../helpers/cli.ts';

// The thread runs built files, as the CLI does: the modules tsc built, or a bundle of them made here as
// the build makes it (beside node_modules, where it finds the parser).
const built = new URL('../../dist/analysis/analyzer.js', import.meta.url).href;
const entries: Record<string, URL> = {
  modules: new URL('../../dist/analysis/thread-worker.js', import.meta.url),
};
beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'runbook-bundle-'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
  mkdirSync(path.join(root, 'analysis'));
  await bundleThread(path.join(root, 'analysis'));
  entries.bundle = pathToFileURL(path.join(root, 'analysis/thread-worker.cjs'));
}, 30_000);
const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const RUNBOOK = read('../../runbook.md');
const NESTED = read('../fixtures/parse/nested.md');

describe.each(['modules', 'bundle'])('the analysis thread, from its %s', { timeout: 30_000 }, (from) => {
  const start = async (ahead?: Ahead): Promise<AnalyzerThread> =>
    (await import(built)).startAnalyzerThread(ahead, entries[from]) as AnalyzerThread;

  it.each([
    ['the shipped runbook, with its own text', RUNBOOK, RUNBOOK],
    ['fences in lists and quotes, with its own text', NESTED, NESTED],
    ['the shipped runbook, with no text', RUNBOOK, undefined],
    ['fences in lists, with the text of another runbook', NESTED, RUNBOOK],
  ])('answers as the analysis does: %s', async (_, runbook, text) => {
    const steps = parseRunbook(runbook).steps;
    const thread = await start(text === undefined ? undefined : { text });
    try {
      expect(await thread.analyze(steps)).toEqual(await analyzeRunbook(steps));
    } finally {
      thread.end();
    }
  });

  it.each([
    ['the shipped runbook', '../../runbook.md'],
    ['a file that is not there', '../fixtures/none.md'],
  ])('answers as the analysis does, given a file: %s', async (_, file) => {
    const steps = parseRunbook(RUNBOOK).steps;
    const thread = await start({ file: new URL(file, import.meta.url).pathname });
    try {
      expect(await thread.analyze(steps)).toEqual(await analyzeRunbook(steps));
    } finally {
      thread.end();
    }
  });

  it('neither reads nor waits on a named pipe it is given', async () => {
    const fifo = path.join(mkdtempSync(path.join(tmpdir(), 'runbook-fifo-')), 'runbook.md');
    execFileSync('mkfifo', [fifo]);
    const steps = parseRunbook(RUNBOOK).steps;
    const thread = await start({ file: fifo });
    try {
      expect(await thread.analyze(steps)).toEqual(await analyzeRunbook(steps));
    } finally {
      thread.end();
    }
    // All that is written to the pipe is still there for its reader.
    const writer = spawn('sh', ['-c', `printf '%s' "$1" > "$2"`, 'sh', RUNBOOK, fifo]);
    expect(readFileSync(fifo, 'utf8')).toBe(RUNBOOK);
    await new Promise((resolve) => writer.once('close', resolve));
  });

  it('ends once it has answered the last list of steps', async () => {
    const steps = parseRunbook(RUNBOOK).steps;
    const thread = await start({ text: RUNBOOK });
    expect(await thread.analyzeLast(steps)).toEqual(await analyzeRunbook(steps));
    await expect(thread.analyze(steps)).rejects.toThrow(/variable analysis ended/);
  });

  it('answers a large step as the analysis does, in its small young generation', async () => {
    const lines = Array.from(
      { length: 4000 },
      (_, i) => `V${i}="\${V${i - 1}:-x}-$(date +%s)"; echo "$V${i}"`,
    );
    const steps = parseRunbook(`\`\`\`bash\n${lines.join('\n')}\n\`\`\`\n`).steps;
    const thread = await start({ text: RUNBOOK });
    try {
      expect(await thread.analyze(steps)).toEqual(await analyzeRunbook(steps));
    } finally {
      thread.end();
    }
  });

  it('answers a second list of steps too', async () => {
    const thread = await start({ text: RUNBOOK });
    try {
      const steps = parseRunbook(RUNBOOK).steps;
      await thread.analyze(steps);
      const edited = steps.map((s) => ({ ...s, code: `${s.code}\nEDITED_${s.index}=1` }));
      expect(await thread.analyze(edited)).toEqual(await analyzeRunbook(edited));
    } finally {
      thread.end();
    }
  });
});

describe('which file the thread starts from', () => {
  const threadEntry = async (dir: URL): Promise<URL> => (await import(built)).threadEntry(dir);
  /** A folder with a bundle made at `made` from a.js and b.js, changed at the times given. */
  function folder(made: number, a: number, b: number): URL {
    const dir = mkdtempSync(path.join(tmpdir(), 'runbook-entry-'));
    mkdirSync(path.join(dir, 'sub'));
    for (const [file, time] of [
      ['thread-worker.cjs', made],
      ['a.js', a],
      ['sub/b.js', b],
    ] as const) {
      writeFileSync(path.join(dir, file), '');
      utimesSync(path.join(dir, file), time, time);
    }
    writeFileSync(path.join(dir, 'thread-worker.inputs.json'), JSON.stringify(['a.js', 'sub/b.js']));
    return pathToFileURL(`${dir}/`);
  }

  it('the bundle, while no file it was made from is newer', async () =>
    expect((await threadEntry(folder(2000, 1000, 2000))).pathname).toMatch(/\/thread-worker\.cjs$/));
  it('the modules, once one of them is newer', async () =>
    expect((await threadEntry(folder(2000, 1000, 3000))).pathname).toMatch(/\/thread-worker\.js$/));
  it('the modules, with no bundle', async () => {
    const dir = pathToFileURL(`${mkdtempSync(path.join(tmpdir(), 'runbook-entry-'))}/`);
    expect((await threadEntry(dir)).pathname).toMatch(/\/thread-worker\.js$/);
  });
});
