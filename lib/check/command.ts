// `runbook check [FILE]`: the static checks, printed one per line; exit 1 when any is an error.
import path from 'node:path';
import { EXIT } from '../core/errors.ts';
import type { RunOptions } from '../core/options.ts';
import { stopped } from '../os/signals.ts';
import { checkRunbook, formatFindings } from './check.ts';

export interface CheckIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

export async function runCheck(file: string, options: RunOptions, io: CheckIO): Promise<number> {
  const findings = await checkRunbook(file, { env: io.env, set: options.set, cwd: io.cwd });
  const shown = path.relative(io.cwd ?? process.cwd(), file) || file;
  if (findings.length) io.stdout.write(`${formatFindings(findings, shown)}\n`);
  // Findings cut off by a reader that went away (`| head`) end the command there (os/signals.ts), before
  // a summary of them: a write to such a pipe fails a moment after it returned.
  await new Promise((resolve) => io.stdout.write('', resolve));
  if (stopped() === 'EPIPE') return EXIT.outputClosed;
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  io.stderr.write(
    errors || warnings
      ? `runbook check: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`
      : `runbook check: ${shown} looks good\n`,
  );
  return errors ? EXIT.stepFailed : EXIT.ok;
}
