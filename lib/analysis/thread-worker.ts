// The worker thread of analyzer.ts: loads the bash parser as soon as it starts, then answers each list of
// steps with their analyses.
import { parentPort } from 'node:worker_threads';
import type { Step } from '../core/types.ts';
import { analyzeRunbook } from './analyze.ts';
import { loadShellParser } from './bash-parser.ts';

const parser = loadShellParser();
parentPort?.on('message', async (steps: Step[]) => {
  await parser;
  parentPort?.postMessage(await analyzeRunbook(steps));
});
