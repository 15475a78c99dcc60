// Parsing is pure, so its result is kept beside the run record keyed by the text and the parser build:
// a runbook that did not change is listed without loading marked or yaml (start-up is a measured goal).
// The cache is only an optimisation: a missing, corrupt or unwritable one is ignored.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Runbook } from '../core/types.ts';
import { replaceFile } from '../os/replace-file.ts';
import { cacheFile, type RunbookPlace } from '../os/state-dir.ts';

function parserBuild(): string {
  try {
    return String(statSync(new URL('./parse.js', import.meta.url)).mtimeMs);
  } catch {
    return 'source';
  }
}

function readCache(file: string): { key?: string; runbook?: Runbook } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // No cache yet, or an unreadable one: parse.
    return undefined;
  }
}

export async function parseCached(text: string, place: RunbookPlace): Promise<Runbook> {
  const key = createHash('sha256').update(parserBuild()).update('\0').update(text).digest('hex');
  const file = cacheFile(place, 'parse.json');
  const cached = file ? readCache(file) : undefined;
  if (cached?.key === key && cached.runbook && Array.isArray(cached.runbook.steps)) return cached.runbook;
  const { parseRunbook } = await import('./parse.ts');
  const runbook = parseRunbook(text);
  if (!file) return runbook;
  try {
    await replaceFile(file, JSON.stringify({ key, runbook }));
  } catch {
    // A read-only checkout still runs; it just parses again next time.
  }
  return runbook;
}
