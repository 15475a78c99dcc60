// End to end, real bash: taking every function away takes nothing of the runner's (the step is not
// blamed for the runner's end-of-step code gone missing).
import { describe, expect, it } from 'vitest';
import { runCli, scratch, writeSteps } from '../helpers/cli.ts';

describe("the runner's functions in a step", { timeout: 60_000 }, () => {
  it('a step that unsets every function still ends as it did', async () => {
    const dir = scratch();
    writeSteps(dir, 'unset-all.md', [
      'mine() { :; }\ndeclare -F mine',
      'for f in $(declare -F | cut -d" " -f3); do unset -f "$f"; done\nV=after-unset',
      'echo "V=$V $(declare -F mine || echo no mine)"\nW=by-exit; exit 0',
      'echo "W=$W"',
    ]);
    const r = await runCli(['--yes', 'unset-all.md'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('mine\nV=after-unset no mine\nW=by-exit\n');
  });
});
