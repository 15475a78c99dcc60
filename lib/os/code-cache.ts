// A large CommonJS module loaded with V8's code cache, as Node 22's module.enableCompileCache() does and
// Node 20 cannot: the bytecode V8 made for it last time, kept in the user's cache home
// ($XDG_CACHE_HOME/runbook/, default ~/.cache/runbook/), so it is neither parsed nor compiled again.
// The cache is taken after the module has done its work (`keep`), so it also holds the functions V8
// compiles only when first called. v8-compile-cache(-lib) caches only what is compiled before a module
// runs, and for every require of the process. A cache is named by the module's content and Node's
// version: one V8 refuses (another build, other flags) is made again; a missing, corrupt or unwritable
// one only means compiling as Node would.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { Script } from 'node:vm';
import { makeDirs } from './make-dirs.ts';
import { replaceFile } from './replace-file.ts';

export interface CachedModule {
  exports: unknown;
  /** Whether `keep` will write: there was no cache, or V8 refused it. */
  readonly stale: boolean;
  /** Writes the cache if there was none, or V8 refused it; call once the module has done some work. */
  keep(): Promise<void>;
}

/** $XDG_CACHE_HOME/runbook when it is absolute (as the XDG spec asks), else ~/.cache/runbook. */
export function cacheHome(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME || homedir(), '.cache');
  return path.join(base, 'runbook');
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Requires `id` (resolved from `from`, a module URL) through the code cache in `dir`. `compiled` is called
 * once V8 has taken or refused the cache, before the module runs: from then on V8's flags may change
 * without its verdict changing (they must be back by `keep`).
 */
export function requireCached(
  id: string,
  from: string | URL,
  dir = cacheHome(),
  compiled?: () => void,
): CachedModule {
  const filename = createRequire(from).resolve(id);
  const source = readFileSync(filename);
  const name = path.basename(path.dirname(filename)).replace(/[^\w.-]/g, '_');
  const key = createHash('sha256').update(process.version).update('\0').update(source).digest('hex');
  const file = path.join(dir, `${name}-${key.slice(0, 24)}.v8`);
  const cachedData = readOrUndefined(file);
  const script = new Script(Module.wrap(source.toString('utf8')), { filename, cachedData });
  compiled?.();
  const module = new Module(filename);
  module.filename = filename;
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(filename), module, filename, path.dirname(filename));
  module.loaded = true;
  let stale = !cachedData || script.cachedDataRejected === true;
  return {
    exports: module.exports,
    get stale() {
      return stale;
    },
    keep: async () => {
      if (!stale) return;
      stale = false;
      try {
        makeDirs(dir);
        // The module's caches for its other contents or other Node versions are of no more use.
        for (const old of readdirSync(dir)) {
          if (old.startsWith(`${name}-`) && old.endsWith('.v8') && old !== path.basename(file))
            rmSync(path.join(dir, old), { force: true });
        }
        await replaceFile(file, script.createCachedData());
      } catch {
        // Nowhere to keep it: compiled again next time.
      }
    },
  };
}
