// `runbook --list`: what the runbook would do, one line per step, or JSON for tools.
import { analyzeAll } from '../analysis/needs.ts';
import type { Runbook } from '../core/types.ts';

export interface ListIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export function warnParse(runbook: Runbook, file: string, stderr: NodeJS.WritableStream): void {
  for (const w of runbook.warnings) stderr.write(`runbook: warning: ${file}:${w.line}: ${w.message}\n`);
}

export async function printList(runbook: Runbook, file: string, json: boolean, io: ListIO): Promise<void> {
  warnParse(runbook, file, io.stderr);
  const analyses = await analyzeAll(runbook.steps, file);
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
    }));
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
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
    const vars = [
      a?.sets.length ? `sets ${a.sets.join(' ')}` : '',
      a?.needs.length ? `needs ${a.needs.join(' ')}` : '',
    ].filter(Boolean);
    const suffix = vars.length ? `  [${vars.join('; ')}]` : '';
    io.stdout.write(
      `${String(s.index).padStart(width)}  ${s.name.padEnd(nameWidth)}  ${first.trim()}${suffix}\n`,
    );
  }
}
