// The test run's own scratch place. Every run of the CLI in the suite keeps its scratch directories in
// $XDG_RUNTIME_DIR (lib/os/scratch.ts), so the suite gives the workers, and every runner they start, a
// private one, and at the end fails if any runbook-* is left in it: each way a run ends, the runner killed
// outright included, must remove what it made. The place itself is removed either way, and so is the
// temp directory the suite gives the tests.
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** How long a killed runner's watcher, or a run still ending, is given to remove its directory. */
const SETTLE_MS = 5000;

function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('runbook-'));
}

export function setup(): () => Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'suite-runtime-'));
  process.env.XDG_RUNTIME_DIR = dir;
  // The tests' own directories (fixtures copied, sandboxes) go in a temp directory of the suite's, which
  // goes with it: a suite run leaves nothing in the machine's.
  const temp = mkdtempSync(path.join(tmpdir(), 'suite-tmp-'));
  process.env.TMPDIR = temp;
  // Tests that run the CLI as another user (nobody) reach their own directories through it.
  chmodSync(temp, 0o711);
  return async () => {
    const deadline = Date.now() + SETTLE_MS;
    let left = leftovers(dir);
    while (left.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      left = leftovers(dir);
    }
    rmSync(dir, { recursive: true, force: true });
    rmSync(temp, { recursive: true, force: true, maxRetries: 3 });
    if (left.length) {
      // Vitest prints an error thrown at teardown but does not fail the run for it.
      process.exitCode = 1;
      throw new Error(`scratch directories left by the suite's runs in ${dir}: ${left.join(', ')}`);
    }
  };
}
