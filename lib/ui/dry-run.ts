// `--dry-run`: the whole walk on paper. Every selected step's prose, code and the variables it would use,
// with where each value would come from; nothing runs and nothing is asked, so it works in a pipe.

import type { VariableAnalysis } from '../analysis/variables.ts';
import { EXIT } from '../core/errors.ts';
import { describeInput, type ResolvedInput } from '../core/inputs.ts';
import type { RunIO } from '../core/options.ts';
import { declaredSecrets, makeRedactor, makeSecretTest } from '../core/secrets.ts';
import type { Selection } from '../core/select.ts';
import { painter } from '../core/style.ts';
import type { Context, Runbook, Step } from '../core/types.ts';
import { renderedHere, renderProse } from './render.ts';
import { analyze, usedVars } from './step-vars.ts';
import { terminalRenderOptions } from './text.ts';
import { runbookTitle, stepCount, stepView } from './view.ts';

/** `file` names the runbook in the title when it has neither a title nor a heading. */
export async function dryRun(
  runbook: Runbook,
  selection: Selection,
  context: Context,
  io: Pick<RunIO, 'stdout' | 'env'>,
  file?: string,
  inputs: ResolvedInput[] = [],
  known?: Map<number, VariableAnalysis>,
): Promise<number> {
  const opts = terminalRenderOptions(io.stdout, io.env);
  const paint = painter(opts.color);
  const total = runbook.steps.length;
  const { selected } = selection;
  const secrets = declaredSecrets(runbook.frontMatter);
  const sources = {
    context,
    env: io.env,
    isSecret: makeSecretTest(secrets),
    redact: makeRedactor(context, secrets, io.env),
    width: opts.width - 20,
  };
  // The run's analyses (from its cache) where it has them: the parser is loaded only when it must be.
  const analyses = await Promise.all(selected.map((s) => known?.get(s.index) ?? analyze(s)));
  const setBy = new Map<string, Step>();
  const out: string[] = [
    `${paint('bold', runbookTitle(runbook, file))}\n`,
    paint(
      'dim',
      `Dry run of ${selected.length === total ? stepCount(total) : `${selected.length} of ${total} steps`}; nothing is run.\n`,
    ),
  ];
  if (inputs.length) out.push(inputsView(inputs, paint));
  const rendered = renderedHere(opts);
  selected.forEach((step, i) => {
    const analysis = analyses[i] ?? { sets: [], needs: [] };
    const vars = usedVars(analysis, step.code, sources, (name) => {
      const by = setBy.get(name);
      return by ? `set by step ${by.index} ${by.name}` : 'not set; the walkthrough would ask for it';
    });
    const sets = analysis.sets.length ? `${paint('dim', 'Sets:')} ${analysis.sets.join(', ')}\n` : undefined;
    out.push(stepView(step, total, { prose: true, code: step.code, vars, footer: sets }, rendered, opts));
    for (const name of analysis.sets) setBy.set(name, step);
  });
  if (selected.at(-1)?.index === total) {
    const epilogue = renderProse(runbook.epilogue, opts);
    if (epilogue) out.push(`\n${epilogue}`);
  }
  out.push(paint('dim', `\nDry run done: ${stepCount(selected.length)} shown, none run.\n`));
  io.stdout.write(out.join(''));
  return EXIT.ok;
}

/** The declared inputs, each with where its value would come from. */
function inputsView(inputs: ResolvedInput[], paint: ReturnType<typeof painter>): string {
  const lines = inputs.map((i) => {
    const where =
      i.problem && i.problem !== 'missing'
        ? `invalid: ${i.problem}; the walkthrough would ask again, --yes would refuse`
        : i.source === 'given'
          ? `given: ${i.spec.secret ? '****' : JSON.stringify(i.value)}`
          : i.source === 'environment'
            ? `from the environment: ${i.spec.secret ? '****' : JSON.stringify(i.value)}`
            : i.source === 'default'
              ? 'the default; the walkthrough would ask'
              : i.problem
                ? 'missing: the walkthrough would ask, --yes would refuse'
                : 'not given (optional)';
    return `  ${describeInput(i.name, i.spec)}\n    ${paint('dim', where)}`;
  });
  return `\n${paint('bold', 'Inputs:')}\n${lines.join('\n')}\n`;
}
