// The process a JavaScript step runs in: zx's globals, a `vars` object over the carried context, the step
// as an ES module (so top-level await and imports work), and the variables written back as JSON when it
// succeeds. One process per step, so nothing a step does (process.exit, globals, a hung promise) reaches
// the runner. Started by step.ts, which writes the private directory holding in.json and the step to
// fd 3 once the step is due: a child may be started ahead of its step, booted and waiting (see step.ts);
// fd 3 stays open while the step runs, for the step to notice a runner killed outright (runner-watch.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import nodePath from 'node:path';
import { pathToFileURL } from 'node:url';
import { IDENTIFIER } from '../core/identifiers.ts';
import type { CarriedVar } from '../core/types.ts';
import { waitForStep } from './runner-watch.ts';
import { type JsStepResult, makeVars } from './vars-object.ts';

export interface JsStepInput {
  vars: Record<string, CarriedVar>;
  /** The step's file name inside the directory. */
  module: string;
  /** Line of the opening fence: line L of the code is runbook line `line + L`. */
  line: number;
  /** How locations are shown: the runbook's file name, if known. */
  file?: string;
  /** The step's environment and directory, which a child started ahead of its step did not have yet. */
  env: Record<string, string>;
  cwd: string;
  /** The umask the last step left ("0077"), carried as the directory is. */
  umask?: string;
}

// zx's globals, loaded on first use: `zx/core` (for $, cd, within...) is much cheaper than all of `zx` (fs-extra,
// globby, YAML...), and most steps touch few of them. Names as zx/globals (zx 8.8.5) defines them.
const CORE_NAMES =
  `$ Fail ProcessOutput ProcessPromise bus cd chalk defaults kill log os ps quote quotePowerShell
  resolveDefaults syncProcessCwd useBash usePowerShell usePwsh which within`.split(/\s+/);
const FULL_NAMES =
  `VERSION YAML argv dotenv echo expBackoff fetch fs glob globby minimist nothrow parseArgv question
  quiet retry sleep spinner stdin tempdir tempfile tmpdir tmpfile updateArgv version versions`.split(/\s+/);

type Module = Record<string, unknown>;

const require = createRequire(import.meta.url);

// Started ahead of its step: load zx/core while waiting, since nearly every step uses $.
if (process.env.__RB_JS_SPARE) require('zx/core');
let state: 'running' | 'saving' | 'ended' = 'running';
// The runner gone while the step runs: nothing is saved, and runner-watch.ts ends the run's processes.
const dir =
  (await waitForStep(() => {
    state = 'ended';
  })) ?? process.exit(0);
const input = JSON.parse(readFileSync(nodePath.join(dir, 'in.json'), 'utf8')) as JsStepInput;
for (const name of Object.keys(process.env)) {
  if (!Object.hasOwn(input.env, name)) delete process.env[name];
}
Object.assign(process.env, input.env);
process.chdir(input.cwd);
if (input.umask) process.umask(Number.parseInt(input.umask, 8));
const moduleFile = nodePath.join(dir, input.module);
const moduleUrl = pathToFileURL(moduleFile).href;
const startEnv: Record<string, string | undefined> = { ...process.env };

// Commands the step runs with $ see every carried scalar, exported or not, and follow later assignments.
const commandEnv: Record<string, string | undefined> = { ...process.env };
const exported = new Set(Object.keys(process.env));
for (const [name, v] of Object.entries(input.vars)) {
  if (v.type !== 'scalar' || v.attrs.includes('n') || v.declared) continue;
  commandEnv[name] = v.value;
  if (v.attrs.includes('x')) exported.add(name);
}
const jsVars = makeVars(input.vars, startEnv, (name, value) => {
  if (value === undefined) delete commandEnv[name];
  else commandEnv[name] = value;
  if (!exported.has(name)) return;
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
});

let core: Module | undefined;
function loadCore(): Module {
  if (!core) {
    core = require('zx/core') as Module;
    (core.$ as { env: unknown }).env = commandEnv;
    // zx keeps the directory it was loaded in (ahead of the step, maybe elsewhere) as where commands run.
    (core.cd as (dir: string) => void)(process.cwd());
  }
  return core;
}
// zx's fetch wraps the global fetch it finds as it loads: that must be Node's own, not the lazy global
// that loads zx (which recursed without end).
const nodeFetch = globalThis.fetch;
const loadFull = (): Module => {
  loadCore();
  if (!full) {
    defineGlobal('fetch', nodeFetch);
    full = require('zx') as Module;
  }
  return full;
};
let full: Module | undefined;

function defineGlobal(name: string, value: unknown): void {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: true });
}

function lazyGlobals(names: string[], load: () => Module): void {
  for (const name of names) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        const value = load()[name];
        defineGlobal(name, value);
        return value;
      },
      set(value) {
        defineGlobal(name, value);
      },
    });
  }
}

lazyGlobals(CORE_NAMES, loadCore);
lazyGlobals(FULL_NAMES, loadFull);
defineGlobal('path', nodePath);
// Resolves packages from where the step starts, as a zx script's require resolves from the script.
defineGlobal('require', createRequire(nodePath.join(process.cwd(), 'noop.js')));
Object.defineProperty(globalThis, 'vars', { value: jsVars.vars, writable: false, configurable: false });

/** `file:///…/step.mjs:3:7` as the runbook line it came from. */
function where(text: string): string {
  const file = input.file ?? 'runbook line';
  const sep = input.file ? ':' : ' ';
  return text.replaceAll(
    new RegExp(`${moduleUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)(?::(\\d+))?`, 'g'),
    (_m, line: string, col?: string) => `${file}${sep}${input.line + Number(line)}${col ? `:${col}` : ''}`,
  );
}

/** Where a syntax error is: Node's dynamic import does not say, so parse the step to find out. */
function syntaxLocation(): string | undefined {
  try {
    const acorn = require('acorn') as typeof import('acorn');
    acorn.parse(readFileSync(moduleFile, 'utf8'), {
      ecmaVersion: 'latest',
      sourceType: 'module',
      allowHashBang: true,
    });
  } catch (err) {
    const loc = (err as { loc?: { line: number; column: number } }).loc;
    if (loc) return where(`${moduleUrl}:${loc.line}:${loc.column + 1}`);
  }
  return undefined;
}

/** The error as a person needs it: the message and the step's own frames, at runbook lines. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return `runbook: the step threw ${String(err)}`;
  if (isProcessOutput(err)) {
    // zx already printed the command's stderr (unless it was quiet); its message would repeat it.
    const { exitCode, signal } = err as unknown as { exitCode: number | null; signal: string | null };
    const how = exitCode === null ? `killed by ${signal}` : `exit code ${exitCode}`;
    const at = err.message.split('\n').filter((l) => /^\s+at /.test(l));
    return where([`Command failed: ${how}`, ...at].join('\n'));
  }
  if (process.env.RUNBOOK_DEBUG) return where(err.stack ?? String(err));
  const frames = (err.stack ?? '').split('\n').filter((l) => l.includes(moduleUrl));
  if (frames.length === 0 && err.name === 'SyntaxError') {
    const at = syntaxLocation();
    if (at) frames.push(`    at ${at}`);
  }
  return where([`${err.name}: ${err.message}`, ...frames].join('\n'));
}

function isProcessOutput(err: unknown): boolean {
  return core !== undefined && err instanceof (core.ProcessOutput as typeof Error);
}

function exitCodeOf(err: unknown): number {
  const code = isProcessOutput(err) ? (err as { exitCode?: unknown }).exitCode : 1;
  return typeof code === 'number' && code > 0 && code < 256 ? code : 1;
}

/**
 * Writes the variables back; false (with the reason printed) when one of them cannot be carried. A
 * failed step's (`quiet`) are written for the secrets among them only: nothing is said about them.
 */
function save(quiet = false): boolean {
  state = 'saving';
  try {
    const { vars, deleted } = jsVars.collect();
    for (const name of Object.keys(vars)) {
      if (IDENTIFIER.test(name)) continue;
      if (!quiet)
        process.stderr.write(
          `runbook: vars[${JSON.stringify(name)}] is not a shell variable name; not carried\n`,
        );
      delete vars[name];
    }
    const result: JsStepResult = {
      vars,
      deleted: deleted.filter((n) => IDENTIFIER.test(n)),
      cwd: process.cwd(),
      umask: currentUmask(),
    };
    writeFileSync(nodePath.join(dir, 'out.json'), JSON.stringify(result), { mode: 0o600 });
    return true;
  } catch (err) {
    if (!quiet) process.stderr.write(`${describe(err)}\n`);
    return false;
  } finally {
    state = 'ended';
  }
}

/** The umask as bash prints it; read by setting it, as Node has no other way, and putting it back. */
function currentUmask(): string {
  const mask = process.umask(0o022);
  process.umask(mask);
  return mask.toString(8).padStart(4, '0');
}

/** Ends the child once what it wrote has reached the pipes. */
function finish(code: number): void {
  state = 'ended';
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

function fail(err: unknown): void {
  if (state !== 'running') return;
  process.stderr.write(`${describe(err)}\n`);
  save(true);
  finish(exitCodeOf(err));
}

// process.exit() inside the step ends this process only; with 0 the step still counts as done, so its
// variables are saved here, synchronously.
process.on('exit', (code) => {
  if (state !== 'running') return;
  if (code === 0 && !save()) process.exitCode = 1;
});
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

try {
  await import(moduleUrl);
} catch (err) {
  fail(err);
}
if (state === 'running') {
  const code = Number(process.exitCode ?? 0);
  if (code !== 0) {
    save(true);
    finish(code);
  } else finish(save() ? 0 : 1);
}
