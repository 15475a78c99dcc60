// A first --list, with nothing analysed for the runbook yet: the analysis thread the entry starts lists
// what a warm listing and one read from a pipe (the CLI's own thread) list, and the bash parser's code
// cache it keeps is one every other load of the parser takes as it is, and the other way round (the
// thread has V8's optimizing compiler off for a while, and V8 takes a cache only under its own flags).
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
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

/** The code cache files, each with what says whether it was written again. */
function codeCache(cache: string): Record<string, string> {
  const dir = path.join(cache, 'runbook');
  return Object.fromEntries(
    readdirSync(dir).map((f) => {
      const st = statSync(path.join(dir, f));
      return [f, `${st.ino} ${st.mtimeMs} ${st.size}`];
    }),
  );
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

  it('keeps a parser code cache that runbook check takes as it is, and the other way round', async () => {
    const { box, cache, env } = shipped();
    const list = () => {
      rmSync(path.join(box.dir, '.runbook'), { recursive: true, force: true });
      return bashCli(box, 'runbook --list runbook.md', { env });
    };
    const check = () => {
      rmSync(path.join(box.dir, '.runbook'), { recursive: true, force: true });
      return bashCli(box, 'runbook check runbook.md', { env });
    };
    expect((await list()).code).toBe(0);
    const made = codeCache(cache);
    expect(Object.keys(made)).toEqual([expect.stringMatching(/^mvdan-sh-[0-9a-f]{24}\.v8$/)]);
    expect([0, 1]).toContain((await check()).code);
    expect(codeCache(cache)).toEqual(made);

    rmSync(path.join(cache, 'runbook'), { recursive: true });
    expect([0, 1]).toContain((await check()).code);
    const checked = codeCache(cache);
    expect((await list()).code).toBe(0);
    expect(codeCache(cache)).toEqual(checked);
  }, 60_000);
});
