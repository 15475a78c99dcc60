// The bash parser's code cache (analysis/bash-parser.ts over os/code-cache.ts) holds the parser's code for
// all of bash's syntax, whichever runbook was analysed when it was made: before it is written the parser
// reads a sample of the grammar, which both it and bash read.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadShellParser } from '../../lib/analysis/bash-parser.ts';
import { SYNTAX_SAMPLE } from '../../lib/analysis/syntax-sample.ts';

const BUILT = new URL('../../dist/', import.meta.url).href;

/** The size of the parser's code cache a process writes after analysing one step of `code`. */
function cacheAfter(code: string): number {
  const home = mkdtempSync(path.join(tmpdir(), 'runbook-parser-cache-'));
  const step = { index: 1, name: 's', kind: 'shell', lang: 'bash', code, line: 1, attributes: {} };
  const script = `const { analyzeRunbook } = await import('${BUILT}analysis/analyze.js');
    await analyzeRunbook([${JSON.stringify(step)}]);`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, XDG_CACHE_HOME: home },
  });
  const dir = path.join(home, 'runbook');
  const [file] = readdirSync(dir);
  return statSync(path.join(dir, file as string)).size;
}

describe('the parser code cache', { timeout: 30_000 }, () => {
  it('holds as much of the parser after a step of `true` as after a step of all the sample', () =>
    expect(cacheAfter('true')).toBeGreaterThanOrEqual(cacheAfter(SYNTAX_SAMPLE) * 0.995));

  it('has a sample the parser reads whole, and bash too', async () => {
    const tree = (await loadShellParser()).parse(SYNTAX_SAMPLE);
    expect(tree.Stmts.length).toBeGreaterThan(40);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'runbook-sample-')), 'sample.sh');
    writeFileSync(file, SYNTAX_SAMPLE);
    // The sample's extended globs are read with extglob on, as `shopt -s extglob` in it would have it.
    expect(() => execFileSync('bash', ['-O', 'extglob', '-n', file])).not.toThrow();
  });
});
