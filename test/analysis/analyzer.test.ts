// The analysis thread of a first --list (analysis/analyzer.ts): given the runbook's text it starts on the
// code of its shell fences before the steps come, and answers every step as the analysis itself does,
// whether it found that step's code ahead, found it another way (a fence in a list), or was given the
// text of another runbook.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeRunbook } from '../../lib/analysis/analyze.ts';
import type { AnalyzerThread } from '../../lib/analysis/analyzer.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';

// The thread runs the built worker file, as the CLI does.
const built = new URL('../../dist/analysis/analyzer.js', import.meta.url).href;
const start = async (text?: string): Promise<AnalyzerThread> =>
  (await import(built)).startAnalyzerThread(text) as AnalyzerThread;
const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const RUNBOOK = read('../../runbook.md');
const NESTED = read('../fixtures/parse/nested.md');

describe('the analysis thread', { timeout: 30_000 }, () => {
  it.each([
    ['the shipped runbook, with its own text', RUNBOOK, RUNBOOK],
    ['fences in lists and quotes, with its own text', NESTED, NESTED],
    ['the shipped runbook, with no text', RUNBOOK, undefined],
    ['fences in lists, with the text of another runbook', NESTED, RUNBOOK],
  ])('answers as the analysis does: %s', async (_, runbook, text) => {
    const steps = parseRunbook(runbook).steps;
    const thread = await start(text);
    try {
      expect(await thread.analyze(steps)).toEqual(await analyzeRunbook(steps));
    } finally {
      thread.end();
    }
  });

  it('ends once it has answered the last list of steps', async () => {
    const steps = parseRunbook(RUNBOOK).steps;
    const thread = await start(RUNBOOK);
    expect(await thread.analyzeLast(steps)).toEqual(await analyzeRunbook(steps));
    await expect(thread.analyze(steps)).rejects.toThrow(/variable analysis ended/);
  });

  it('answers a second list of steps too', async () => {
    const thread = await start(RUNBOOK);
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
