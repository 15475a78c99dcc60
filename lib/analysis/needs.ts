// Which variables a run needs that nothing provides, found before anything runs: an unattended run is
// refused at once with the whole list of certain needs, and warned once of the uncertain ones.
import type { Selection } from '../core/select.ts';
import type { Context, Step } from '../core/types.ts';
import { cacheFile, type RunbookPlace } from '../os/state-dir.ts';
import type { Analyze } from './analyzer.ts';
import type { MissingVariable, UncertainVariable } from './certainty.ts';
import { withStepEffects } from './step-effects.ts';
import type { VariableAnalysis } from './variables.ts';

export interface NeedsReport {
  /** Certainly missing: an unattended run is refused. */
  missing: MissingVariable[];
  /** Read but never certainly set: warned about, once. */
  uncertain: UncertainVariable[];
  /** Per missing name, the passed-over steps that would have set it. */
  setByPassedOver: Map<string, Step[]>;
  analyses: Map<number, VariableAnalysis>;
}

/** Each step's analysis, from the cache where it has it, else from `analyze` (a child process by default). */
export async function analyzeAll(
  steps: Step[],
  place: RunbookPlace,
  analyze?: Analyze,
): Promise<Map<number, VariableAnalysis>> {
  const { analyzeRunbookCached } = await import('./cache.ts');
  analyze ??= (await import('./analyzer.ts')).analyzeInChild;
  // One file per runbook: runbooks side by side (a runbook and its teardown) keep their own entries.
  const cache = cacheFile(place, 'analysis.json');
  const analyses = await analyzeRunbookCached(steps, cache, analyze);
  return new Map(steps.map((s, i) => [s.index, withStepEffects(s, analyses[i] as VariableAnalysis)]));
}

export interface NeedsOptions {
  /** Names the front matter declares as inputs: provided, or asked for up front. */
  declared?: string[];
  /** Steps that run before the selection (a resumed run making withheld values again). */
  before?: Step[];
}

export async function findMissing(
  steps: Step[],
  selection: Selection,
  context: Context,
  env: NodeJS.ProcessEnv,
  place: RunbookPlace,
  opts: NeedsOptions = {},
): Promise<NeedsReport> {
  const { judgeNeeds } = await import('./certainty.ts');
  const analyses = await analyzeAll(steps, place);
  const provided = new Set([
    ...Object.keys(env).filter((n) => !context.unset.includes(n)),
    ...Object.keys(context.vars),
    ...(opts.declared ?? []),
  ]);
  const order = [...(opts.before ?? []), ...selection.selected];
  const { missing, uncertain } = judgeNeeds(
    order,
    order.map((s) => analyses.get(s.index) as VariableAnalysis),
    provided,
  );
  const setByPassedOver = new Map<string, Step[]>();
  for (const m of missing) {
    const setters = selection.skippedOver.filter((s) => analyses.get(s.index)?.sets.includes(m.name));
    if (setters.length) setByPassedOver.set(m.name, setters);
  }
  return { missing, uncertain, setByPassedOver, analyses };
}

/** Where a need read inside a function of an earlier step is read: the step's code does not show it. */
function through({ via }: MissingVariable): string {
  if (!via) return '';
  const at = via.readLine ? `line ${via.definedIn.line + via.readLine}` : `step ${via.definedIn.index}`;
  return ` (read at ${at}, through ${via.function})`;
}

export function formatMissing(report: NeedsReport): string {
  const { missing, setByPassedOver } = report;
  const width = Math.max(...missing.map((m) => m.name.length));
  const lines = missing.map((m) => {
    const by = m.steps.map((s) => `${s.index} ${s.name}`).join(', ');
    const setters = setByPassedOver.get(m.name);
    const note = setters
      ? ` (step ${setters.map((s) => `${s.index} ${s.name}`).join(', ')} would set it, but is not part of this run)`
      : '';
    return `  ${m.name.padEnd(width)}  needed by step ${by}${through(m)}${note}`;
  });
  const count = missing.length === 1 ? '1 variable is' : `${missing.length} variables are`;
  return [
    `${count} needed but never set by an earlier step, the environment or --set:`,
    ...lines,
    'Provide them with --set NAME=VALUE or in the environment.',
  ].join('\n');
}

/** The warning an unattended run gives once, before step 1, for reads that may find a variable unset. */
export function formatUncertain(uncertain: UncertainVariable[]): string {
  const width = Math.max(...uncertain.map((u) => u.name.length));
  const count = uncertain.length === 1 ? '1 variable' : `${uncertain.length} variables`;
  const lines = uncertain.map((u) => {
    const by = u.steps.map((s) => `${s.index} ${s.name}`).join(', ');
    return `  ${u.name.padEnd(width)}  read by step ${by}${through(u)} (${u.reason})`;
  });
  return [`${count} may be unset where read; nothing earlier certainly sets them:`, ...lines].join('\n');
}
