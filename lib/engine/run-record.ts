// The resumable run record: one JSON file per runbook in its state directory (.runbook/ beside it, see
// os/state-dir.ts), rewritten atomically after every step change, mode 0600 because carried values can be
// secrets.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { validateContext } from '../core/context.ts';
import { fsReason, StateError } from '../core/errors.ts';
import { isIdentifier } from '../core/identifiers.ts';
import { type Context, STEP_STATUSES, type Step, type StepResult } from '../core/types.ts';
import { type RunbookPlace, stateFile } from '../os/state-dir.ts';
import { readValueFiles, valuesDir } from './record-json.ts';

export const STATE_FORMAT = 'runbook-state/1';
const STATUSES = new Set<string>(STEP_STATUSES);

export interface RunRecord {
  format: typeof STATE_FORMAT;
  runbook: string;
  startedAt: string;
  updatedAt: string;
  /** Context after the last step that completed. */
  context: Context;
  /** Secret variables whose values were not written (they must be provided again on resume). */
  withheld: string[];
  steps: StepResult[];
}

/** Asked for each step when the record is made and again when it runs: each code is hashed once. */
const hashes = new Map<string, string>();

export function codeHash(code: string): string {
  let hash = hashes.get(code);
  if (hash === undefined) {
    hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
    hashes.set(code, hash);
  }
  return hash;
}

export function recordPath(place: RunbookPlace): string {
  return stateFile(place, 'state.json');
}

/** A record of nothing run yet; `runbook` is what it belongs to (RunbookPlace.identity). */
export function newRecord(runbook: string, steps: Step[], context: Context): RunRecord {
  const now = new Date().toISOString();
  return {
    format: STATE_FORMAT,
    runbook,
    startedAt: now,
    updatedAt: now,
    context,
    withheld: [],
    steps: steps.map((s) => ({
      index: s.index,
      name: s.name,
      status: 'pending',
      exitCode: null,
      durationMs: 0,
      attempts: 0,
      codeHash: codeHash(s.code),
      setVars: [],
      tail: '',
    })),
  };
}

/** Reads a record for --resume; anything unusable is a StateError that suggests a fresh run. */
export function loadRecord(place: RunbookPlace): RunRecord | undefined {
  const file = recordPath(place);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateError(`cannot read the run record ${file}: ${fsReason(err)}`);
  }
  const fresh = 'run without --resume to start afresh';
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StateError(`the run record ${file} is corrupt (${(err as Error).message}); ${fresh}`);
  }
  const r = raw as Partial<RunRecord> | null;
  if (typeof r !== 'object' || r === null || r.format !== STATE_FORMAT) {
    throw new StateError(`${file} is not a run record of this version of runbook; ${fresh}`);
  }
  if (r.runbook !== place.identity) {
    throw new StateError(
      `the run record ${file} belongs to ${String(r.runbook)}, not this runbook; ${fresh}`,
    );
  }
  try {
    if (!Array.isArray(r.steps)) throw new StateError('steps missing');
    for (const s of r.steps) {
      if (typeof s !== 'object' || s === null || typeof s.name !== 'string' || !STATUSES.has(s.status)) {
        throw new StateError('a step entry is malformed');
      }
    }
    if (!Array.isArray(r.withheld) || !r.withheld.every((n) => typeof n === 'string' && isIdentifier(n)))
      throw new StateError('withheld list missing or not of variable names');
    const vars = (r.context as { vars?: unknown } | undefined)?.vars;
    if (vars && typeof vars === 'object') readValueFiles(vars as Record<string, unknown>, valuesDir(file));
    validateContext(r.context);
  } catch (err) {
    throw new StateError(`the run record ${file} is corrupt (${(err as Error).message}); ${fresh}`);
  }
  return r as RunRecord;
}

export interface ResumePoint {
  /** Index (1-based) of the first step that is not done; steps.length + 1 when all are. */
  from: number;
  /** Done steps whose code changed since they ran. */
  stale: Step[];
}

/**
 * A done step whose code in the runbook changed since it ran. What counts is the runbook's code when it
 * ran (sourceHash); a record from before that was kept says only what ran, so an edited run is not stale.
 */
export function isStale(result: StepResult, step: Step): boolean {
  if (result.status !== 'done') return false;
  const ran = result.sourceHash ?? (result.editedCode === undefined ? result.codeHash : undefined);
  return ran !== undefined && ran !== codeHash(step.code);
}

/** Where --resume continues: the first step that is not done or deliberately skipped. */
export function resumePoint(record: RunRecord, steps: Step[]): ResumePoint {
  const byName = new Map(record.steps.map((s) => [s.name, s]));
  const stale: Step[] = [];
  let from = steps.length + 1;
  for (const step of steps) {
    const prev = byName.get(step.name);
    const finished = prev && (prev.status === 'done' || prev.status === 'skipped');
    if (!finished) {
      from = step.index;
      break;
    }
    if (isStale(prev, step)) stale.push(step);
  }
  return { from, stale };
}
