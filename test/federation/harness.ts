// What the federation tests share: a scratch copy of runbook.md and steps/, the environment that puts the
// doubles of docker, k3d, helm, kubectl and istioctl first on PATH, one run of the CLI with the doubles'
// call log and state read back, and calls of single doubles.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.ts';

export const DOUBLES = path.join(ROOT, 'test', 'doubles', 'bin');
export const engineBuilt = existsSync(path.join(ROOT, 'dist', 'cli', 'cli.js'));
if (!engineBuilt) console.warn('federation tests: dist/cli/cli.js is missing; run `npm run build` first');

export interface Call {
  tool: string;
  args: string[];
  cwd: string;
  exit: number;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON state of the doubles, checked by the assertions
export type Json = any;

const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratchDirs.push(dir);
  return dir;
}

/** A scratch copy of runbook.md and steps/ (the run record goes beside the runbook), optionally edited. */
export function federationCopy(edit?: (dir: string) => void): string {
  const dir = scratchDir('federation-');
  cpSync(path.join(ROOT, 'runbook.md'), path.join(dir, 'runbook.md'));
  cpSync(path.join(ROOT, 'steps'), path.join(dir, 'steps'), { recursive: true });
  edit?.(dir);
  return dir;
}

/** Another directory holding a copy of `dir`'s runbook, steps and the doubles' state: a second machine. */
export function cloneFederation(dir: string): string {
  const copy = scratchDir('federation-clone-');
  for (const entry of ['runbook.md', 'steps', 'fake-state']) {
    if (existsSync(path.join(dir, entry)))
      cpSync(path.join(dir, entry), path.join(copy, entry), { recursive: true });
  }
  return copy;
}

/** Edits a text file of the copy, failing the test when the edit changes nothing. */
export function editFile(file: string, edit: (text: string) => string): void {
  const text = readFileSync(file, 'utf8');
  const edited = edit(text);
  expect(edited, `edit of ${file}`).not.toBe(text);
  writeFileSync(file, edited);
}

/**
 * The doubles first on PATH, their state and call log in `dir`, and the runbook's waits shortened: the
 * mesh double syncs and discovers within a second, the runbook polls every second.
 */
export function doublesEnv(dir: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${DOUBLES}${path.delimiter}${process.env.PATH}`,
    RUNBOOK_FAKE_STATE: path.join(dir, 'fake-state'),
    RUNBOOK_FAKE_LOG: path.join(dir, 'calls.log'),
    RUNBOOK_FAKE_SYNC_SECONDS: '0.5',
    RUNBOOK_FAKE_DISCOVERY_SECONDS: '1',
    VERIFY_PAUSE_SECONDS: '1',
    SYNC_PAUSE_SECONDS: '1',
    ...extra,
  };
  // The machine's own kubeconfig setting must not reach the doubles' k3d (it refuses several files).
  if (!('KUBECONFIG' in extra)) delete env.KUBECONFIG;
  for (const [key, value] of Object.entries(extra)) if (value === undefined) delete env[key];
  return env;
}

export function readCalls(dir: string): Call[] {
  const logFile = path.join(dir, 'calls.log');
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Call);
}

export function readState(dir: string, name: string): Json {
  return JSON.parse(readFileSync(path.join(dir, 'fake-state', `${name}.json`), 'utf8'));
}

/** One run of the CLI on the copy (`--yes runbook.md` unless told otherwise), and the calls it made. */
export async function runFederation(
  dir: string,
  extra: Record<string, string | undefined> = {},
  args: string[] = ['--yes', 'runbook.md'],
) {
  const before = readCalls(dir).length;
  const result = await runCli(args, { cwd: dir, env: doublesEnv(dir, extra) });
  const calls = readCalls(dir).slice(before);
  return {
    ...result,
    output: result.stdout + result.stderr,
    calls,
    state: (name: string) => readState(dir, name),
  };
}

/** Index of the first call of `tool` whose arguments contain every one of `parts` (in any order). */
export function indexOf(calls: Call[], tool: string, ...parts: string[]): number {
  const index = calls.findIndex(
    (call) => call.tool === tool && parts.every((part) => call.args.includes(part)),
  );
  expect(index, `${tool} ${parts.join(' ')} was called`).toBeGreaterThanOrEqual(0);
  return index;
}

export function findObject(cluster: Json, kind: string, namespace: string, name: string): Json {
  return cluster.objects[`${kind}|${namespace}|${name}`];
}

/** One call of a double, in steps/ of `dir`, with the doubles' environment. */
export function tool(
  dir: string,
  name: string,
  args: string[],
  input?: string,
  extra: Record<string, string> = {},
) {
  const result = spawnSync(path.join(DOUBLES, name), args, {
    cwd: existsSync(path.join(dir, 'steps')) ? path.join(dir, 'steps') : dir,
    env: doublesEnv(dir, extra),
    input,
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The name of every step of runbook.md, in order. */
export const STEP_NAMES = [
  'helm-repo',
  'create-cluster-0',
  'istio-system-cluster-0',
  'istio-base-cluster-0',
  'istiod-cluster-0',
  'eastwestgateway-cluster-0',
  'create-cluster-1',
  'istio-system-cluster-1',
  'istio-base-cluster-1',
  'copy-root-ca',
  'istiod-cluster-1',
  'eastwestgateway-cluster-1',
  'expose-services',
  'whoami-cluster-0',
  'whoami-cluster-1',
  'capture-server-ips',
  'remote-secrets',
  'wait-remote-clusters',
  'verify-cross-cluster',
];

// Clusters the doubles build directly, for the tests of the doubles themselves.

export const ISTIO_REPO = 'https://istio-release.storage.googleapis.com/charts';
export const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');

/** A copy of steps/ with cluster-0 created by the k3d double. */
export function withCluster0(extra: Record<string, string> = {}): string {
  const dir = federationCopy();
  const created = tool(
    dir,
    'k3d',
    ['cluster', 'create', '--config', './k3d-cluster-0.yaml'],
    undefined,
    extra,
  );
  expect(created.code, created.stderr).toBe(0);
  return dir;
}

export function helmArgs(release: string, chart: string, context: string, ...more: string[]): string[] {
  return [
    release,
    `istio/${chart}`,
    '-n',
    'istio-system',
    '--version',
    '1.23.2',
    '--kube-context',
    context,
    ...more,
  ];
}

/** cluster-0 with istio-system and the base chart, ready for istiod. */
export function withIstioBase(extra: Record<string, string> = {}): string {
  const dir = withCluster0(extra);
  expect(tool(dir, 'helm', ['repo', 'add', 'istio', ISTIO_REPO]).code).toBe(0);
  const ns = ['apply', '-f', './cluster-0/namespace-istio-system.yaml', '--context', 'k3d-cluster-0'];
  expect(tool(dir, 'kubectl', ns).code).toBe(0);
  const base = tool(dir, 'helm', [
    'upgrade',
    '--install',
    ...helmArgs('istio-base', 'base', 'k3d-cluster-0', '--wait'),
  ]);
  expect(base.code, base.stderr).toBe(0);
  return dir;
}
