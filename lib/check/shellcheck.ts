// ShellCheck's findings for one step, when the `shellcheck` command is installed.
import { spawn } from 'node:child_process';

export interface ShellcheckComment {
  /** 1-based line in the step's code. */
  line: number;
  level: 'error' | 'warning' | 'info' | 'style';
  code: number;
  message: string;
}

/**
 * Steps are fragments of one script: a variable one step assigns is read by a later one (SC2034,
 * "appears unused") and one read here was assigned earlier (SC2154, "referenced but not assigned").
 * `runbook check` finds missing variables itself, across steps.
 */
const EXCLUDED = ['SC2034', 'SC2154'];

interface Run {
  code: number | null;
  stdout: string;
  error?: NodeJS.ErrnoException;
}

function run(command: string, args: string[], input: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.on('error', (error) => resolve({ code: null, stdout, error }));
    child.on('close', (code) => resolve({ code, stdout }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** Whether `command` runs as shellcheck here. */
export async function shellcheckAvailable(command = 'shellcheck'): Promise<boolean> {
  const result = await run(command, ['--version'], '');
  return !result.error && result.code === 0;
}

/** ShellCheck's comments on one step's bash code; throws when shellcheck cannot run or answers nonsense. */
export async function shellcheckStep(code: string, command = 'shellcheck'): Promise<ShellcheckComment[]> {
  const args = ['--format=json1', '--shell=bash', `--exclude=${EXCLUDED.join(',')}`, '-'];
  const result = await run(command, args, `${code}\n`);
  if (result.error) throw result.error;
  // Exit 1 means "found something"; other codes are failures of shellcheck itself.
  if (result.code !== 0 && result.code !== 1) throw new Error(`${command} exited with ${result.code}`);
  const parsed = JSON.parse(result.stdout) as { comments?: ShellcheckComment[] };
  return (parsed.comments ?? []).map(({ line, level, code: sc, message }) => ({
    line,
    level,
    code: sc,
    message,
  }));
}
