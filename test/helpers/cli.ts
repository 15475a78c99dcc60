// Runs the built CLI as a user would: a real process, real bash, a scratch copy of the fixtures.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/runbook.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Writes the runbook `name` (a file name) in `dir`: one bash step per entry of `steps`; its path. */
export function writeSteps(dir: string, name: string, steps: string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, `${steps.map((s) => `\`\`\`bash\n${s}\n\`\`\``).join('\n\n')}\n`);
  return file;
}

/** A fresh directory holding copies of the named fixture files or folders. */
export function scratch(...fixtures: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'runbook-test-'));
  for (const f of fixtures)
    cpSync(path.join(FIXTURES, f), path.join(dir, path.basename(f)), { recursive: true });
  return dir;
}

export function startCli(args: string[], opts: SpawnOptions = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...opts,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
  });
  return { child, ...collect(child) };
}

/** What a child prints, kept; `done` once it has closed its output (`onClose` first, if given). */
export function collect(child: ChildProcess, onClose?: () => void) {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      onClose?.();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { done, output: () => stdout + stderr };
}

export function runCli(args: string[], opts: SpawnOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** Polls until `check` returns true, or throws after `ms`. */
export async function waitFor(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Running: a process that has ended but waits to be reaped (a zombie) is not. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/**
 * Sends SIGINT to a running CLI whose step started `pids`, and checks that it exits 130 within a few
 * seconds with every one of those processes gone.
 */
export async function interruptAndExpectTreeGone(run: ReturnType<typeof startCli>, pids: number[]) {
  for (const p of pids) expect(alive(p), `pid ${p} before`).toBe(true);
  const sent = Date.now();
  run.child.kill('SIGINT');
  const r = await run.done;
  expect(r.code).toBe(130);
  expect(Date.now() - sent).toBeLessThan(5000);
  for (const p of pids) expect(alive(p), `pid ${p}`).toBe(false);
  return r;
}
