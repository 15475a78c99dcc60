// Bash is the judge of bash syntax: `bash -n` reads each shell step without running it. The analysis
// parser (mvdan/sh) rejects some valid bash (`declare -A M=([a b]=1)`); a step it cannot read is only one
// the analysis cannot see into, never a syntax error. Extended patterns (`@(a|b)`) are read as such: an
// earlier step may have turned extglob on (options carry), and nothing valid without it is invalid with it.
import { spawn } from 'node:child_process';

export interface SyntaxError {
  /** 1-based line in the step's code. */
  line: number;
  message: string;
}

/** Steps checked at once: each is a short-lived bash. */
const PARALLEL = 4;

/** bash's complaints about `code`, or undefined when it reads cleanly (or bash cannot be started). */
export function bashSyntax(code: string, bash = 'bash'): Promise<SyntaxError | undefined> {
  return new Promise((resolve) => {
    const child = spawn(bash, ['--noprofile', '--norc', '-O', 'extglob', '-n'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', () => resolve(undefined));
    child.on('close', (status) => {
      if (status === 0) return resolve(undefined);
      // "bash: line 3: syntax error: unexpected end of file", then the offending text.
      const first = stderr.split('\n').find((l) => /line \d+:/.test(l)) ?? stderr.split('\n')[0] ?? '';
      const at = /line (\d+): (.*)$/.exec(first);
      // "unexpected end of file" is reported on the line after the last.
      const lines = code.split('\n').length;
      resolve({
        line: Math.min(at ? Number(at[1]) : 1, lines),
        message: (at?.[2] ?? first).trim() || `bash -n exited ${status}`,
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(`${code}\n`);
  });
}

/** bash -n over many steps, a few at a time, in order. */
export async function bashSyntaxAll(codes: string[], bash?: string): Promise<Array<SyntaxError | undefined>> {
  const results: Array<SyntaxError | undefined> = new Array(codes.length);
  let next = 0;
  const worker = async () => {
    while (next < codes.length) {
      const i = next++;
      results[i] = await bashSyntax(codes[i] as string, bash);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, codes.length) }, worker));
  return results;
}
