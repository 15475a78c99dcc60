// Shared state, call log, argument parsing and YAML helpers for the fake docker, k3d, helm, kubectl and
// istioctl. The state lives in $RUNBOOK_FAKE_STATE (JSON files, written atomically), so a test starts
// from nothing and can inspect everything the tools did.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/** An error the tool prints verbatim to stderr before exiting with `exitCode`. */
export class ToolError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function stateDir() {
  const dir = process.env.RUNBOOK_FAKE_STATE;
  if (!dir) throw new ToolError('runbook test double: RUNBOOK_FAKE_STATE is not set', 2);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function logFile() {
  return process.env.RUNBOOK_FAKE_LOG || path.join(stateDir(), 'calls.log');
}

/** One JSON line per call: tool, argv, working directory, exit code. */
export function logCall(tool, args, exitCode) {
  const line = JSON.stringify({ tool, args, cwd: process.cwd(), exit: exitCode });
  fs.appendFileSync(logFile(), `${line}\n`);
}

export function readState(name, fallback) {
  const file = path.join(stateDir(), `${name}.json`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT') return structuredClone(fallback);
    throw error;
  }
}

export function writeState(name, value) {
  const file = path.join(stateDir(), `${name}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(temp, file);
}

export function removeState(name) {
  fs.rmSync(path.join(stateDir(), `${name}.json`), { force: true });
}

export function hex(bytes) {
  return randomBytes(bytes).toString('hex');
}

export { randomUUID };

export function now() {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** A duration from the environment in seconds (fractions allowed), else `fallback`. */
export function envSeconds(name, fallback) {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value >= 0 && process.env[name] !== '' ? value : fallback;
}

/** The names of the state files under `dir` (without `.json`), sorted. */
export function listState(dir) {
  try {
    return fs
      .readdirSync(path.join(stateDir(), dir))
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.slice(0, -'.json'.length))
      .sort();
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
}

export function dockerRunning() {
  return !process.env.RUNBOOK_FAKE_DOCKER_DOWN;
}

export const DOCKER_DOWN_MESSAGE =
  'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';

/** Cross-cluster traffic (API servers and east-west gateways) cut, as by a firewall between the clusters. */
export function crossClusterBlocked() {
  return process.env.RUNBOOK_FAKE_CROSS_CLUSTER === 'blocked';
}

/**
 * Parses argv the way cobra does: flags anywhere, `--flag=value` or `--flag value`, `-x value`, `--`
 * ends flags. `spec` maps every accepted spelling to `{ name, value: boolean, multi?: boolean }`.
 * An unknown flag is an error in the given tool's words.
 */
export function parseArgs(argv, spec, unknownFlag) {
  const flags = {};
  const positional = [];
  let rest = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const spelling = eq > 0 ? arg.slice(0, eq) : arg;
    const entry = spec[spelling];
    if (!entry) throw new ToolError(unknownFlag(spelling));
    let value = true;
    if (entry.value) {
      if (eq > 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new ToolError(unknownFlag(spelling, 'needs an argument'));
    } else if (eq > 0) {
      value = arg.slice(eq + 1) !== 'false';
    }
    if (entry.multi) flags[entry.name] = [...(flags[entry.name] ?? []), value];
    else flags[entry.name] = value;
  }
  return { flags, positional, rest };
}

/** Builds a parseArgs spec from `['--namespace', '-n']`-style spellings. */
export function flagSpec(definitions) {
  const spec = {};
  for (const [spellings, options] of definitions) {
    const name = spellings[0].replace(/^-+/, '');
    for (const spelling of spellings) spec[spelling] = { name, ...options };
  }
  return spec;
}

/** All YAML documents in `text`, as plain objects, skipping empty ones (a trailing `---`). */
export function parseYamlDocuments(text, source) {
  const docs = YAML.parseAllDocuments(text);
  const objects = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new ToolError(`error: error parsing ${source}: ${doc.errors[0].message.split('\n')[0]}`);
    }
    const value = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

/** JSON with every object's keys sorted: equal for equal content, whatever order the keys came in. */
export function canonical(value) {
  return JSON.stringify(value, (_, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

export function toYaml(value) {
  return YAML.stringify(value, { lineWidth: 0 });
}

export function parseYaml(text) {
  return YAML.parse(text);
}

export function readStdin() {
  try {
    return fs.readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

/** Reads a file the way Go tools report a missing one: `open <path>: no such file or directory`. */
export function readFileLikeGo(file) {
  try {
    return fs.readFileSync(path.resolve(file), 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') throw new ToolError(`open ${file}: no such file or directory`);
    if (error.code === 'EISDIR') throw new ToolError(`read ${file}: is a directory`);
    throw error;
  }
}
