// The front matter `shell:` line: how it becomes argv, and what is said when it does not start a bash the
// steps can run in (not installed, not bash, a bash older than 4.4). The run learns it from the step
// server failing to start; `runbook check` asks the same shell with a probe script.
import { spawn } from 'node:child_process';
import { accessSync, constants, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../core/errors.ts';
import { scratchDir } from '../os/scratch.ts';

/** GitHub Actions' default: no profile, no rc files, stop at the first failure, including inside pipes. */
export const DEFAULT_SHELL = 'bash --noprofile --norc -e -o pipefail {0}';

export const MIN_BASH = '4.4';

/** What the server script prints, before anything else, when the shell is not bash 4.4 or newer. */
export const VERSION_LINE = 'runbook-shell-version';

/**
 * Splits a front matter `shell:` line into argv; `{0}` marks where the script goes (appended if absent).
 * A relative path to the program (`./tools/bash`) is taken from `base`, the runbook's directory.
 */
export function shellArgv(line: string, script: string, base?: string): string[] {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new InputError('front matter shell: is empty');
  const argv = words.includes('{0}') ? words.map((w) => (w === '{0}' ? script : w)) : [...words, script];
  const program = argv[0] as string;
  if (base && program.includes('/') && !path.isAbsolute(program)) argv[0] = path.resolve(base, program);
  return argv;
}

/** How the line is named in messages: the front matter's, or the default one. */
function named(line: string, isDefault: boolean): string {
  return isDefault ? 'the step shell (bash)' : `front matter shell: ${line}`;
}

/** Where a program would be found: its path, or undefined when nothing on PATH is executable by that name. */
export function findProgram(program: string, env: NodeJS.ProcessEnv): string | undefined {
  const candidates = program.includes('/')
    ? [program]
    : (env.PATH ?? '').split(':').map((d) => path.join(d || '.', program));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return path.resolve(file);
    } catch {
      // Not there, or not executable.
    }
  }
  return undefined;
}

/** `5.2.15(1)-release` is at least 4.4. */
export function bashIsRecent(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const [needMajor, needMinor] = MIN_BASH.split('.').map(Number) as [number, number];
  return major > needMajor || (major === needMajor && minor >= needMinor);
}

/** The reason a shell line is refused, from what is known of its start; undefined when nothing is wrong. */
export function shellProblem(
  line: string,
  isDefault: boolean,
  found: { spawnError?: string; version?: string; env: NodeJS.ProcessEnv; base?: string },
): string | undefined {
  const program = shellArgv(line, '')[0] as string;
  const resolved = shellArgv(line, '', found.base)[0] as string;
  const who = named(line, isDefault);
  const need = `steps need bash ${MIN_BASH} or newer`;
  if (found.spawnError === 'ENOENT') {
    const where = program.includes('/') ? 'no such file' : 'not found on PATH';
    return `${who}: ${program} is not installed (${where}); ${need}`;
  }
  if (found.spawnError) return `${who}: ${program} cannot be started (${found.spawnError}); ${need}`;
  if (found.version === undefined) return undefined;
  if (found.version === '') return `${who} does not run bash; ${need}`;
  if (!bashIsRecent(found.version)) {
    return `${who} runs bash ${found.version} (${findProgram(resolved, found.env)}); ${need}`;
  }
  return undefined;
}

/** The version line a shell printed, or "" when it printed one without a version (it is not bash). */
export function versionFrom(output: string): string | undefined {
  const match = new RegExp(`^${VERSION_LINE} ?(.*)$`, 'm').exec(output);
  return match ? (match[1] as string).trim() : undefined;
}

/**
 * Runs the shell line on a probe script that prints its bash version: what `runbook check` uses, and the
 * run when the server failed for a reason it did not say. "" when what ran is not bash.
 */
/** What a start or a probe learned of a shell: why it could not start, or the bash version it said ("" not bash). */
export interface ShellFound {
  spawnError?: string;
  version?: string;
}

export async function probeShell(line: string, env: NodeJS.ProcessEnv, base?: string): Promise<ShellFound> {
  const dir = scratchDir('runbook-probe-', env);
  try {
    const script = path.join(dir, 'probe.sh');
    writeFileSync(script, `printf '%s %s\\n' ${VERSION_LINE} "\${BASH_VERSION-}"\n`, { mode: 0o600 });
    const [file, ...args] = shellArgv(line, script, base) as [string, ...string[]];
    return await new Promise((resolve) => {
      const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        resolve({ spawnError: (err as NodeJS.ErrnoException).code ?? err.message });
      });
      child.once('close', () => {
        clearTimeout(timer);
        resolve({ version: versionFrom(out) ?? '' });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The reason a step shell that did not come up gives, from what it printed and how it ended. */
export async function startFailure(
  opts: { shellLine: string; defaultShell: boolean; env: NodeJS.ProcessEnv; runbook: string },
  how: { exitCode: number | null; said: string; spawnError?: string },
): Promise<string> {
  const { shellLine, defaultShell, env } = opts;
  const base = path.dirname(opts.runbook);
  let found: { spawnError?: string; version?: string } = {
    spawnError: how.spawnError,
    version: versionFrom(how.said),
  };
  // It stopped without saying what it is: ask it with a script that only prints its version.
  if (!found.spawnError && found.version === undefined) found = await probeShell(shellLine, env, base);
  const problem = shellProblem(shellLine, defaultShell, { ...found, env, base });
  if (problem) return problem;
  const first = how.said.trim().split('\n')[0];
  const who = defaultShell ? 'the step shell' : `front matter shell: ${shellLine}`;
  return `${who} stopped as it started (exit ${how.exitCode}${first ? `: ${first}` : ''})`;
}
