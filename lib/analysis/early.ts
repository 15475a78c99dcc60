// The analysis thread the entry starts for a first `runbook --list FILE`, before the CLI itself has loaded:
// the thread's start, the parser's and the fences' analysis are what a first listing waits for, so every
// moment earlier counts, and this module imports next to nothing for that reason. Only for a command line
// that can be nothing but a listing of a regular file with no analysis kept beside it yet; the CLI still
// decides (cli.ts), and ends a thread it does not use.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_RUNBOOK } from '../core/options.ts';
import { type AnalyzerThread, startAnalyzerThread } from './analyzer.ts';

export interface EarlyThread {
  /** The runbook it reads, absolute, as the CLI resolves it. */
  file: string;
  thread: AnalyzerThread;
}

/** The file that `argv` lists: only `--list` (or `-l`), maybe `--json`, and at most one file. */
export function listedFile(argv: string[]): string | undefined {
  let list = false;
  const files: string[] = [];
  for (const arg of argv) {
    if (arg === '--list' || arg === '-l') list = true;
    else if (arg.startsWith('-')) {
      if (arg !== '--json') return undefined;
    } else files.push(arg);
  }
  if (!list || files.length > 1 || files[0] === 'check' || files[0] === 'serve') return undefined;
  return files[0] ?? DEFAULT_RUNBOOK;
}

/**
 * Whether the analysis of `file` is kept in `.runbook/` beside it, as os/state-dir.ts names it, looked at
 * without loading that module. One kept in the state home instead is not looked for: the thread is then
 * started, and the CLI, which knows, ends it unused.
 */
function analysedBeside(file: string): boolean {
  const name = path.basename(file).replace(/\.md$/i, '');
  return existsSync(path.join(path.dirname(file), '.runbook', `${name}.analysis.json`));
}

/** Starts the thread on the file `argv` lists, when that is a regular file no analysis is kept for. */
export function startEarly(argv: string[], cwd = process.cwd()): EarlyThread | undefined {
  const listed = listedFile(argv);
  if (listed === undefined) return undefined;
  const file = path.resolve(cwd, listed);
  try {
    // A file descriptor's path (/dev/stdin, /proc/…/fd/N) is left to the CLI, which reads it once.
    if (/^\/(dev|proc)\//.test(file) || !statSync(file).isFile() || analysedBeside(file)) return undefined;
    return { file, thread: startAnalyzerThread({ file }) };
  } catch {
    // Nothing to start on: the CLI says what is wrong, or analyses as it would have.
    return undefined;
  }
}
