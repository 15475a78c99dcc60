// The worker thread of analyzer.ts: loads the bash parser as soon as it starts and, given the runbook's
// text or its file, analyses the code of its shell fences (markdown/fence-scan.ts) while the main thread is
// still parsing the Markdown. Each list of steps is then answered from those analyses where a step's code
// is the same, and by analysing the others then.
//
// While it analyses those fences V8's optimizing compiler is off, for the whole process (V8's flags are
// the process's, not a thread's): in a process this short the parser's hot functions were optimized on
// the other core too late to pay off, taking that core from the two threads that matter, and the thread's
// end waited for compiles still running. It goes off only once V8 has judged the parser's code cache, and
// is on again before that cache may be written: V8 takes a cache only under the flags it was made with.
// It is left alone when Node was started with its own say about it.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { Step } from '../core/types.ts';
import { shellFenceCode } from '../markdown/fence-scan.ts';
import { analyzeRunbook, analyzeShell } from './analyze.ts';
import { loadShellParser } from './bash-parser.ts';

/**
 * A regular file's text, else undefined: a pipe or a terminal is not read (that would take what the main
 * thread reads), nor waited on (the open does not block), and an error only means nothing to start on.
 */
function readRegular(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    return fstatSync(fd).isFile() ? readFileSync(fd, 'utf8') : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const chosen = /--(no-)?(opt|turbofan)\b/.test(
  [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' '),
);
let turnedOff = false;

/** Turns V8's optimizing compiler off, or on again once, unless the command line or NODE_OPTIONS chose. */
function optimizing(on: boolean): void {
  if (chosen || turnedOff !== on) return;
  setFlagsFromString(on ? '--opt' : '--no-opt');
  turnedOff = !on;
}

const given = (workerData ?? {}) as { text?: unknown; file?: unknown };
const text =
  typeof given.text === 'string'
    ? given.text
    : typeof given.file === 'string'
      ? readRegular(given.file)
      : undefined;
const codes = new Set(text === undefined ? [] : shellFenceCode(text));
const parser = loadShellParser(codes.size ? () => optimizing(false) : undefined);
const ahead = new Map([...codes].map((code) => [code, parser.then(() => analyzeShell(code))]));
// On again once those are done, whether or not any steps come.
const aheadDone = Promise.allSettled(ahead.values()).then(() => optimizing(true));
parentPort?.on('message', async (steps: Step[]) => {
  await parser;
  await aheadDone;
  parentPort?.postMessage(await analyzeRunbook(steps, ahead));
});
