// A new version of the runbook's file, as the notebook meets it: whether it can be used (it parses, opens
// no new unterminated fence, has steps, and passes the run's own checks), and where the walk, its place
// and the edits made for this run go in it. Pure: the notebook reads the file and keeps the outcome.
import type { Runbook, Step } from '../core/types.ts';

/** The new version parsed, or why it cannot be used (the last good version stays). */
export async function readVersion(
  text: string,
  old: Runbook,
  validate?: (runbook: Runbook) => string | undefined,
): Promise<{ fresh: Runbook } | { why: string }> {
  const { parseRunbook } = await import('../markdown/parse.ts');
  let fresh: Runbook;
  try {
    fresh = parseRunbook(text);
  } catch (err) {
    return { why: (err as Error).message };
  }
  const unterminated = (r: Runbook) => r.warnings.filter((w) => w.message.startsWith('unterminated')).length;
  const newFence = fresh.warnings.find(
    (w) => w.message.startsWith('unterminated') && unterminated(fresh) > unterminated(old),
  );
  if (newFence) return { why: `line ${newFence.line}: ${newFence.message}` };
  if (fresh.steps.length === 0) return { why: 'it has no steps' };
  const invalid = validate?.(fresh);
  return invalid ? { why: invalid } : { fresh };
}

export interface WalkPlace {
  /** The step the walk is at; undefined once it has gone past its last step. */
  current?: Step;
  /** Names of the steps the walk goes through. */
  walk: Set<string>;
  /** Code edited for this run only, by step name. */
  edits: Map<string, string>;
}

/**
 * The walk in the new version: the current step where it went (or the step now at its place), the walk's
 * steps by what they were, a new step in the walk when the steps on both sides of it are, and an edit
 * kept only while the file's code for its step is unchanged (the file's new code replaces it).
 */
export function placeIn(
  fresh: Runbook,
  oldOf: Map<number, Step>,
  { current, walk: oldWalk, edits: oldEdits }: WalkPlace,
): { walk: Set<string>; edits: Map<string, string>; at: number } {
  const walk = new Set<string>();
  const edits = new Map<string, string>();
  let at = current ? Math.min(current.index, fresh.steps.length) : fresh.steps.length + 1;
  for (const step of fresh.steps) {
    const old = oldOf.get(step.index);
    if (old && current && old.name === current.name) at = step.index;
    if (old) {
      if (oldWalk.has(old.name)) walk.add(step.name);
      const edit = oldEdits.get(old.name);
      if (edit !== undefined && old.code === step.code) edits.set(step.name, edit);
    } else {
      const before = fresh.steps[step.index - 2];
      const after = fresh.steps[step.index];
      const inside = (s: Step | undefined) =>
        !s || walk.has(s.name) || oldWalk.has(oldOf.get(s.index)?.name ?? '');
      if (inside(before) && inside(after)) walk.add(step.name);
    }
  }
  return { walk, edits, at };
}
