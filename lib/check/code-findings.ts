// What check says of each step's code: bash -n's syntax errors, a step the variable analysis cannot read,
// and the variables a step needs that no earlier step sets and nothing given provides (certainty.ts),
// each at the line that reads it, or through the function of an earlier step that does.
import { analyzeRunbookCached } from '../analysis/cache.ts';
import { judgeNeeds, type MissingVariable } from '../analysis/certainty.ts';
import { withStepEffects } from '../analysis/step-effects.ts';
import type { Step } from '../core/types.ts';
import { type CheckCache, findProgram } from './check-cache.ts';
import type { CheckFinding } from './finding.ts';
import { type SyntaxError as BashSyntaxError, bashSyntaxAll } from './syntax.ts';

/** What a check keeps beside the runbook: the parse, the analyses, what bash -n and shellcheck said. */
export interface Caches {
  analysis?: string;
  tools: CheckCache;
}

/** `line N:C: message` (mvdan/sh) or `message (N:C)` (acorn): the line within the step's code. */
function codeLineOf(message: string): number {
  const match = /^line (\d+):/.exec(message) ?? /\((\d+):\d+\)$/.exec(message);
  return match ? Number(match[1]) : 1;
}

export interface CodeOptions {
  env?: NodeJS.ProcessEnv;
  /** Values given with --set. */
  set?: Record<string, string>;
}

export async function variableFindings(
  steps: Step[],
  opts: CodeOptions,
  declared: string[],
  caches: Caches,
): Promise<CheckFinding[]> {
  const shellSteps = steps.filter((s) => s.kind === 'shell');
  const analyze = caches.analysis
    ? analyzeRunbookCached(steps, caches.analysis)
    : import('../analysis/analyze.ts').then((m) => m.analyzeRunbook(steps));
  const bash = findProgram('bash', opts.env);
  const [analyses, syntax] = await Promise.all([
    analyze.then((all) => all.map((a, i) => withStepEffects(steps[i] as Step, a))),
    caches.tools.each<BashSyntaxError | undefined>(
      'bash -n',
      bash?.identity ?? 'bash',
      shellSteps.map((s) => s.code),
      (codes) => bashSyntaxAll(codes, bash?.path),
    ),
  ]);
  const bashSays = new Map(shellSteps.map((s, i) => [s.index, syntax[i]]));
  const findings: CheckFinding[] = [];
  analyses.forEach((analysis, i) => {
    const step = steps[i] as Step;
    const at = (line: number) => ({ line: step.line + line, step: step.name });
    if (step.kind === 'shell') {
      const bad = bashSays.get(step.index);
      if (bad) findings.push({ ...at(bad.line), severity: 'error', message: `bash syntax: ${bad.message}` });
      else if (analysis.error) {
        findings.push({
          ...at(codeLineOf(analysis.error)),
          severity: 'warning',
          message: `the variable analysis cannot read this step (${analysis.error}); bash can, so it is taken to set anything`,
        });
      }
    } else if (analysis.error) {
      findings.push({
        ...at(codeLineOf(analysis.error)),
        severity: 'error',
        message: `JavaScript syntax: ${analysis.error}`,
      });
    }
  });
  const provided = new Set([
    ...Object.keys(opts.env ?? process.env),
    ...Object.keys(opts.set ?? {}),
    ...declared,
  ]);
  const verdict = judgeNeeds(steps, analyses, provided);
  const also = (others: Step[]) =>
    others.length > 0 ? `; also read by ${others.map((s) => s.name).join(', ')}` : '';
  // At the line that first reads it; through a function of an earlier step, at the line that calls it,
  // saying where the function reads it; at the fence when the analysis does not know.
  const readAt = (step: Step, v: MissingVariable) =>
    step.line + (v.via ? (v.via.callLine ?? 0) : (analyses[steps.indexOf(step)]?.readLines?.[v.name] ?? 0));
  const through = ({ via }: MissingVariable) =>
    via
      ? via.readLine
        ? ` (read at line ${via.definedIn.line + via.readLine}, through ${via.function})`
        : ` (read by ${via.function}, defined at line ${via.definedIn.line})`
      : '';
  for (const missing of verdict.missing) {
    const [first, ...others] = missing.steps as [Step, ...Step[]];
    findings.push({
      line: readAt(first, missing),
      step: first.name,
      severity: 'error',
      message: `needs ${missing.name}${through(missing)}, which no earlier step sets and neither the environment nor --set provides${also(others)}`,
    });
  }
  for (const unsure of verdict.uncertain) {
    const [first, ...others] = unsure.steps as [Step, ...Step[]];
    findings.push({
      line: readAt(first, unsure),
      step: first.name,
      severity: 'warning',
      message: `may read ${unsure.name}${through(unsure)} unset (${unsure.reason})${also(others)}`,
    });
  }
  return findings;
}
