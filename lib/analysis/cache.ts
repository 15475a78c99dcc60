// Variables each step sets and needs, as far as a run needs them before it starts: the analyses kept in
// .runbook/. Kept apart from the analysers (analyze.ts) so that a run of an unchanged runbook loads neither
// them nor the bash parser (certainty.ts judges the needs).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Step } from '../core/types.ts';
import { makeDirs } from '../os/make-dirs.ts';
import { replaceFile } from '../os/replace-file.ts';
import type { VariableAnalysis } from './variables.ts';

/** Bump when the analysis itself changes, so cached results from older rules are not reused. */
const CACHE_VERSION = 6;

interface AnalysisCache {
  version: number;
  entries: Record<string, VariableAnalysis>;
}

function cacheKey(step: Step): string {
  return createHash('sha256').update(`${step.kind}\0${step.code}`).digest('hex');
}

/** The analysers, loaded only when something is not in the cache. */
async function analyzeHere(steps: Step[]): Promise<VariableAnalysis[]> {
  const { analyzeRunbook } = await import('./analyze.ts');
  return analyzeRunbook(steps);
}

function readCache(file: string | undefined): Record<string, VariableAnalysis> {
  if (!file) return {};
  try {
    const cache = JSON.parse(readFileSync(file, 'utf8')) as AnalysisCache;
    return cache.version === CACHE_VERSION && cache.entries && typeof cache.entries === 'object'
      ? cache.entries
      : {};
  } catch {
    return {};
  }
}

/**
 * analyzeRunbook with results kept in `cacheFile` (JSON keyed by sha256 of kind and code), so a runbook
 * whose steps did not change is listed without loading the bash parser. The cache is only an
 * optimisation: a missing, corrupt or unwritable one is ignored.
 */
export async function analyzeRunbookCached(
  steps: Step[],
  cacheFile: string | undefined,
  analyze: (steps: Step[]) => Promise<VariableAnalysis[]> = analyzeHere,
): Promise<VariableAnalysis[]> {
  const cached = readCache(cacheFile);
  const keys = steps.map(cacheKey);
  const isHit = (hit: VariableAnalysis | undefined) =>
    hit && Array.isArray(hit.sets) && Array.isArray(hit.needs);
  const misses = steps.filter((_, i) => !isHit(cached[keys[i] as string]));
  const fresh = misses.length ? await analyze(misses) : [];
  const analyses = steps.map((step, i) => {
    const hit = cached[keys[i] as string];
    return isHit(hit) ? (hit as VariableAnalysis) : (fresh[misses.indexOf(step)] as VariableAnalysis);
  });
  if (misses.length && cacheFile) {
    const entries: Record<string, VariableAnalysis> = {};
    analyses.forEach((analysis, i) => {
      entries[keys[i] as string] = analysis;
    });
    try {
      makeDirs(path.dirname(cacheFile));
      await replaceFile(
        cacheFile,
        JSON.stringify({ version: CACHE_VERSION, entries } satisfies AnalysisCache),
        0o600,
      );
    } catch {
      // A read-only checkout still lists; it just parses again next time.
    }
  }
  return analyses;
}
