// A first --list, with nothing analysed for the runbook yet: the analysis thread lists what a warm listing
// and one read from a pipe list, and ends with the process.
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { bashCli, expectNothingLeft, sandbox } from '../helpers/sandbox.ts';

/** The sandbox with a copy of the shipped runbook, and a code cache of its own. */
function shipped() {
  const box = sandbox();
  for (const f of ['runbook.md', 'steps'])
    cpSync(path.join(ROOT, f), path.join(box.dir, f), { recursive: true });
  const cache = mkdtempSync(path.join(tmpdir(), 'runbook-code-cache-'));
  return { box, cache, env: { XDG_CACHE_HOME: cache } };
}

describe('a first runbook --list', () => {
  it.each([[''], ['--json ']])(
    'runbook --list %slists as a warm listing and one from a pipe do',
    async (json) => {
      const { box, env } = shipped();
      const first = await bashCli(box, `runbook --list ${json}runbook.md`, { env });
      expect(first).toMatchObject({ code: 0, stderr: '' });
      expect(readdirSync(path.join(box.dir, '.runbook'))).toContain('runbook.analysis.json');
      const warm = await bashCli(box, `runbook --list ${json}runbook.md`, { env });
      const piped = await bashCli(box, `cat runbook.md | runbook --list ${json}/dev/stdin`, { env });
      expect(warm).toMatchObject({ code: 0, stderr: '', stdout: first.stdout });
      expect(piped).toMatchObject({ code: 0, stderr: '', stdout: first.stdout });
      await expectNothingLeft(box);
    },
    60_000,
  );
});
