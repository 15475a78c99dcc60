// What a resumed run or one started with --from passes over, in words: `steps 1 a, 2 b`, `1 done, 1 skipped`.
import type { Step } from '../core/types.ts';
import type { RunRecord } from '../engine/run-record.ts';

/** `step 1 a`, `steps 1 a, 2 b, 3 c, ... 9 i`. */
export function describeSteps(steps: Step[]): string {
  const names = steps.map((s) => `${s.index} ${s.name}`);
  const list = names.length > 6 ? `${names.slice(0, 3).join(', ')}, ... ${names.at(-1)}` : names.join(', ');
  return `${names.length === 1 ? 'step' : 'steps'} ${list}`;
}

/** `1 done, 1 skipped`: what the steps a resumed run passes over came to, in the last run. */
export function tallyPassedOver(record: RunRecord, steps: Step[]): string {
  const order = ['done', 'skipped', 'failed', 'interrupted', 'not run'];
  const counts = new Map<string, number>();
  for (const step of steps) {
    const status = record.steps.find((r) => r.name === step.name)?.status ?? 'pending';
    const word = status === 'pending' || status === 'running' ? 'not run' : status;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return order
    .filter((w) => counts.has(w))
    .map((w) => `${counts.get(w)} ${w}`)
    .join(', ');
}
