// Parsing is pure, so its result is kept beside the run record keyed by the text and the parser build:
// a runbook that did not change is listed without loading marked or yaml (start-up is a measured goal).
// The cache is only an optimisation: a missing, corrupt or unwritable one is ignored.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Runbook } from '../core/types.ts';
import { replaceFile } from '../os/replace-file.ts';
import { stateFile } from '../os/state-dir.ts';

function parserBuild(): string {
  try {
    return String(statSync(new URL('./parse.js', import.meta.url)).mtimeMs);
  } catch {
    return 'source';
  }
}

function cacheFile(runbookFile: string): string {
  return stateFile(runbookFile, 'parse');
}

export async function parseCached(text: string, runbookFile: string): Promise<Runbook> {
  const key = createHash('sha256').update(parserBuild()).update('\0').update(text).digest('hex');
  const file = cacheFile(runbookFile);
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { key?: string; runbook?: Runbook };
    if (cached.key === key && cached.runbook && Array.isArray(cached.runbook.steps)) return cached.runbook;
  } catch {
    // No cache yet, or an unreadable one: parse.
  }
  const { parseRunbook } = await import('./parse.ts');
  const runbook = parseRunbook(text);
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await replaceFile(file, JSON.stringify({ key, runbook }), 0o600);
  } catch {
    // A read-only checkout still runs; it just parses again next time.
  }
  return runbook;
}
