// Preflight: before step 1, check every tool the front matter `requires:` names (on PATH, the version it
// reports, an optional `check` command such as `docker info`, run by bash in the runbook's working
// directory) and report every problem at once, each with how to fix it and whether it only warns
// (`warn: true`). Uses node:child_process only, so the CLI can run it without loading zx.
import { spawn } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Requirement } from '../core/types.ts';
import { KNOWN_TOOLS } from './known-tools.ts';
import { satisfies, versionIn } from './version-range.ts';

export interface PreflightProblem {
  name: string;
  reason: string;
  hint: string;
  /** From `warn: true`: reported, and the run goes on. */
  warn?: boolean;
}

export interface PreflightOptions {
  env?: NodeJS.ProcessEnv;
  /** Where checks run and path-like names resolve: the runbook's working directory. */
  cwd?: string;
  /** Per command (version query, check); 5 s unless given. */
  timeoutMs?: number;
}

/** The health check each known tool's `checkFailed` hint is about. */
const KNOWN_CHECKS: Record<string, string> = { docker: 'docker info' };

const DEFAULT_TIMEOUT_MS = 5000;
const OUTPUT_LIMIT = 64 * 1024;

interface CommandResult {
  code: number | null;
  output: string;
  timedOut: boolean;
  error?: string;
}

/** Runs a command with a deadline, keeping a bounded amount of its combined output. */
function run(file: string, args: string[], options: Required<PreflightOptions>): Promise<CommandResult> {
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    const keep = (chunk: Buffer) => {
      if (output.length < OUTPUT_LIMIT) output += chunk.toString('utf8');
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole group: a check like `docker info` may have children of its own.
      try {
        if (child.pid !== undefined)
          process.kill(process.platform === 'win32' ? child.pid : -child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, output, timedOut, error: error.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

/** The executable `name` resolves to on the PATH of `env`, or undefined. */
async function locate(name: string, options: Required<PreflightOptions>): Promise<string | undefined> {
  const candidates = name.includes('/')
    ? [path.resolve(options.cwd, name)]
    : (options.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(path.resolve(options.cwd, dir), name));
  for (const candidate of candidates) {
    try {
      if ((await stat(candidate)).isFile()) {
        await access(candidate, constants.X_OK);
        return candidate;
      }
    } catch {}
  }
  return undefined;
}

function lastLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  const line = lines.at(-1) ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** The first line of a command, marked when more follow. */
function firstLine(command: string): string {
  const lines = command.trim().split('\n');
  return lines.length > 1 ? `${lines[0]} ...` : (lines[0] ?? '');
}

/**
 * Why a check failed: a one-line check is named with its last output line; a script of several lines is
 * represented by what it printed last, which is where such a check says what is wrong.
 */
function describeCheck(check: string, result: CommandResult, timeoutMs: number): string {
  const detail = lastLine(result.output);
  if (!check.trim().includes('\n') || !detail || result.timedOut || result.error)
    return describeFailure(firstLine(check), result, timeoutMs);
  return detail;
}

/** bash from the run's PATH, else the runner's own, else /bin/bash: checks are written for bash. */
function bashFor(env: NodeJS.ProcessEnv): string {
  for (const dirs of [env.PATH, process.env.PATH]) {
    for (const dir of (dirs ?? '').split(path.delimiter).filter(Boolean)) {
      const candidate = path.join(dir, 'bash');
      if (existsSync(candidate)) return candidate;
    }
  }
  return '/bin/bash';
}

function describeFailure(what: string, result: CommandResult, timeoutMs: number): string {
  if (result.timedOut) return `\`${what}\` did not finish within ${timeoutMs / 1000} s`;
  if (result.error) return `\`${what}\` could not run: ${result.error}`;
  const detail = lastLine(result.output);
  return `\`${what}\` failed (exit ${result.code})${detail ? `: ${detail}` : ''}`;
}

interface NormalisedRequirement {
  name: string;
  version?: string;
  check?: string;
  hint?: string;
  warn: boolean;
}

function normalise(requirement: Requirement): NormalisedRequirement | string {
  if (typeof requirement === 'string') return { name: requirement, warn: false };
  if (requirement === null || typeof requirement !== 'object')
    return `not a name or an object: ${JSON.stringify(requirement)}`;
  const { name, version, check, hint, warn } = requirement as Record<string, unknown>;
  if (typeof name !== 'string' || name.trim() === '') return `has no name: ${JSON.stringify(requirement)}`;
  // YAML reads `version: 5` as a number; it means the same as "5".
  return {
    name,
    version: version === undefined || version === null ? undefined : String(version),
    check: typeof check === 'string' ? check : undefined,
    hint: typeof hint === 'string' ? hint : undefined,
    warn: warn === true,
  };
}

async function checkOne(
  requirement: NormalisedRequirement,
  options: Required<PreflightOptions>,
): Promise<PreflightProblem[]> {
  const known = KNOWN_TOOLS[requirement.name];
  const installHint =
    requirement.hint ?? known?.install ?? `Install ${requirement.name} and make sure it is on PATH.`;
  const warn = requirement.warn ? { warn: true } : {};
  const problem = (reason: string, hint = installHint) => ({ name: requirement.name, reason, hint, ...warn });
  const executable = await locate(requirement.name, options);
  if (!executable) return [problem('not found on PATH')];

  const checks: Promise<PreflightProblem | undefined>[] = [];
  if (requirement.version !== undefined) {
    const spec = requirement.version;
    const args = known?.versionArgs ?? ['--version'];
    checks.push(
      run(executable, args, options).then((result) => {
        const command = [requirement.name, ...args].join(' ');
        if (result.code !== 0)
          return problem(`cannot tell its version: ${describeFailure(command, result, options.timeoutMs)}`);
        const found = known?.parseVersion?.(result.output) ?? versionIn(result.output);
        if (!found) return problem(`cannot tell its version: \`${command}\` printed no version number`);
        const verdict = satisfies(found, spec);
        if (verdict === 'invalid') {
          return problem(
            `the runbook asks for version "${spec}", which is not a version requirement`,
            'Fix `requires:` in the runbook\'s front matter (e.g. "5", "v3", ">=1.23 <1.24").',
          );
        }
        return verdict ? undefined : problem(`version ${found} does not satisfy "${spec}"`);
      }),
    );
  }
  if (requirement.check !== undefined) {
    const check = requirement.check;
    // Only the tool's own health check (`docker info`) has a known meaning and fix.
    const ownCheck = known?.checkFailed !== undefined && check.trim() === KNOWN_CHECKS[requirement.name];
    checks.push(
      run(bashFor(options.env), ['--noprofile', '--norc', '-c', check], options).then((result) => {
        if (result.code === 0) return undefined;
        const failure = describeCheck(check, result, options.timeoutMs);
        const reason = ownCheck ? `the Docker engine is not running (${failure})` : failure;
        const fallback = ownCheck ? known?.checkFailed : undefined;
        return problem(
          reason,
          requirement.hint ?? fallback ?? `Make \`${firstLine(check)}\` succeed, then run again.`,
        );
      }),
    );
  }
  return (await Promise.all(checks)).filter((found): found is PreflightProblem => found !== undefined);
}

/** Every unmet requirement, in the order the front matter lists them; all checks run in parallel. */
export async function checkRequirements(
  requires: Requirement[] | undefined,
  opts: PreflightOptions = {},
): Promise<PreflightProblem[]> {
  if (!requires || requires.length === 0) return [];
  const options: Required<PreflightOptions> = {
    env: opts.env ?? process.env,
    cwd: opts.cwd ?? process.cwd(),
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
  const results = await Promise.all(
    requires.map((requirement) => {
      const normalised = normalise(requirement);
      if (typeof normalised === 'string') {
        return [
          {
            name: '(requires)',
            reason: `an entry ${normalised}`,
            hint: 'Give every `requires:` entry a command name.',
          },
        ];
      }
      return checkOne(normalised, options);
    }),
  );
  return results.flat();
}
