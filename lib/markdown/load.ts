// A runbook read once (a pipe cannot be read twice) and parsed through the parse cache, with where it
// belongs: the directory its steps start in and where its own files go (os/state-dir.ts).
import { readFileSync } from 'node:fs';
import { fsReason, UsageError } from '../core/errors.ts';
import type { Runbook } from '../core/types.ts';
import { placeOf, type RunbookPlace } from '../os/state-dir.ts';

export interface LoadedText {
  text: string;
  place: RunbookPlace;
}

export interface Where {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Reads a runbook (absolute `file`); a missing or unreadable one is an input error that names it. */
export function readRunbook(file: string, where: Where): LoadedText {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read runbook ${file}: ${fsReason(err)}`);
  }
  // Markdown holds no NUL byte: a binary file is not a runbook with no steps.
  if (text.includes('\0')) throw new UsageError(`${file} is not a text file (it holds NUL bytes)`);
  return { text, place: placeOf(file, text, where) };
}

/** Reads and parses a runbook. */
export async function loadRunbook(file: string, where: Where): Promise<LoadedText & { runbook: Runbook }> {
  const loaded = readRunbook(file, where);
  const { parseCached } = await import('./parse-cache.ts');
  return { ...loaded, runbook: await parseCached(loaded.text, loaded.place) };
}
