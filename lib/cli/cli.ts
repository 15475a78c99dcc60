// The command line: help, the command, exit codes; its arguments are read by arguments.ts. The only module
// that decides how the process ends.
// Kept light: --help, --version and --list must not load zx, clack or marked-terminal.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EarlyThread } from '../analysis/early.ts';
import { EXIT, RunbookError } from '../core/errors.ts';
import { readRunbook } from '../markdown/load.ts';
import { leaveDeadTerminal } from '../os/dead-terminal.ts';
import { stopExit, stopped, watchStops } from '../os/signals.ts';
import { cacheFile } from '../os/state-dir.ts';
import { parseCli, USAGE } from './arguments.ts';

export interface CliIO {
  argv: string[];
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The analysis thread the entry started for what it took to be a first --list (analysis/early.ts). */
  early?: EarlyThread;
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export async function main(io: CliIO): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  // From here to the end: a signal, or a reader of the output that goes away, with nothing running that
  // must be ended first, ends the process at once, quietly (a run listens for its own; see os/signals).
  const unwatch = watchStops([stdout, stderr], (stop) => {
    leaveDeadTerminal();
    process.exit(stopExit(stop));
  });
  try {
    const code = await command(io, stdout, stderr, env);
    // Output that was cut off is the exit code, whatever the command made of the rest. A write to a pipe
    // nobody reads fails a moment after it returned: wait for what was written to be taken.
    await Promise.all([stdout, stderr].map(written));
    return stopped() === 'EPIPE' ? EXIT.outputClosed : code;
  } catch (err) {
    const stop = stopped();
    // An error that a stop caused (a child process ended by the same Ctrl-C) is the stop's.
    if (stop) return stopExit(stop);
    if (err instanceof RunbookError) {
      stderr.write(`runbook: ${err.message}\n`);
      return err.exitCode;
    }
    // A bug, not bad input: still one line, with the stack only on request.
    const detail = env.RUNBOOK_DEBUG ? (err as Error)?.stack : (err as Error)?.message;
    stderr.write(`runbook: internal error: ${detail ?? String(err)}\n`);
    // The runner's own failure, never a step's: exit 1 would say a step failed.
    return EXIT.usage;
  } finally {
    unwatch();
    io.early?.thread.end();
    leaveDeadTerminal();
  }
}

/** Resolves once everything written to `stream` so far went out (or failed). */
function written(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed) resolve();
    else stream.write('', () => resolve());
  });
}

async function command(
  io: CliIO,
  stdout: NodeJS.WriteStream,
  stderr: NodeJS.WriteStream,
  baseEnv: NodeJS.ProcessEnv,
): Promise<number> {
  const { command, file, options } = parseCli(io.argv);
  if (command === 'help') {
    stdout.write(USAGE);
    return EXIT.ok;
  }
  if (command === 'version') {
    stdout.write(`runbook ${version()}\n`);
    return EXIT.ok;
  }
  const cwd = io.cwd ?? process.cwd();
  const abs = path.resolve(cwd, file);
  let env = baseEnv;
  if (options.envFiles?.length && !options.list) {
    const { readEnvFiles } = await import('../os/env-file.ts');
    env = { ...env, ...readEnvFiles(options.envFiles.map((f) => path.resolve(cwd, f))) };
  }
  if (command === 'check') {
    const { runCheck } = await import('../check/command.ts');
    return await runCheck(abs, options, { stdout, stderr, env, cwd });
  }
  if (options.list) {
    const { text, place } = readRunbook(abs, { cwd, env });
    // Nothing analysed for this runbook yet: the parser loads on the other core while it is parsed, in
    // the thread the entry started for it if it did.
    const cache = cacheFile(place, 'analysis.json');
    const analysed = cache !== undefined && existsSync(cache);
    const early = io.early?.file === abs ? io.early.thread : undefined;
    const thread = analysed
      ? undefined
      : (early ?? (await import('../analysis/analyzer.ts')).startAnalyzerThread({ text }));
    try {
      const { parseCached } = await import('../markdown/parse-cache.ts');
      const runbook = await parseCached(text, place);
      const { printList } = await import('../ui/list.ts');
      await printList(runbook, place, options.json, { stdout, stderr, env: baseEnv }, thread?.analyzeLast);
    } finally {
      thread?.end();
    }
    return EXIT.ok;
  }
  const { runRunbook } = await import('../run/run.ts');
  return await runRunbook(abs, options, { stdin: io.stdin ?? process.stdin, stdout, stderr, env });
}
