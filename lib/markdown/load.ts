// A runbook file read from disk and parsed (through the parse cache).
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.ts';
import type { Runbook } from '../core/types.ts';

/** Reads and parses a runbook; a missing or unreadable file is an input error. */
export async function loadRunbook(file: string): Promise<{ text: string; runbook: Runbook }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code;
    throw new UsageError(`cannot read runbook ${file}: ${why}`);
  }
  const { parseCached } = await import('./parse-cache.ts');
  return { text, runbook: await parseCached(text, file) };
}
