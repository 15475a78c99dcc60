// `runbook --list`: what the runbook would do, one line per step, or JSON for tools.
import type { Analyze } from '../analysis/analyzer.ts';
import { analyzeAll } from '../analysis/needs.ts';
import { describeInput } from '../core/inputs.ts';
import type { Runbook, Step } from '../core/types.ts';
import { describeExpectation, expectationOf } from '../markdown/expectation.ts';
import { captureName, DEFAULT_READY_TIMEOUT_S, isBackground, stopNames } from '../markdown/step-options.ts';
import type { RunbookPlace } from '../os/state-dir.ts';

export interface ListIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export function warnParse(runbook: Runbook, file: string, stderr: NodeJS.WritableStream): void {
  for (const w of runbook.warnings) stderr.write(`runbook: warning: ${file}:${w.line}: ${w.message}\n`);
}

/** What --list says about a step's output block, background, capture and stop. */
function stepOptions(step: Step) {
  const background = isBackground(step);
  const expectation = background ? undefined : expectationOf(step);
  const timeout = Number(step.attributes.timeout ?? DEFAULT_READY_TIMEOUT_S);
  return {
    expect: expectation ?? null,
    background: background
      ? { ready: typeof step.attributes.ready === 'string' ? step.attributes.ready : null, timeout }
      : null,
    capture: captureName(step) ?? null,
    stop: stopNames(step.attributes.stop),
  };
}

/** `analyze`: where steps the analysis cache lacks are analysed (see analysis/analyzer.ts). */
export async function printList(
  runbook: Runbook,
  place: RunbookPlace,
  json: boolean,
  io: ListIO,
  analyze?: Analyze,
): Promise<void> {
  const file = place.file;

  warnParse(runbook, file, io.stderr);
  const analyses = await analyzeAll(runbook.steps, place, analyze);
  if (json) {
    const rows = runbook.steps.map((s) => ({
      index: s.index,
      name: s.name,
      lang: s.lang,
      line: s.line,
      code: s.code,
      attributes: s.attributes,
      sets: analyses.get(s.index)?.sets ?? [],
      needs: analyses.get(s.index)?.needs ?? [],
      mayNeed: analyses.get(s.index)?.mayNeed ?? {},
      ...stepOptions(s),
    }));
    const inputs = Object.entries(runbook.frontMatter.inputs ?? {}).map(([name, spec]) => ({
      name,
      ...spec,
      ...(spec.secret && spec.default !== undefined ? { default: '****' } : {}),
    }));
    io.stdout.write(`${JSON.stringify({ inputs, steps: rows }, null, 2)}\n`);
    return;
  }
  const declared = Object.entries(runbook.frontMatter.inputs ?? {});
  if (declared.length) {
    io.stdout.write(
      `Inputs:\n${declared.map(([name, spec]) => `  ${describeInput(name, spec)}\n`).join('')}Steps:\n`,
    );
  }
  if (runbook.steps.length === 0) {
    io.stderr.write(`runbook: ${file} has no steps (fenced sh, bash, shell or js blocks)\n`);
    return;
  }
  const width = String(runbook.steps.length).length;
  const nameWidth = Math.min(40, Math.max(...runbook.steps.map((s) => s.name.length)));
  for (const s of runbook.steps) {
    const first = s.code.split('\n').find((l) => l.trim() !== '') ?? '';
    const a = analyses.get(s.index);
    const o = stepOptions(s);
    const vars = [
      o.background ? 'background: its variables are not carried' : '',
      a?.sets.length ? `sets ${a.sets.join(' ')}` : '',
      a?.needs.length ? `needs ${a.needs.join(' ')}` : '',
      o.expect ? `expects output (${describeExpectation(o.expect)})` : '',
      o.stop.length ? `stops ${o.stop.join(' ')}` : '',
    ].filter(Boolean);
    const suffix = vars.length ? `  [${vars.join('; ')}]` : '';
    io.stdout.write(
      `${String(s.index).padStart(width)}  ${s.name.padEnd(nameWidth)}  ${first.trim()}${suffix}\n`,
    );
  }
}
