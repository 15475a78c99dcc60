// Where a run starts from: a fresh record or the one --resume continues (aligned with the file as it is
// now), the steps it selects, the values it was given (--set, declared inputs' defaults) and the inputs
// still to ask. What it passes over, and what changed since the run it resumes, is said on stderr.
import path from 'node:path';
import { emptyContext, withValue } from '../core/context.ts';
import { InputError, StateError } from '../core/errors.ts';
import { formatInputProblems, type ResolvedInput, resolveInputs } from '../core/inputs.ts';
import { type Selection, selectSteps } from '../core/select.ts';
import { assertDir } from '../engine/base-dir.ts';
import { loadRecord, newRecord, type RunRecord, resumePoint } from '../engine/run-record.ts';
import { continueRecord, describeChanges } from '../engine/step-match.ts';
import type { Renderer } from '../ui/renderer.ts';
import { firstShowing } from '../ui/view.ts';
import { describeSteps, tallyPassedOver } from './passed-over.ts';
import type { RunStart } from './run-basics.ts';

export interface StartingPoint {
  record: RunRecord;
  selection: Selection;
  /** Secret (or secret-made) values the resumed record does not hold and nothing gives again. */
  withheld: string[];
  /** The runbook's declared inputs, as the run was given them. */
  inputs: ResolvedInput[];
  /** The declared inputs the person is asked for (at a terminal, or on the page). */
  toAsk: ResolvedInput[];
}

export interface StartingFrom extends RunStart {
  /** The walkthrough's renderer: the first step is rendered ahead as soon as it is known. */
  renderer?: Renderer;
}

/** Undefined when --resume finds every step done already: nothing to run. */
export function startingPoint(from: StartingFrom): StartingPoint | undefined {
  const { file, place, options, io, runbook, baseDir, interactive, paint } = from;
  const fm = runbook.frontMatter;
  const fresh = newRecord(place.identity, runbook.steps, emptyContext(baseDir));
  let record = fresh;
  let selection: Selection;
  /** Secret (or secret-made) values the resumed record does not hold and nothing gives again. */
  let withheld: string[] = [];
  if (options.resume) {
    const prev = loadRecord(place);
    if (!prev) throw new StateError(`no earlier run of ${file} to resume; run without --resume`);
    const continued = continueRecord(prev, fresh, runbook.steps);
    record = continued.record;
    if (continued.changes.length) {
      const notice = describeChanges(path.basename(file), continued.changes).replace(
        ' changed:',
        ' changed since the last run:',
      );
      io.stderr.write(paint('yellow', `runbook: ${notice}\n`));
    }
    const point = resumePoint(record, runbook.steps);
    for (const s of point.stale) {
      io.stderr.write(
        paint('yellow', `runbook: warning: step ${s.index} ${s.name} changed since it ran (stale)\n`),
      );
    }
    if (point.from > runbook.steps.length) {
      io.stderr.write(`runbook: every step of ${file} is already done; nothing to resume\n`);
      return undefined;
    }
    assertDir(record.context.cwd, 'the working directory the last run ended in,');
    selection = selectSteps(runbook.steps, { from: options.from ?? String(point.from), to: options.to });
    withheld = prev.withheld.filter(
      (name) => !(name in record.context.vars) && !(name in options.set) && io.env[name] === undefined,
    );
  } else {
    selection = selectSteps(runbook.steps, options);
  }
  const first = selection.selected[0];
  if (first) from.renderer?.ahead(firstShowing(first));
  for (const [name, value] of Object.entries(options.set)) {
    record.context = withValue(record.context, name, value);
  }
  // Declared inputs: under --yes every missing or invalid one is listed and nothing runs; at a terminal
  // the ones not given are asked for in one form before step 1; defaults are taken otherwise.
  const inputs = resolveInputs(fm.inputs, record.context, io.env);
  const badInputs = inputs.filter((i) => i.problem);
  // Served, the page asks for them in one form before any step runs.
  const asksPerson = interactive || options.serve !== undefined;
  if (badInputs.length && !asksPerson && !options.dryRun) {
    throw new InputError(formatInputProblems(badInputs));
  }
  const toAsk = asksPerson
    ? inputs.filter((i) => i.source === undefined || i.source === 'default' || i.problem)
    : [];
  for (const i of inputs) {
    if (i.source === 'default' && !toAsk.includes(i))
      record.context = withValue(record.context, i.name, i.value as string);
  }
  if (selection.skippedOver.length && !options.resume) {
    io.stderr.write(`runbook: passing over ${describeSteps(selection.skippedOver)}\n`);
  } else if (selection.skippedOver.length) {
    const tally = tallyPassedOver(record, selection.skippedOver);
    io.stderr.write(`runbook: resuming at step ${selection.selected[0]?.index} (${tally})\n`);
  }
  return { record, selection, withheld, inputs, toAsk };
}
