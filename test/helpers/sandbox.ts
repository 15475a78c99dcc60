// A run under watch: its own scratch place ($XDG_RUNTIME_DIR, $TMPDIR) and state home ($XDG_STATE_HOME),
// so a test can say that nothing of the run is left afterwards: no file in those places, no process that
// names them. The runner writes nowhere else but the runbook's own directory, --record, and the bash
// parser's code cache in $XDG_CACHE_HOME/runbook (os/code-cache.ts).
import { type SpawnOptions, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { alive, BIN, collect, waitFor } from './cli.ts';

/** The uid tests run a second user as (nobody), when they run as root. */
export const OTHER_USER = 65534;
export const isRoot = process.getuid?.() === 0;

export interface Sandbox {
  /** Where the runbooks go (the current directory of the runs). */
  dir: string;
  runtime: string;
  tmp: string;
  state: string;
  env: Record<string, string>;
}

/** Fresh directories for a run; `forOtherUser` makes them usable by OTHER_USER too. */
export function sandbox(forOtherUser = false): Sandbox {
  const root = mkdtempSync(path.join(tmpdir(), 'runbook-faults-'));
  const made = ['dir', 'runtime', 'tmp', 'state'].map((name) => {
    const p = path.join(root, name);
    mkdirSync(p);
    if (forOtherUser && isRoot) chownSync(p, OTHER_USER, OTHER_USER);
    return p;
  }) as [string, string, string, string];
  if (forOtherUser) chmodSync(root, 0o755);
  const [dir, runtime, tmp, state] = made;
  const env = { XDG_RUNTIME_DIR: runtime, TMPDIR: tmp, XDG_STATE_HOME: state, NO_COLOR: '1' };
  return { dir, runtime, tmp, state, env };
}

/** Runs a bash command line (for pipes, process substitution, redirections) with `runbook` on hand. */
export function bashCli(box: Sandbox, script: string, opts: SpawnOptions = {}) {
  const child = spawn(
    'bash',
    ['-c', `runbook() { "${process.execPath}" "${BIN}" "$@"; }\nexport -f runbook\n${script}`],
    {
      cwd: box.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...opts,
      env: { ...process.env, ...box.env, ...(opts.env as Record<string, string> | undefined) },
    },
  );
  // A hang is a failure with what was printed, not a test that times out saying nothing.
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return collect(child, () => clearTimeout(timer)).done;
}

/** Processes whose command line mentions `text`. */
export function processesUsing(text: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    });
}

/** Every file and directory under `dir`, relative, with its mode. */
export function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p);
      out[path.relative(dir, p)] = (st.mode & 0o777).toString(8);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Nothing of the run is left: no process names its scratch place, that place is empty, and the
 * processes the steps started (`pids`) are gone.
 */
export async function expectNothingLeft(box: Sandbox, pids: number[] = []): Promise<void> {
  for (const place of [box.runtime, box.tmp]) {
    await waitFor(() => processesUsing(place).length === 0, 5000, `no process using ${place}`);
    expect(readdirSync(place), `left in ${place}`).toEqual([]);
  }
  for (const pid of pids) await waitFor(() => !alive(pid), 5000, `pid ${pid} to end`);
}

/** The first line of stderr that is the runner's own (`runbook: ...`), and how many there are. */
export function runnerLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('runbook:'));
}
