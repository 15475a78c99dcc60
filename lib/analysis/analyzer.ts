// Where the variable analysis runs when the cache does not have a step. For a run, in a short-lived child
// process: the bash parser's memory then never adds to the runner's while steps run. For --list, in a
// worker thread that starts loading the parser at once, on the other core, and analysing the code of the
// runbook's fences while the runbook is parsed: that is most of what a first listing waits for. The entry
// may start that thread before the CLI has even loaded (early.ts).
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Step } from '../core/types.ts';
import type { VariableAnalysis } from './variables.ts';

export type Analyze = (steps: Step[]) => Promise<VariableAnalysis[]>;

/** Analyses steps in a child process. */
export async function analyzeInChild(steps: Step[]): Promise<VariableAnalysis[]> {
  const { spawn } = await import('node:child_process');
  const entry = new URL('./worker.js', import.meta.url);
  const child = spawn(process.execPath, [entry.pathname], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  child.stdin.end(JSON.stringify(steps));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`variable analysis failed: ${Buffer.concat(err).toString().trim()}`);
  return JSON.parse(Buffer.concat(out).toString('utf8')) as VariableAnalysis[];
}

/** What the thread starts on before any steps come: the runbook's text, or the file to read it from. */
export type Ahead = { text: string } | { file: string };

/**
 * A worker thread that loads the parser now and analyses what it is given. It holds the process open only
 * while an answer is awaited, so one never asked (an error first, another command) cannot keep it.
 */
export interface AnalyzerThread {
  analyze: Analyze;
  /** Analyses, then ends the thread as soon as the answer is in: its teardown runs while that is used. */
  analyzeLast: Analyze;
  end(): void;
}

/**
 * The thread's code: bundled into one CommonJS file at build time (scripts/bundle-thread.mjs), which a
 * thread starts sooner, while no file it was made from is newer; else the modules themselves.
 */
export function threadEntry(dir = new URL('./', import.meta.url)): URL {
  const bundle = new URL('thread-worker.cjs', dir);
  try {
    const made = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(new URL('thread-worker.inputs.json', dir), 'utf8')) as string[];
    if (inputs.every((input) => statSync(new URL(input, dir)).mtimeMs <= made)) return bundle;
  } catch {
    // No bundle, or one that cannot be checked.
  }
  return new URL('thread-worker.js', dir);
}

export function startAnalyzerThread(ahead?: Ahead, entry = threadEntry()): AnalyzerThread {
  // Required here, not imported: the entry loads this module for every command line (early.ts), and
  // only a first listing starts a thread.
  const { Worker } = createRequire(import.meta.url)(
    'node:worker_threads',
  ) as typeof import('node:worker_threads');
  // The thread's heap is mostly the parser, made once and kept. A young generation held at the size it
  // starts with (V8 splits it in three: two semi-spaces and one for large objects) promotes that in many
  // short scavenges, where one left to grow copied it again and again in longer ones, and grew the heap.
  const worker = new Worker(entry, {
    workerData: ahead ?? {},
    resourceLimits: { maxYoungGenerationSizeMb: 3 },
  });
  worker.unref();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    void worker.terminate();
  };
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', (e) => reject(new Error(`variable analysis failed: ${e.message}`)));
    worker.once('exit', (code) => reject(new Error(`variable analysis ended (exit ${code})`)));
  });
  failed.catch(() => {});
  const ask = async (steps: Step[], last: boolean) => {
    worker.ref();
    const answer = new Promise<VariableAnalysis[]>((resolve) => worker.once('message', resolve));
    worker.postMessage(steps);
    try {
      return await Promise.race([answer, failed]);
    } finally {
      if (last) end();
      else worker.unref();
    }
  };
  return { analyze: (steps) => ask(steps, false), analyzeLast: (steps) => ask(steps, true), end };
}
