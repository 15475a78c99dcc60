// The worker thread of analyzer.ts: loads the bash parser as soon as it starts and, given the runbook's
// text, analyses the code of its shell fences (markdown/fence-scan.ts) while the main thread is still
// parsing the Markdown. Each list of steps is then answered from those analyses where a step's code is the
// same, and by analysing the others then.
import { parentPort, workerData } from 'node:worker_threads';
import type { Step } from '../core/types.ts';
import { shellFenceCode } from '../markdown/fence-scan.ts';
import { analyzeRunbook, analyzeShell } from './analyze.ts';
import { loadShellParser } from './bash-parser.ts';
import type { VariableAnalysis } from './variables.ts';

const parser = loadShellParser();
const ahead = new Map<string, Promise<VariableAnalysis>>();
const text = (workerData as { text?: unknown } | null)?.text;
if (typeof text === 'string') {
  for (const code of shellFenceCode(text)) {
    if (!ahead.has(code))
      ahead.set(
        code,
        parser.then(() => analyzeShell(code)),
      );
  }
}
parentPort?.on('message', async (steps: Step[]) => {
  await parser;
  parentPort?.postMessage(await analyzeRunbook(steps, ahead));
});
