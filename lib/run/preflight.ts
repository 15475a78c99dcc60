// Preflight: before step 1, check every tool the front matter `requires:` names (on PATH, the version it
// reports, an optional `check` command such as `docker info`) and report every problem at once, each with
// how to fix it. Uses node:child_process only, so the CLI can run it without loading zx.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Requirement } from '../core/types.ts';
import { satisfies, versionIn } from './version-range.ts';

export interface PreflightProblem {
  name: string;
  reason: string;
  hint: string;
}

export interface PreflightOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Per command (version query, check); 5 s unless given. */
  timeoutMs?: number;
}

interface KnownTool {
  /** Arguments that make the tool print its own version and nothing that needs a server. */
  versionArgs: string[];
  install: string;
  /** What to do when the requirement's `check` command fails. */
  checkFailed?: string;
  /** Pulls the version out of the tool's output when the first version-looking token would be wrong. */
  parseVersion?: (output: string) => string | undefined;
}

const KNOWN_TOOLS: Record<string, KnownTool> = {
  docker: {
    versionArgs: ['--version'],
    install:
      'Install Docker: Docker Desktop (macOS, Windows) or Docker Engine (Linux), https://docs.docker.com/get-docker/',
    checkFailed:
      'Start the Docker engine: open Docker Desktop, or run `sudo systemctl start docker` on Linux.',
  },
  k3d: {
    versionArgs: ['version'],
    install:
      'Install k3d v5: `brew install k3d`, or `curl -s https://raw.githubusercontent.com/k3d-io/k3d/main/install.sh | bash` (https://k3d.io)',
  },
  helm: {
    versionArgs: ['version', '--short'],
    install: 'Install Helm 3: `brew install helm`, or see https://helm.sh/docs/intro/install/',
  },
  kubectl: {
    versionArgs: ['version', '--client', '--output=json'],
    install: 'Install kubectl: `brew install kubectl`, or see https://kubernetes.io/docs/tasks/tools/',
    parseVersion: (output) => {
      try {
        return (JSON.parse(output) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion;
      } catch {
        return undefined;
      }
    },
  },
  jq: {
    versionArgs: ['--version'],
    install:
      'Install jq: `sudo apt-get install jq`, `brew install jq`, or see https://jqlang.github.io/jq/download/',
  },
  istioctl: {
    versionArgs: ['version', '--remote=false'],
    install:
      'Install istioctl 1.23: `curl -L https://istio.io/downloadIstio | ISTIO_VERSION=1.23.2 sh -`, then put istio-1.23.2/bin on PATH',
  },
};

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
}

function normalise(requirement: Requirement): NormalisedRequirement | string {
  if (typeof requirement === 'string') return { name: requirement };
  if (requirement === null || typeof requirement !== 'object')
    return `not a name or an object: ${JSON.stringify(requirement)}`;
  const { name, version, check, hint } = requirement as Record<string, unknown>;
  if (typeof name !== 'string' || name.trim() === '') return `has no name: ${JSON.stringify(requirement)}`;
  // YAML reads `version: 5` as a number; it means the same as "5".
  return {
    name,
    version: version === undefined || version === null ? undefined : String(version),
    check: typeof check === 'string' ? check : undefined,
    hint: typeof hint === 'string' ? hint : undefined,
  };
}

async function checkOne(
  requirement: NormalisedRequirement,
  options: Required<PreflightOptions>,
): Promise<PreflightProblem[]> {
  const known = KNOWN_TOOLS[requirement.name];
  const installHint =
    requirement.hint ?? known?.install ?? `Install ${requirement.name} and make sure it is on PATH.`;
  const problem = (reason: string, hint = installHint) => ({ name: requirement.name, reason, hint });
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
    checks.push(
      run('/bin/sh', ['-c', check], options).then((result) => {
        if (result.code === 0) return undefined;
        const failure = describeFailure(check, result, options.timeoutMs);
        const reason =
          requirement.name === 'docker' ? `the Docker engine is not running (${failure})` : failure;
        return problem(
          reason,
          requirement.hint ?? known?.checkFailed ?? `Make \`${check}\` succeed, then run again.`,
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

/** A multi-line report of every problem with how to fix it; empty when there are none. */
export function formatProblems(problems: PreflightProblem[]): string {
  if (problems.length === 0) return '';
  const count = problems.length === 1 ? '1 requirement is' : `${problems.length} requirements are`;
  const lines = [`${count} not met:`];
  for (const { name, reason, hint } of problems) {
    lines.push(`  - ${name}: ${reason}`, `    how to fix: ${hint}`);
  }
  return `${lines.join('\n')}\n`;
}
