// The federation runbook end to end: `runbook --yes runbook.md` against the test doubles of docker, k3d,
// helm, kubectl and istioctl (test/doubles), asserting from their call log and state what the procedure
// did, in which order, and that the verification passes only when the mesh is complete.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT, runCli } from '../helpers/cli.ts';

const DOUBLES = path.join(ROOT, 'test', 'doubles', 'bin');
const engineBuilt = existsSync(path.join(ROOT, 'dist', 'cli', 'cli.js'));
if (!engineBuilt) console.warn('federation-e2e: dist/cli/cli.js is missing; run `npm run build` first');

const STEP_NAMES = [
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
  'capture-server-ips',
  'remote-secrets',
  'whoami-cluster-0',
  'whoami-cluster-1',
  'verify-cross-cluster',
];

interface Call {
  tool: string;
  args: string[];
  cwd: string;
  exit: number;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON state of the doubles, checked by the assertions
type Json = any;

const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratchDirs.push(dir);
  return dir;
}

/** A scratch copy of runbook.md and steps/ (the run record goes beside the runbook), optionally edited. */
function federationCopy(edit?: (dir: string) => void): string {
  const dir = scratchDir('federation-e2e-');
  cpSync(path.join(ROOT, 'runbook.md'), path.join(dir, 'runbook.md'));
  cpSync(path.join(ROOT, 'steps'), path.join(dir, 'steps'), { recursive: true });
  edit?.(dir);
  return dir;
}

function doublesEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${DOUBLES}${path.delimiter}${process.env.PATH}`,
    RUNBOOK_FAKE_STATE: path.join(dir, 'fake-state'),
    RUNBOOK_FAKE_LOG: path.join(dir, 'calls.log'),
    VERIFY_PAUSE_SECONDS: '0',
    ...extra,
  };
}

async function runFederation(dir: string, extra: Record<string, string> = {}) {
  const result = await runCli(['--yes', 'runbook.md'], { cwd: dir, env: doublesEnv(dir, extra) });
  const logFile = path.join(dir, 'calls.log');
  const calls: Call[] = existsSync(logFile)
    ? readFileSync(logFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    : [];
  const state = (name: string): Json =>
    JSON.parse(readFileSync(path.join(dir, 'fake-state', `${name}.json`), 'utf8'));
  return { ...result, output: result.stdout + result.stderr, calls, state };
}

/** Index of the first call of `tool` whose arguments contain every one of `parts` (in any order). */
function indexOf(calls: Call[], tool: string, ...parts: string[]): number {
  const index = calls.findIndex(
    (call) => call.tool === tool && parts.every((part) => call.args.includes(part)),
  );
  expect(index, `${tool} ${parts.join(' ')} was called`).toBeGreaterThanOrEqual(0);
  return index;
}

function findObject(cluster: Json, kind: string, namespace: string, name: string): Json {
  return cluster.objects[`${kind}|${namespace}|${name}`];
}

function serverIP(cluster: Json): string {
  return cluster.k3d.nodes.find((node: Json) => node.role === 'server').IP.IP;
}

describe.skipIf(!engineBuilt)('the federation runbook against the test doubles', () => {
  it('lists every step (--list, --list --json) and shows the whole procedure with --dry-run', async () => {
    const dir = federationCopy();
    const env = doublesEnv(dir);
    const list = await runCli(['--list', 'runbook.md'], { cwd: dir, env });
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines).toHaveLength(STEP_NAMES.length);
    for (const [i, name] of STEP_NAMES.entries())
      expect(lines[i]).toMatch(new RegExp(`^\\s*${i + 1}\\s+${name}\\s`));

    const json = await runCli(['--list', '--json', 'runbook.md'], { cwd: dir, env });
    const { steps } = JSON.parse(json.stdout) as {
      steps: Array<{ name: string; attributes: Record<string, string> }>;
    };
    expect(steps.map((step) => step.name)).toEqual(STEP_NAMES);
    for (const step of steps) expect(Number(step.attributes.timeout)).toBeGreaterThan(0);

    const dryRun = await runCli(['--dry-run', 'runbook.md'], { cwd: dir, env });
    expect(dryRun.code).toBe(0);
    for (const name of STEP_NAMES) expect(dryRun.stdout).toContain(name);
    expect(existsSync(path.join(dir, 'calls.log')), 'nothing ran').toBe(false);
  });

  it('federates both clusters: order, network, labels, CA, remote secrets, whoami, verification', {
    timeout: 180_000,
  }, async () => {
    const dir = federationCopy();
    const run = await runFederation(dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(
      'OK: from inside each cluster, whoami answers from both cluster-0 and cluster-1.',
    );
    const { calls } = run;
    expect(calls.filter((call) => call.exit !== 0)).toEqual([]);

    // Preflight ran before step 1: the engine was asked, then the tools' versions.
    expect(indexOf(calls, 'docker', 'info')).toBeLessThan(indexOf(calls, 'helm', 'repo', 'add'));
    // Steps ran in steps/ (front matter cwd), where the relative paths resolve.
    const create0 = calls[
      indexOf(calls, 'k3d', 'cluster', 'create', '--config', './k3d-cluster-0.yaml')
    ] as Call;
    expect(create0.cwd).toBe(path.join(dir, 'steps'));

    const order = [
      indexOf(calls, 'helm', 'repo', 'add', 'istio'),
      indexOf(calls, 'helm', 'repo', 'update'),
      indexOf(calls, 'k3d', 'cluster', 'create', './k3d-cluster-0.yaml'),
      indexOf(calls, 'kubectl', 'apply', './cluster-0/namespace-istio-system.yaml', 'k3d-cluster-0'),
      indexOf(calls, 'helm', 'install', 'istio-base', 'k3d-cluster-0'),
      indexOf(calls, 'helm', 'install', 'istiod', 'k3d-cluster-0'),
      indexOf(calls, 'helm', 'install', 'istio-eastwestgateway', 'k3d-cluster-0'),
      indexOf(calls, 'k3d', 'cluster', 'create', './k3d-cluster-1.yaml'),
      indexOf(calls, 'kubectl', 'apply', './cluster-1/namespace-istio-system.yaml', 'k3d-cluster-1'),
      indexOf(calls, 'helm', 'install', 'istio-base', 'k3d-cluster-1'),
      indexOf(calls, 'kubectl', 'create', '-', 'k3d-cluster-1'),
      indexOf(calls, 'helm', 'install', 'istiod', 'k3d-cluster-1'),
      indexOf(calls, 'helm', 'install', 'istio-eastwestgateway', 'k3d-cluster-1'),
      indexOf(calls, 'kubectl', 'apply', './cluster-1/gateway-istio-eastwestgateway.yaml'),
      indexOf(calls, 'k3d', 'cluster', 'get', 'cluster-1'),
      indexOf(calls, 'istioctl', 'create-remote-secret', '--context=k3d-cluster-1'),
      indexOf(calls, 'kubectl', 'apply', '--kustomize', './cluster-1/whoami'),
      indexOf(calls, 'kubectl', 'exec', 'client', 'k3d-cluster-1'),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // The CA copy reads cluster-0 and lands in cluster-1 before istiod starts there.
    expect(indexOf(calls, 'kubectl', 'get', 'istio-ca-secret', 'k3d-cluster-0')).toBeLessThan(
      indexOf(calls, 'helm', 'install', 'istiod', 'k3d-cluster-1'),
    );

    const clusters = [run.state('clusters/cluster-0'), run.state('clusters/cluster-1')];
    // Both clusters on the one shared, external Docker network.
    const networks = run.state('networks');
    expect(clusters.map((cluster) => cluster.network)).toEqual(['k3d-federation', 'k3d-federation']);
    expect(clusters.map((cluster) => cluster.k3d.network.isExternal)).toEqual([true, true]);
    expect(Object.keys(networks['k3d-federation'].containers)).toEqual(
      expect.arrayContaining(['k3d-cluster-0-server-0', 'k3d-cluster-1-server-0']),
    );
    for (const [n, cluster] of clusters.entries()) {
      expect(cluster.disabled).toContain('traefik');
      expect(cluster.disabled).not.toContain('servicelb');
      // The network label, and istiod configured for the same network.
      const namespace = findObject(cluster, 'Namespace', '', 'istio-system');
      expect(namespace.metadata.labels['topology.istio.io/network']).toBe(`network-${n}`);
      expect(cluster.releases['istio-system/istiod'].values.global).toEqual({
        meshID: 'federation',
        multiCluster: { clusterName: `cluster-${n}` },
        network: `network-${n}`,
      });
      expect(cluster.releases['istio-system/istio-eastwestgateway'].values.networkGateway).toBe(
        `network-${n}`,
      );
      expect(findObject(cluster, 'Gateway', 'istio-system', 'cross-network-gateway')).toBeDefined();
    }
    // One root CA, copied without cluster-0's server-populated metadata.
    const ca = clusters.map((cluster) => findObject(cluster, 'Secret', 'istio-system', 'istio-ca-secret'));
    expect(ca[1].data).toEqual(ca[0].data);
    expect(ca[1].metadata.uid).not.toBe(ca[0].metadata.uid);
    expect(ca[1].metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();

    // The captured server IPs, in the istioctl calls and inside the remote secrets of the other cluster.
    for (const [n, other] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const ip = serverIP(clusters[n]);
      expect(ip).toMatch(/^172\.\d+\.0\.\d+$/);
      expect(run.output).toContain(`cluster-${n} API server: https://${ip}:6443`);
      const call = calls[
        indexOf(calls, 'istioctl', 'create-remote-secret', `--context=k3d-cluster-${n}`)
      ] as Call;
      expect(call.args).toContain(`--name=cluster-${n}`);
      expect(call.args).toContain(`--server=https://${ip}:6443`);
      const secret = findObject(
        clusters[other],
        'Secret',
        'istio-system',
        `istio-remote-secret-cluster-${n}`,
      );
      expect(secret.metadata.labels['istio/multiCluster']).toBe('true');
      const kubeconfig = parseYaml(Buffer.from(secret.data[`cluster-${n}`], 'base64').toString('utf8'));
      expect(kubeconfig.clusters[0].cluster.server).toBe(`https://${ip}:6443`);
    }

    // whoami in both, each answering with its cluster's name, with sidecars.
    for (const [n, cluster] of clusters.entries()) {
      const deployment = findObject(cluster, 'Deployment', 'whoami', 'whoami');
      expect(deployment.spec.template.spec.containers[0].env).toContainEqual({
        name: 'WHOAMI_NAME',
        value: `cluster-${n}`,
      });
      const client = findObject(cluster, 'Pod', 'whoami', 'client');
      expect(client.spec.containers.map((c: Json) => c.name)).toEqual(['client', 'istio-proxy']);
    }
    // The verification asked from inside both clusters.
    for (const context of ['k3d-cluster-0', 'k3d-cluster-1']) {
      const execs = calls.filter(
        (call) => call.tool === 'kubectl' && call.args[0] === 'exec' && call.args.includes(context),
      );
      expect(execs.length).toBeGreaterThanOrEqual(1);
      expect(execs[0]?.args).toEqual(expect.arrayContaining(['client', '--', 'curl']));
      expect(execs[0]?.args.at(-1)).toBe('http://whoami.whoami.svc.cluster.local/?call=[1-20]');
      expect(run.output).toMatch(new RegExp(`from ${context}, round 1: cluster-0 x\\d+, cluster-1 x\\d+`));
    }

    // Teardown is not part of the procedure.
    expect(calls.filter((call) => call.args.includes('delete') || call.args.includes('rm'))).toEqual([]);

    // The same verification, once the clusters can no longer reach each other, fails (exit 1).
    const partitioned = await runCli(['--yes', '--only', 'verify-cross-cluster', 'runbook.md'], {
      cwd: dir,
      env: doublesEnv(dir, { VERIFY_ROUNDS: '1', RUNBOOK_FAKE_CROSS_CLUSTER: 'blocked' }),
    });
    expect(partitioned.code, partitioned.stdout + partitioned.stderr).toBe(1);
    expect(partitioned.stdout + partitioned.stderr).toContain(
      'FAILED: from k3d-cluster-0, whoami answered only from: cluster-0 x20',
    );

    // teardown.md, its own runbook, removes both clusters and the network k3d left behind; twice is harmless.
    cpSync(path.join(ROOT, 'teardown.md'), path.join(dir, 'teardown.md'));
    for (const attempt of [1, 2]) {
      const teardown = await runCli(['--yes', 'teardown.md'], { cwd: dir, env: doublesEnv(dir) });
      expect(teardown.code, `teardown ${attempt}: ${teardown.stdout}${teardown.stderr}`).toBe(0);
    }
    const after = readFileSync(path.join(dir, 'calls.log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Call);
    expect(
      after.filter((call) => call.tool === 'k3d' && call.args[1] === 'delete').map((call) => call.args),
    ).toEqual([
      ['cluster', 'delete', 'cluster-0', 'cluster-1'],
      ['cluster', 'delete', 'cluster-0', 'cluster-1'],
    ]);
    expect(after.filter((call) => call.tool === 'docker' && call.args[1] === 'rm')).toHaveLength(1);
    expect(run.state('networks')).toEqual({});
    expect(existsSync(path.join(dir, 'fake-state', 'clusters', 'cluster-0.json'))).toBe(false);
    expect(run.state('kubeconfig').contexts).toEqual({});
  });

  it.concurrent('fails the verification (exit 1) when cluster-1’s istio-system lacks its network label', {
    timeout: 180_000,
  }, async () => {
    const dir = federationCopy((copy) => {
      const file = path.join(copy, 'steps', 'cluster-1', 'namespace-istio-system.yaml');
      const text = readFileSync(file, 'utf8');
      const edited = text.replace(/\n {2}labels:\n {4}topology\.istio\.io\/network: network-1\n/, '\n');
      expect(edited).not.toBe(text);
      writeFileSync(file, edited);
    });
    const run = await runFederation(dir, { VERIFY_ROUNDS: '1' });
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('FAILED: from k3d-cluster-0, whoami answered only from: cluster-0 x20');
    // Everything before the verification succeeded: the gap shows only where the mesh is used.
    expect(
      run.calls.filter((call) => call.exit !== 0 && !(call.tool === 'kubectl' && call.args[0] === 'exec')),
    ).toEqual([]);
    expect(indexOf(run.calls, 'kubectl', 'apply', '--kustomize', './cluster-1/whoami')).toBeGreaterThan(0);
  });

  it.concurrent('fails before step 1 (exit 2) when the Docker engine is not running', {
    timeout: 60_000,
  }, async () => {
    const dir = federationCopy();
    const run = await runFederation(dir, { RUNBOOK_FAKE_DOCKER_DOWN: '1' });
    expect(run.code, run.output).toBe(2);
    expect(run.output).toMatch(/docker: the Docker engine is not running/);
    expect(run.calls.filter((call) => call.tool === 'helm' && call.args[0] === 'repo')).toEqual([]);
  });
});

describe('the test doubles behave like the real tools', () => {
  const dir = scratchDir('federation-doubles-');
  const env = doublesEnv(dir);
  const tool = (name: string, args: string[], input?: string) => {
    const result = spawnSync(path.join(DOUBLES, name), args, {
      cwd: path.join(ROOT, 'steps'),
      env,
      input,
      encoding: 'utf8',
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it('k3d: an unknown cluster is an error; a created one has k3d v5’s JSON shape', () => {
    expect(tool('k3d', ['cluster', 'get', 'cluster-0', '--output', 'json'])).toMatchObject({
      code: 1,
      stderr: 'FATA[0000] No nodes found for given cluster\n',
    });
    expect(tool('k3d', ['cluster', 'create', '--config', './k3d-cluster-0.yaml']).code).toBe(0);
    const again = tool('k3d', ['cluster', 'create', '--config', './k3d-cluster-0.yaml']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      "Failed to create cluster 'cluster-0' because a cluster with that name already exists",
    );
    const got = tool('k3d', ['cluster', 'get', 'cluster-0', '--output', 'json']);
    const [cluster] = JSON.parse(got.stdout);
    expect(cluster).toMatchObject({
      name: 'cluster-0',
      network: { name: 'k3d-federation', isExternal: true },
      serversCount: 1,
    });
    const server = cluster.nodes.find((node: Json) => node.role === 'server');
    expect(server).toMatchObject({
      name: 'k3d-cluster-0-server-0',
      IP: { IP: expect.stringMatching(/^172\./), Static: false },
    });
    expect(cluster.nodes.map((node: Json) => node.role)).toEqual(['server', 'loadbalancer']);
  });

  it('kubectl: an unknown context is an error; create refuses an existing object; CRDs must exist', () => {
    expect(tool('kubectl', ['get', 'namespaces', '--context', 'k3d-nope'])).toMatchObject({
      code: 1,
      stderr: 'error: context "k3d-nope" does not exist\n',
    });
    expect(tool('kubectl', ['create', 'namespace', 'demo', '--context', 'k3d-cluster-0']).stdout).toBe(
      'namespace/demo created\n',
    );
    expect(tool('kubectl', ['create', 'namespace', 'demo', '--context', 'k3d-cluster-0'])).toMatchObject({
      code: 1,
      stderr: 'Error from server (AlreadyExists): namespaces "demo" already exists\n',
    });
    const gateway = tool('kubectl', [
      'apply',
      '--filename',
      './cluster-0/gateway-istio-eastwestgateway.yaml',
      '--context',
      'k3d-cluster-0',
    ]);
    expect(gateway.code).toBe(1);
    expect(gateway.stderr).toContain(
      'no matches for kind "Gateway" in version "networking.istio.io/v1"\nensure CRDs are installed first',
    );
  });

  it('kubectl create clears resourceVersion like cli-runtime; the server model refuses one', async () => {
    const secret = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'copied', namespace: 'demo', resourceVersion: '4242', uid: 'from-elsewhere' },
      data: { key: 'dmFsdWU=' },
    });
    const created = tool(
      'kubectl',
      ['create', '--namespace', 'demo', '--filename', '-', '--context', 'k3d-cluster-0'],
      secret,
    );
    expect(created).toMatchObject({ code: 0, stdout: 'secret/copied created\n' });
    const stored = JSON.parse(
      tool('kubectl', ['get', 'secret', 'copied', '-n', 'demo', '-o', 'json', '--context', 'k3d-cluster-0'])
        .stdout,
    );
    expect(stored.metadata.resourceVersion).not.toBe('4242');
    expect(stored.metadata.uid).not.toBe('from-elsewhere');

    process.env.RUNBOOK_FAKE_STATE = env.RUNBOOK_FAKE_STATE;
    const model = await import('../doubles/lib/cluster.mjs');
    const cluster = model.loadCluster('cluster-0');
    expect(() =>
      model.serverCreate(cluster, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'x', namespace: 'demo', resourceVersion: '1' },
      }),
    ).toThrow('Internal error occurred: resourceVersion should not be set on objects to be created');
  });

  it('helm: a missing values file, an unknown context, a missing namespace and the gateway schema are errors', () => {
    expect(
      tool('helm', ['repo', 'add', 'istio', 'https://istio-release.storage.googleapis.com/charts']).code,
    ).toBe(0);
    const install = (...args: string[]) => tool('helm', ['install', ...args]);
    expect(
      install(
        'istiod',
        'istio/istiod',
        '-n',
        'istio-system',
        '--version',
        '1.23.2',
        '--values',
        './nope.yaml',
        '--kube-context',
        'k3d-cluster-0',
      ),
    ).toMatchObject({
      code: 1,
      stderr: 'Error: INSTALLATION FAILED: open ./nope.yaml: no such file or directory\n',
    });
    expect(
      install(
        'istiod',
        'istio/istiod',
        '-n',
        'istio-system',
        '--version',
        '1.23.2',
        '--kube-context',
        'k3d-nope',
      ).stderr,
    ).toBe('Error: INSTALLATION FAILED: Kubernetes cluster unreachable: context "k3d-nope" does not exist\n');
    expect(
      install(
        'istio-base',
        'istio/base',
        '-n',
        'istio-system',
        '--version',
        '1.23.2',
        '--kube-context',
        'k3d-cluster-0',
      ).stderr,
    ).toBe('Error: INSTALLATION FAILED: create: failed to create: namespaces "istio-system" not found\n');
    const gateway = install(
      'gw',
      'istio/gateway',
      '-n',
      'demo',
      '--version',
      '1.23.2',
      '--values',
      './cluster-0/istio-eastwestgateway/values.yaml',
      '--kube-context',
      'k3d-cluster-0',
    );
    expect(gateway.code).toBe(1);
    expect(gateway.stderr).toContain(
      "additional properties 'defaults', 'name', 'labels', 'networkGateway' not allowed",
    );
    expect(
      install(
        'istio-base',
        'istio/base',
        '-n',
        'demo',
        '--version',
        '9.9.9',
        '--kube-context',
        'k3d-cluster-0',
      ).stderr,
    ).toContain('chart "base" matching 9.9.9 not found in istio index');
  });

  it('istioctl: the remote secret carries --server and --name, else the unreachable kubeconfig server', () => {
    tool('kubectl', ['create', 'namespace', 'istio-system', '--context', 'k3d-cluster-0']);
    const withServer = tool('istioctl', [
      'create-remote-secret',
      '--context=k3d-cluster-0',
      '--name=cluster-0',
      '--server=https://172.18.0.3:6443',
    ]);
    expect(withServer.code).toBe(0);
    expect(withServer.stdout.startsWith('# This file is autogenerated, do not edit.\n')).toBe(true);
    const secret = parseYaml(withServer.stdout.split('---\n')[0] as string);
    expect(secret.metadata).toMatchObject({
      name: 'istio-remote-secret-cluster-0',
      namespace: 'istio-system',
      labels: { 'istio/multiCluster': 'true' },
    });
    expect(parseYaml(secret.stringData['cluster-0']).clusters[0].cluster.server).toBe(
      'https://172.18.0.3:6443',
    );
    const without = parseYaml(
      tool('istioctl', ['create-remote-secret', '--context=k3d-cluster-0', '--name=cluster-0']).stdout.split(
        '---\n',
      )[0] as string,
    );
    expect(parseYaml(without.stringData['cluster-0']).clusters[0].cluster.server).toBe(
      'https://127.0.0.1:6550',
    );
    expect(
      tool('istioctl', ['create-remote-secret', '--context=k3d-cluster-0', '--name=Cluster_0']).stderr,
    ).toBe('Error: Cluster_0 is not a valid DNS 1123 label\n');
  });

  it('docker: info fails without an engine; every call is logged with its exit code', () => {
    expect(tool('docker', ['info']).code).toBe(0);
    const down = spawnSync(path.join(DOUBLES, 'docker'), ['info'], {
      env: { ...env, RUNBOOK_FAKE_DOCKER_DOWN: '1' },
      encoding: 'utf8',
    });
    expect(down.status).toBe(1);
    expect(down.stderr).toContain('Cannot connect to the Docker daemon');
    const log = readFileSync(env.RUNBOOK_FAKE_LOG as string, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(log.at(-1)).toMatchObject({ tool: 'docker', args: ['info'], exit: 1 });
    expect(log[0]).toMatchObject({
      tool: 'k3d',
      args: ['cluster', 'get', 'cluster-0', '--output', 'json'],
      exit: 1,
    });
  });
});
