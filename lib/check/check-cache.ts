// What `runbook check` learns from other programs about a step (bash -n, shellcheck) depends only on the
// step's code and the program: it is kept in `.runbook/<name>.check.json`, keyed by both, so an unchanged
// runbook is checked without starting either. A program is known by where PATH finds it and that file's
// size and modification time. The cache is only an optimisation: a missing, corrupt or unwritable one is
// ignored. What depends on the environment or the files around (needed variables, paths) is never cached.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import which from 'which';
import { replaceFile } from '../os/replace-file.ts';

const VERSION = 3;

interface Stored {
  version: number;
  entries: Record<string, unknown>;
}

/** A program as PATH finds it (or the path given): where it is, and an identity that changes with it. */
export interface Program {
  path: string;
  identity: string;
}

/** Where PATH finds `command` (or the path itself), known by its size and mtime; undefined when absent. */
export function findProgram(command: string, env: NodeJS.ProcessEnv = process.env): Program | undefined {
  const found = which.sync(command, { nothrow: true, path: env.PATH ?? process.env.PATH });
  if (!found) return undefined;
  try {
    const s = statSync(found);
    return { path: found, identity: `${found}:${s.size}:${s.mtimeMs}` };
  } catch {
    return undefined;
  }
}

export class CheckCache {
  private readonly old: Record<string, unknown>;
  private readonly now: Record<string, unknown> = {};
  private changed = false;

  constructor(private readonly file: string | undefined) {
    this.old = file ? read(file) : {};
  }

  /** What `compute` says of each of `codes` under `program`, asking it only about those not cached. */
  async each<T>(
    kind: string,
    program: string,
    codes: string[],
    compute: (codes: string[]) => Promise<T[]>,
  ): Promise<T[]> {
    const keys = codes.map((code) =>
      createHash('sha256').update(`${kind}\0${program}\0${code}`).digest('hex'),
    );
    const missing = keys.map((k, i) => (Object.hasOwn(this.old, k) ? -1 : i)).filter((i) => i >= 0);
    const fresh = missing.length ? await compute(missing.map((i) => codes[i] as string)) : [];
    if (missing.length) this.changed = true;
    return keys.map((key, i) => {
      const at = missing.indexOf(i);
      const value = at >= 0 ? fresh[at] : (this.old[key] as T);
      this.now[key] = value === undefined ? null : value;
      return (value ?? undefined) as T;
    });
  }

  /** Keeps what this check used, and only that, when anything was new. */
  async save(): Promise<void> {
    const dropped = Object.keys(this.old).some((k) => !Object.hasOwn(this.now, k));
    if (!this.file || (!this.changed && !dropped)) return;
    try {
      await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await replaceFile(
        this.file,
        JSON.stringify({ version: VERSION, entries: this.now } satisfies Stored),
        0o600,
      );
    } catch {
      // A read-only checkout still checks; it just asks the programs again next time.
    }
  }
}

function read(file: string): Record<string, unknown> {
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Stored;
    return stored.version === VERSION && stored.entries && typeof stored.entries === 'object'
      ? stored.entries
      : {};
  } catch {
    return {};
  }
}
