// Which step of a runbook's new version is which step of its old one, when the file changed during a run
// or since the run it resumes. A person edits code, renames headings, inserts and deletes steps: a step
// keeps its results when it can be recognised, by name first and by code when a default name shifted.
// Pure: steps in, pairs and a short account of the changes out.

import type { Runbook, Step, StepResult } from '../core/types.ts';
import { codeHash, type RunRecord } from './run-record.ts';

/** What pairing looks at: a step's name, the hash of its code, and whether the name was written out. */
export interface StepKey {
  name: string;
  hash: string;
  /** The name comes from a `name=` attribute (it then identifies the step, whatever its code). */
  explicit?: boolean;
}

export interface Pairing<O, N> {
  /** Each new step that is an old one, with that old one. */
  pairs: Map<N, O>;
  added: N[];
  removed: O[];
}

/**
 * Pairs old steps with new ones: same name and code; then a written-out name; then the same code (a
 * heading renamed, or a step inserted above others under one heading so their default names shifted);
 * then the same name (a default-named step whose code was edited).
 */
export function pairSteps<O extends StepKey, N extends StepKey>(old: O[], fresh: N[]): Pairing<O, N> {
  const pairs = new Map<N, O>();
  const taken = new Set<O>();
  const pass = (match: (o: O, n: N) => boolean) => {
    for (const n of fresh) {
      if (pairs.has(n)) continue;
      const o = old.find((candidate) => !taken.has(candidate) && match(candidate, n));
      if (o) {
        pairs.set(n, o);
        taken.add(o);
      }
    }
  };
  pass((o, n) => o.name === n.name && o.hash === n.hash);
  pass((o, n) => n.explicit === true && o.name === n.name);
  pass((o, n) => o.hash === n.hash);
  pass((o, n) => o.name === n.name);
  return {
    pairs,
    added: fresh.filter((n) => !pairs.has(n)),
    removed: old.filter((o) => !taken.has(o)),
  };
}

export function stepKey(step: Step): StepKey & { step: Step } {
  return {
    name: step.name,
    hash: codeHash(step.code),
    explicit: typeof step.attributes.name === 'string',
    step,
  };
}

export type DocumentChange =
  /** `index` and `name` are the step's in the new version; `from` its old name when it was renamed. */
  | { kind: 'edited' | 'renamed' | 'prose' | 'added'; index: number; name: string; from?: string }
  /** `index` and `name` are the step's in the old version. */
  | { kind: 'removed'; index: number; name: string }
  | { kind: 'front matter' | 'closing text' };

export interface RunbookDiff {
  /** New step index → the old step it is. */
  oldOf: Map<number, Step>;
  changes: DocumentChange[];
}

const sameAttributes = (a: Step, b: Step) => JSON.stringify(a.attributes) === JSON.stringify(b.attributes);

/** What changed between two versions of a runbook, step by step. */
export function diffRunbooks(old: Runbook, fresh: Runbook): RunbookDiff {
  const freshKeys = fresh.steps.map(stepKey);
  const { pairs, added, removed } = pairSteps(old.steps.map(stepKey), freshKeys);
  const oldOf = new Map<number, Step>();
  const changes: DocumentChange[] = [];
  // Prose that only moved (a step inserted into it splits it) is not an edit of it.
  const words = (r: Runbook) =>
    [...r.steps.map((s) => s.prose), r.epilogue].join(' ').replace(/\s+/g, ' ').trim();
  const proseEdited = words(old) !== words(fresh);
  if (JSON.stringify(old.frontMatter) !== JSON.stringify(fresh.frontMatter)) {
    changes.push({ kind: 'front matter' });
  }
  for (const key of freshKeys) {
    const n = key.step;
    const o = pairs.get(key)?.step;
    if (!o) continue;
    oldOf.set(n.index, o);
    const at = { index: n.index, name: n.name };
    if (o.code !== n.code || o.lang !== n.lang || !sameAttributes(o, n))
      changes.push({ kind: 'edited', ...at });
    // A default name that only shifted (a step added above under the same heading) is no news.
    else if (o.name !== n.name && o.headings.join('\0') !== n.headings.join('\0')) {
      changes.push({ kind: 'renamed', ...at, from: o.name });
    } else if (proseEdited && o.prose !== n.prose) changes.push({ kind: 'prose', ...at });
  }
  for (const a of added) changes.push({ kind: 'added', index: a.step.index, name: a.step.name });
  for (const r of removed) changes.push({ kind: 'removed', index: r.step.index, name: r.step.name });
  if (proseEdited && old.epilogue !== fresh.epilogue) changes.push({ kind: 'closing text' });
  return { oldOf, changes };
}

/** One change in a few words: "step 5 deploy edited". */
export function describeChange(change: DocumentChange): string {
  switch (change.kind) {
    case 'front matter':
      return 'front matter edited (its settings take effect on the next run)';
    case 'closing text':
      return 'text after the last step edited';
    case 'prose':
      return `text before step ${change.index} ${change.name} edited`;
    case 'renamed':
      return `step ${change.index} ${change.from} renamed ${change.name}`;
    default:
      return `step ${change.index} ${change.name} ${change.kind}`;
  }
}

/** "runbook.md changed: step 5 deploy edited, step 7 check added, step 3 old removed". */
export function describeChanges(fileName: string, changes: DocumentChange[]): string {
  if (changes.length === 0) return `${fileName} changed (no step changed)`;
  const shown = changes.slice(0, 6).map(describeChange);
  if (changes.length > 6) shown.push(`${changes.length - 6} more changes`);
  return `${fileName} changed: ${shown.join(', ')}`;
}

/**
 * A previous run's record aligned with the runbook as it is now (--resume): each step keeps its result
 * when it is recognised, by the same rules as a change during a run; what changed since, for a notice.
 */
export function continueRecord(
  prev: RunRecord,
  fresh: RunRecord,
  steps: Step[],
): { record: RunRecord; changes: DocumentChange[] } {
  const before = prev.steps.map((result) => ({
    name: result.name,
    hash: result.sourceHash ?? result.codeHash,
    result,
  }));
  const now = steps.map(stepKey);
  const { pairs, added, removed } = pairSteps(before, now);
  const changes: DocumentChange[] = [];
  const results = now.map((key, i): StepResult => {
    const old = pairs.get(key);
    if (!old) return fresh.steps[i] as StepResult;
    if (old.hash !== key.hash) changes.push({ kind: 'edited', index: key.step.index, name: key.step.name });
    return { ...old.result, index: key.step.index, name: key.step.name };
  });
  for (const a of added) changes.push({ kind: 'added', index: a.step.index, name: a.step.name });
  for (const r of removed) changes.push({ kind: 'removed', index: r.result.index, name: r.result.name });
  return {
    record: { ...fresh, startedAt: prev.startedAt, context: prev.context, steps: results },
    changes,
  };
}
