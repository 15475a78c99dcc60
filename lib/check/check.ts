// `runbook check`: what can be found wrong with a runbook without running any of it.
import path from 'node:path';
import { type StepCommands, stepCommands } from '../analysis/commands.ts';
import { InputError } from '../core/errors.ts';
import type { Runbook, Step } from '../core/types.ts';
import { assertDir, baseDirFor } from '../engine/base-dir.ts';
import { stepRuleProblems } from '../engine/step-rules.ts';
import { attributeProblems } from '../markdown/attributes-known.ts';
import { readRunbook } from '../markdown/load.ts';
import { parseCached } from '../markdown/parse-cache.ts';
import { cacheFile } from '../os/state-dir.ts';
import { DEFAULT_SHELL, probeShell, type ShellFound, shellArgv, shellProblem } from '../shell/shell-line.ts';
import { CheckCache, findProgram, type Program } from './check-cache.ts';
import { type Caches, variableFindings } from './code-findings.ts';
import type { CheckFinding } from './finding.ts';
import { findPathProblems } from './paths.ts';
import { type ShellcheckComment, shellcheckAvailable, shellcheckStep } from './shellcheck.ts';

export type { CheckFinding } from './finding.ts';

export interface CheckOptions {
  env?: NodeJS.ProcessEnv;
  /** Values given with --set. */
  set?: Record<string, string>;
  /** The shellcheck command, or false to leave shellcheck out. */
  shellcheck?: string | false;
  /** Where a runbook read from a pipe starts its steps (default: the current directory). */
  cwd?: string;
  /** Keep what was learnt beside the runbook, and use what is kept there (the default). */
  cache?: boolean;
}

function frontMatterFindings(runbook: Runbook, runbookDir: string): CheckFinding[] {
  const findings: CheckFinding[] = runbook.warnings.map((w) => ({
    line: w.line,
    severity: 'warning',
    message: w.message,
  }));
  const cwd = runbook.frontMatter.cwd;
  if (typeof cwd === 'string') {
    // As the run judges it before its first step: missing, unusable, or not a directory.
    try {
      assertDir(baseDirFor(runbookDir, cwd), 'front matter cwd');
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      findings.push({ line: 1, severity: 'error', message: err.message });
    }
  }
  return findings;
}

function attributeFindings(step: Step): CheckFinding[] {
  return attributeProblems(step.attributes, step.unreadable).map((problem) => ({
    line: step.line,
    step: step.name,
    severity: 'error',
    message: problem.message,
  }));
}

/**
 * The shell line runs a bash 4.4 or newer: asked with a probe script, as the run would find out, once per
 * program (its identity, as for bash -n and shellcheck) and line.
 */
async function shellFindings(
  runbook: Runbook,
  text: string,
  env: NodeJS.ProcessEnv,
  base: string,
  cache: CheckCache,
): Promise<CheckFinding[]> {
  if (!runbook.steps.some((s) => s.kind === 'shell')) return [];
  const line = runbook.frontMatter.shell ?? DEFAULT_SHELL;
  const program = findProgram(shellArgv(line, '', base)[0] as string, env);
  const ask = async (): Promise<ShellFound> => probeShell(line, env, base);
  const found = program
    ? ((await cache.each('shell', program.identity, [line], (lines) => Promise.all(lines.map(ask))))[0] ?? {})
    : await ask();
  const problem = shellProblem(line, line === DEFAULT_SHELL, { ...found, env, base });
  if (!problem) return [];
  const at = text.split('\n').findIndex((l) => /^shell\s*:/.test(l)) + 1;
  return [{ line: at || 1, severity: 'error', message: problem }];
}

async function shellcheckFindings(
  steps: Step[],
  program: Program,
  cache: CheckCache,
): Promise<CheckFinding[]> {
  const shellSteps = steps.filter((s) => s.kind === 'shell');
  const comments = await cache.each<ShellcheckComment[]>(
    'shellcheck',
    program.identity,
    shellSteps.map((s) => s.code),
    (codes) => Promise.all(codes.map((code) => shellcheckStep(code, program.path))),
  );
  const perStep = shellSteps.map((step, i) =>
    (comments[i] ?? []).map(
      (c): CheckFinding => ({
        line: step.line + c.line,
        step: step.name,
        severity: c.level === 'error' ? 'error' : 'warning',
        message: `SC${c.code}: ${c.message}`,
      }),
    ),
  );
  return perStep.flat();
}

/** The commands a step's code runs, started in `start`: the parse, cached with the other findings. */
async function commandsCached(
  cache: CheckCache,
  code: string,
  start: string | undefined,
): Promise<StepCommands> {
  const [found] = await cache.each<StepCommands>('commands', start ?? '', [code], async ([c]) => [
    await stepCommands(c as string, start),
  ]);
  const commands = found as StepCommands;
  // JSON keeps an undefined array element (a word that expands something) as null.
  for (const e of commands.events) if (e.type === 'command') e.words = e.words.map((w) => w ?? undefined);
  return commands;
}

/** Every problem found, sorted by line; an InputError from parsing becomes one finding. */
export async function checkRunbook(runbookPath: string, opts: CheckOptions = {}): Promise<CheckFinding[]> {
  // The run's own reader: the same words for a file that cannot be read, the same directory for a pipe.
  const { text, place } = readRunbook(path.resolve(runbookPath), {
    cwd: opts.cwd ?? process.cwd(),
    env: opts.env ?? process.env,
  });
  const cached = opts.cache !== false;
  let runbook: Runbook;
  try {
    runbook = cached
      ? await parseCached(text, place)
      : (await import('../markdown/parse.ts')).parseRunbook(text);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    // "line N: ...", or "... on lines A and B" where B is the offending one.
    const at = /\blines? (\d+)(?: and (\d+))?/.exec(error.message);
    const line = Number(at?.[2] ?? at?.[1] ?? 1);
    return [{ line, severity: 'error', message: error.message }];
  }
  const runbookDir = place.dir;
  const steps = runbook.steps;
  const caches: Caches = {
    analysis: cached ? cacheFile(place, 'analysis.json') : undefined,
    tools: new CheckCache(cached ? cacheFile(place, 'check.json') : undefined),
  };
  const shellcheck = opts.shellcheck ?? 'shellcheck';
  const program = shellcheck === false ? undefined : findProgram(shellcheck, opts.env);
  const [useShellcheck] = program
    ? await caches.tools.each('shellcheck --version', program.identity, [''], () =>
        shellcheckAvailable(program.path).then((ok) => [ok]),
      )
    : [false];
  const findings = [
    ...frontMatterFindings(runbook, runbookDir),
    ...(await shellFindings(runbook, text, opts.env ?? process.env, runbookDir, caches.tools)),
    ...steps.flatMap(attributeFindings),
    ...stepRuleProblems(steps).map(
      (p): CheckFinding => ({ line: p.line, step: p.step.name, severity: p.severity, message: p.message }),
    ),
    ...(await variableFindings(steps, opts, Object.keys(runbook.frontMatter.inputs ?? {}), caches)),
    ...(await findPathProblems(runbook, runbookDir, (code, start) =>
      commandsCached(caches.tools, code, start),
    )),
    ...(useShellcheck && program ? await shellcheckFindings(steps, program, caches.tools) : []),
  ];
  await caches.tools.save();
  return findings.sort((a, b) => a.line - b.line);
}

/** One line per finding: `file:line: error: message (step name)`. */
export function formatFindings(findings: CheckFinding[], file: string): string {
  return findings
    .map((f) => `${file}:${f.line}: ${f.severity}: ${f.message}${f.step ? ` (${f.step})` : ''}`)
    .join('\n');
}
