// The command line's arguments: the usage text, the flags, and what each command may be given. Pure: a
// Parsed or a UsageError that says, in one line, what was wrong.
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.ts';
import { isIdentifier } from '../core/identifiers.ts';
import { DEFAULT_RUNBOOK, type RunOptions } from '../core/options.ts';

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
      --json             with --list: JSON, {"inputs": [...], "steps": [...]}
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
  130  interrupted (Ctrl-C, Ctrl-\\, SIGTERM or SIGHUP); --resume continues
  141  output closed (| head); --resume continues a run
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

/** What each option that takes a value expects, for the message when it is missing. */
const VALUE_OF: Record<string, string> = {
  from: 'N|NAME',
  to: 'N|NAME',
  only: 'LIST',
  set: 'NAME=VALUE',
  record: 'DIR',
  'env-file': 'FILE',
};

/** node's parseArgs errors run to three lines and name internals; one line of ours instead. */
function usageErrorFor(err: Error & { code?: string }, argv: string[]): UsageError {
  const option = /'(?:-\w, )?(-[\w-]+)/.exec(err.message)?.[1] ?? '';
  const name = option.replace(/^--?/, '');
  const help = '(see runbook --help)';
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return new UsageError(`unknown option '${option}' ${help}`);
  if (/does not take an argument/.test(err.message))
    return new UsageError(`${option} takes no value ${help}`);
  // Missing, or followed by something that starts with "-": a value like -1 needs the = form.
  const next = argv[argv.indexOf(option) + 1];
  if (next?.startsWith('-') && !/^--?[a-z]/i.test(next)) {
    return new UsageError(`${option} needs a value; for one that starts with "-", write ${option}=${next}`);
  }
  return new UsageError(`${option} needs a value: ${option} ${VALUE_OF[name] ?? 'VALUE'} ${help}`);
}

/** The options each kind of command takes; any other one given is refused rather than ignored. */
const TAKES: Record<'check' | 'list' | 'dry-run', ReadonlySet<string>> = {
  check: new Set(['set', 'env-file']),
  list: new Set(['list', 'json']),
  // A dry run shows what the same command would run: it takes the run's options, bar writing records.
  'dry-run': new Set(['dry-run', 'yes', 'resume', 'from', 'to', 'only', 'set', 'env-file', 'no-preflight']),
};

function refuseInapplicable(command: Parsed['command'], given: string[]): void {
  if (command === 'help' || command === 'version') return;
  const kind =
    command === 'check'
      ? 'check'
      : given.includes('list')
        ? 'list'
        : given.includes('dry-run')
          ? 'dry-run'
          : undefined;
  if (!kind) return;
  const wrong = given.find((name) => !TAKES[kind].has(name));
  if (wrong) throw new UsageError(`${kind === 'check' ? 'check' : `--${kind}`} does not take --${wrong}`);
}

export function parseCli(argv: string[]): Parsed {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageErrorFor(err as Error, argv);
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
  refuseInapplicable(command, Object.keys(v));
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
  if (options.only && options.resume) throw new UsageError('--only cannot be combined with --resume');
  return { command, file: positionals[0] ?? DEFAULT_RUNBOOK, options };
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
