// The command line: arguments, help, exit codes. The only module that decides how the process ends.
// Kept light: --help, --version and --list must not load zx, clack or marked-terminal.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, RunbookError, UsageError } from '../core/errors.ts';
import { isIdentifier } from '../core/identifiers.ts';
import type { RunOptions } from '../core/options.ts';
import { loadRunbook } from '../markdown/load.ts';

export interface CliIO {
  argv: string[];
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export const USAGE = `Usage: runbook [options] [FILE]        walk through FILE (default ./runbook.md)
       runbook check [options] [FILE]  check FILE without running anything
       runbook serve [options] [FILE]  open FILE as a web notebook (prints its URL)

Options:
  -y, --yes              run every step unattended (required when stdin is not a terminal)
      --resume           continue the last run at its first step that is not done
      --from N|NAME      start at this step
      --to N|NAME        stop after this step
      --only LIST        run only these steps (comma-separated numbers or names)
      --set NAME=VALUE   seed a shell variable before the first step (repeatable)
      --env-file FILE    add a dotenv file's variables to the environment (repeatable, before --set)
      --dry-run          show every step and the variables it would use; run nothing
      --record DIR       write run.json, junit.xml and transcript.md to DIR at the end
  -l, --list             list the steps (number, name, first line of code)
      --json             with --list: a JSON array of the steps
      --no-preflight     do not check the tools listed under requires:
      --host ADDRESS     with serve: listen there (default 127.0.0.1; anything else is warned about)
      --port N           with serve: listen on port N (default: a free one)
      --open             with serve: open the page in a browser ($BROWSER, else the desktop's)
  -h, --help             show this help
  -v, --version          show the version

Exit codes:
  0    every step ran or was deliberately skipped
  1    a step failed (or runbook check found a problem)
  2    usage or input error: unknown flag, missing file, bad front matter, missing tools or variables
  130  interrupted (Ctrl-C or SIGTERM); --resume continues
`;

const OPTIONS = {
  yes: { type: 'boolean', short: 'y' },
  resume: { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  only: { type: 'string' },
  set: { type: 'string', multiple: true },
  'env-file': { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  record: { type: 'string' },
  list: { type: 'boolean', short: 'l' },
  json: { type: 'boolean' },
  'no-preflight': { type: 'boolean' },
  host: { type: 'string' },
  port: { type: 'string' },
  open: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

export interface Parsed {
  command: 'run' | 'check' | 'serve' | 'help' | 'version';
  file: string;
  options: RunOptions;
}

function parseSetPairs(pairs: string[]): Record<string, string> {
  const set: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq === -1 || !isIdentifier(pair.slice(0, eq))) {
      throw new UsageError(`--set takes NAME=VALUE, got ${JSON.stringify(pair)}`);
    }
    set[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return set;
}

export function parseCli(argv: string[]): Parsed {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    // node's messages are long and mention internals; keep the first sentence.
    const msg = (err as Error).message.split('. ')[0]?.replace(/^Unknown option/, 'unknown option');
    throw new UsageError(`${msg} (see runbook --help)`);
  }
  const v = parsed.values;
  const positionals = [...parsed.positionals];
  let command: Parsed['command'] = 'run';
  if (positionals[0] === 'check' || positionals[0] === 'serve') {
    command = positionals[0];
    positionals.shift();
  }
  if (positionals.length > 1) throw new UsageError(`expected one runbook file, got ${positionals.length}`);
  if (v.help) command = 'help';
  else if (v.version) command = 'version';
  const options: RunOptions = {
    yes: v.yes ?? false,
    resume: v.resume ?? false,
    from: v.from,
    to: v.to,
    only: v.only,
    set: parseSetPairs(v.set ?? []),
    envFiles: v['env-file'] ?? [],
    dryRun: v['dry-run'] ?? false,
    record: v.record,
    list: v.list ?? false,
    json: v.json ?? false,
    preflight: !v['no-preflight'],
  };
  if (options.json && !options.list) throw new UsageError('--json goes with --list');
  if (command === 'serve') options.serve = serveOptions(v, options);
  else {
    const flag = (['host', 'port', 'open'] as const).find((f) => v[f] !== undefined);
    if (flag) throw new UsageError(`--${flag} goes with serve (runbook serve --${flag} ...)`);
  }
  if (options.only && (options.from || options.to))
    throw new UsageError('--only cannot be combined with --from/--to');
  return { command, file: positionals[0] ?? 'runbook.md', options };
}

function serveOptions(
  v: { host?: string; port?: string; open?: boolean },
  options: RunOptions,
): NonNullable<RunOptions['serve']> {
  const clash = options.yes ? '--yes' : options.dryRun ? '--dry-run' : options.list ? '--list' : undefined;
  if (clash) throw new UsageError(`serve runs steps from the page; ${clash} does not go with it`);
  const port = v.port === undefined ? 0 : Number(v.port);
  if (!/^\d+$/.test(v.port ?? '0') || port > 65535) {
    throw new UsageError(`--port takes a number from 0 to 65535, got ${JSON.stringify(v.port)}`);
  }
  const host = v.host ?? '127.0.0.1';
  if (!host.trim()) throw new UsageError('--host needs an address');
  return { host, port, open: v.open ?? false };
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export async function main(io: CliIO): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  try {
    const { command, file, options } = parseCli(io.argv);
    if (command === 'help') {
      stdout.write(USAGE);
      return EXIT.ok;
    }
    if (command === 'version') {
      stdout.write(`runbook ${version()}\n`);
      return EXIT.ok;
    }
    const cwd = io.cwd ?? process.cwd();
    const abs = path.resolve(cwd, file);
    let env = io.env ?? process.env;
    if (options.envFiles?.length && !options.list) {
      const { readEnvFiles } = await import('../os/env-file.ts');
      env = { ...env, ...readEnvFiles(options.envFiles.map((f) => path.resolve(cwd, f))) };
    }
    if (command === 'check') {
      const { runCheck } = await import('../check/command.ts');
      return await runCheck(abs, options, { stdout, stderr, env });
    }
    if (options.list) {
      const { runbook } = await loadRunbook(abs);
      const { printList } = await import('../ui/list.ts');
      await printList(runbook, abs, options.json, { stdout, stderr, env: io.env ?? process.env });
      return EXIT.ok;
    }
    const { runRunbook } = await import('../run/run.ts');
    return await runRunbook(abs, options, {
      stdin: io.stdin ?? process.stdin,
      stdout,
      stderr,
      env,
    });
  } catch (err) {
    if (err instanceof RunbookError) {
      stderr.write(`runbook: ${err.message}\n`);
      return err.exitCode;
    }
    // A bug, not bad input: still one line, with the stack only on request.
    const detail = (io.env ?? process.env).RUNBOOK_DEBUG ? (err as Error)?.stack : (err as Error)?.message;
    stderr.write(`runbook: internal error: ${detail ?? String(err)}\n`);
    return EXIT.stepFailed;
  }
}
