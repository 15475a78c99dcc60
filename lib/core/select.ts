// --from, --to and --only: which steps a run covers. Pure.
import { UsageError } from './errors.ts';
import type { Step } from './types.ts';

/** A step by 1-based number or by name. */
export function findStep(steps: Step[], ref: string, flag: string): Step {
  const trimmed = ref.trim();
  const byNumber = /^\d+$/.test(trimmed) ? steps[Number(trimmed) - 1] : undefined;
  const step = byNumber ?? steps.find((s) => s.name === trimmed);
  if (!step) {
    const range = steps.length ? `1-${steps.length}` : 'none';
    throw new UsageError(
      `${flag} ${JSON.stringify(ref)}: no such step (numbers ${range}, or a name from --list)`,
    );
  }
  return step;
}

export interface Selection {
  /** Steps the run covers, in runbook order. */
  selected: Step[];
  /** Steps before the first selected one that the run passes over. */
  skippedOver: Step[];
}

export function selectSteps(steps: Step[], sel: { from?: string; to?: string; only?: string }): Selection {
  if (sel.only !== undefined) {
    const refs = sel.only.split(',').filter((r) => r.trim() !== '');
    if (refs.length === 0) throw new UsageError('--only needs at least one step');
    const picked = new Set(refs.map((r) => findStep(steps, r, '--only').index));
    const selected = steps.filter((s) => picked.has(s.index));
    const last = Math.max(...picked);
    return { selected, skippedOver: steps.filter((s) => !picked.has(s.index) && s.index < last) };
  }
  const from = sel.from !== undefined ? findStep(steps, sel.from, '--from').index : 1;
  const to = sel.to !== undefined ? findStep(steps, sel.to, '--to').index : steps.length;
  if (from > to) throw new UsageError(`--from step ${from} comes after --to step ${to}`);
  return {
    selected: steps.filter((s) => s.index >= from && s.index <= to),
    skippedOver: steps.filter((s) => s.index < from),
  };
}
