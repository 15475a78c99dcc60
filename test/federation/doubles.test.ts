// The doubles of docker, k3d, helm, kubectl and istioctl behave like the real tools where the runbook
// depends on it: their output formats, their refusals (a re-create is refused as the real tools refuse
// it), their failures and rollbacks, and a mesh that syncs and discovers over time and balances at random.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { waitFor } from '../helpers/cli.ts';
import {
  cloneFederation,
  engineBuilt,
  federationCopy,
  findObject,
  type Json,
  readCalls,
  readState,
  runFederation,
  tool,
} from './harness.ts';

const ISTIO_REPO = 'https://istio-release.storage.googleapis.com/charts';
const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');

/** A copy of steps/ with cluster-0 created by the k3d double. */
function withCluster0(extra: Record<string, string> = {}): string {
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

function helmArgs(release: string, chart: string, context: string, ...more: string[]): string[] {
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
function withIstioBase(extra: Record<string, string> = {}): string {
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

describe('k3d', { timeout: 60_000 }, () => {
  it('refuses a second create, prints k3d v5’s JSON as ClusterGet rebuilds it, logs in k3d’s order', () => {
    const dir = federationCopy();
    expect(tool(dir, 'k3d', ['cluster', 'get', 'cluster-0', '--output', 'json'])).toMatchObject({
      code: 1,
      stderr: 'FATA[0000] No nodes found for given cluster\n',
    });
    const created = tool(dir, 'k3d', ['cluster', 'create', '--config', './k3d-cluster-0.yaml']);
    expect(created.code).toBe(0);
    const log = created.stderr.trim().split('\n');
    // The kubeconfig update is a debug line after "created successfully"; then the usage hint.
    expect(log.slice(-2)).toEqual([
      "INFO[0000] Cluster 'cluster-0' created successfully!",
      'INFO[0000] You can now use it like this:',
    ]);
    expect(created.stderr).not.toContain('Updating default kubeconfig');
    expect(created.stdout).toBe('kubectl config use-context k3d-cluster-0\nkubectl cluster-info\n');
    const again = tool(dir, 'k3d', ['cluster', 'create', '--config', './k3d-cluster-0.yaml']);
    expect(again).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        "FATA[0000] Failed to create cluster 'cluster-0' because a cluster with that name already exists",
      ),
    });

    const [cluster] = JSON.parse(
      tool(dir, 'k3d', ['cluster', 'get', 'cluster-0', '--output', 'json']).stdout,
    );
    expect(cluster).toMatchObject({
      name: 'cluster-0',
      network: { name: 'k3d-federation', isExternal: true, ipam: { ipPrefix: '', Managed: false } },
      serversCount: 1,
      serversRunning: 1,
      hasLoadbalancer: true,
    });
    // ipsUsed is omitempty in k3d's IPAM; the node's extraArgs are empty (Cmd holds every flag).
    expect(cluster.network.ipam).not.toHaveProperty('ipsUsed');
    const server = cluster.nodes.find((node: Json) => node.role === 'server');
    expect(server).toMatchObject({
      name: 'k3d-cluster-0-server-0',
      image: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      IP: { IP: expect.stringMatching(/^172\./), Static: false },
      serverOpts: { kubeAPI: { Binding: { HostIp: '127.0.0.1', HostPort: '6550' } } },
    });
    expect(server).not.toHaveProperty('extraArgs');
    expect(server.Cmd).toEqual([
      'server',
      '--disable=traefik',
      '--cluster-cidr=10.10.0.0/16',
      '--service-cidr=10.11.0.0/16',
      '--cluster-dns=10.11.0.10',
      '--tls-san',
      '127.0.0.1',
      '--tls-san',
      'k3d-cluster-0-serverlb',
    ]);
    expect(cluster.nodes.map((node: Json) => node.role)).toEqual(['server', 'loadbalancer']);
  });

  it('a clashing host port: ERRO, Rolling Back, FATA rolled back, and nothing left of the cluster', () => {
    const dir = withCluster0();
    const config = readFileSync(path.join(dir, 'steps', 'k3d-cluster-0.yaml'), 'utf8');
    writeFileSync(path.join(dir, 'steps', 'clash.yaml'), config.replace('name: cluster-0', 'name: clash'));
    const failed = tool(dir, 'k3d', ['cluster', 'create', '--config', './clash.yaml']);
    expect(failed.code).toBe(1);
    const levels = failed.stderr
      .trim()
      .split('\n')
      .map((line) => line.slice(0, 4))
      .join(' ');
    expect(levels.endsWith('ERRO ERRO INFO INFO FATA')).toBe(true);
    expect(failed.stderr).toMatch(
      /ERRO\[0000\] Failed Cluster Start: .*Bind for 127\.0\.0\.1:6550 failed: port is already allocated\nERRO\[0000\] Failed to create cluster >>> Rolling Back\n/,
    );
    expect(failed.stderr.trim().split('\n').at(-1)).toBe(
      'FATA[0000] Cluster creation FAILED, all changes have been rolled back!',
    );
    expect(tool(dir, 'k3d', ['cluster', 'get', 'clash']).code).toBe(1);
    expect(Object.keys(readState(dir, 'networks')['k3d-federation'].containers).sort()).toEqual([
      'k3d-cluster-0-server-0',
      'k3d-cluster-0-serverlb',
    ]);
  });

  it('with a KUBECONFIG of several files it warns and writes no context, as k3d does', () => {
    const dir = withCluster0({ KUBECONFIG: '/tmp/a:/tmp/b' });
    expect(existsSync(path.join(dir, 'fake-state', 'kubeconfig.json'))).toBe(false);
    expect(tool(dir, 'kubectl', ['get', 'nodes', '--context', 'k3d-cluster-0']).stderr).toBe(
      'error: context "k3d-cluster-0" does not exist\n',
    );
    const merged = tool(dir, 'k3d', ['kubeconfig', 'merge', 'cluster-0', '--kubeconfig-merge-default']);
    expect(merged.code).toBe(0);
    expect(tool(dir, 'kubectl', ['config', 'get-contexts', 'k3d-cluster-0']).stdout).toMatch(
      /^CURRENT\s+NAME\s+CLUSTER\s+AUTHINFO\s+NAMESPACE\n\*\s+k3d-cluster-0\s+k3d-cluster-0\s+admin@k3d-cluster-0$/m,
    );
  });
});

describe('docker', { timeout: 60_000 }, () => {
  it('info (with --format), ps, inspect, and containers that get new addresses when restarted', () => {
    const dir = withCluster0();
    expect(
      tool(dir, 'docker', ['info', '--format', '{{.MemTotal}}'], undefined, {
        RUNBOOK_FAKE_DOCKER_MEMORY: '4000000000',
      }).stdout,
    ).toBe('4000000000\n');
    expect(tool(dir, 'docker', ['ps', '--format', '{{.Names}} {{.Ports}}']).stdout).toBe(
      'k3d-cluster-0-server-0 \nk3d-cluster-0-serverlb 127.0.0.1:6550->6443/tcp\n',
    );
    const inspect = (name: string) =>
      JSON.parse(tool(dir, 'docker', ['container', 'inspect', name]).stdout)[0];
    const before = inspect('k3d-cluster-0-server-0');
    expect(before).toMatchObject({
      Name: '/k3d-cluster-0-server-0',
      Config: { Image: 'rancher/k3s:v1.30.4-k3s1', Labels: { 'k3d.server.api.port': '6550' } },
      State: { Running: true, Status: 'running' },
    });
    const ip = before.NetworkSettings.Networks['k3d-federation'].IPAddress;
    expect(tool(dir, 'docker', ['restart', 'k3d-cluster-0-server-0']).stdout).toBe(
      'k3d-cluster-0-server-0\n',
    );
    const after = inspect('k3d-cluster-0-server-0').NetworkSettings.Networks['k3d-federation'].IPAddress;
    expect(after).toMatch(/^172\./);
    expect(after).not.toBe(ip);
    expect(tool(dir, 'docker', ['stop', 'k3d-cluster-0-serverlb']).code).toBe(0);
    expect(tool(dir, 'kubectl', ['get', 'nodes', '--context', 'k3d-cluster-0']).stderr).toBe(
      'The connection to the server 127.0.0.1:6550 was refused - did you specify the right host or port?\n',
    );
    expect(tool(dir, 'docker', ['container', 'inspect', 'nope'])).toMatchObject({
      code: 1,
      stderr: 'Error response from daemon: No such container: nope\n',
    });
  });

  it('info fails without an engine; every call is logged with its exit code', () => {
    const dir = federationCopy();
    expect(tool(dir, 'docker', ['info']).code).toBe(0);
    const down = tool(dir, 'docker', ['info'], undefined, { RUNBOOK_FAKE_DOCKER_DOWN: '1' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('Cannot connect to the Docker daemon');
    expect(readCalls(dir).map((call) => [call.tool, call.args, call.exit])).toEqual([
      ['docker', ['info'], 0],
      ['docker', ['info'], 1],
    ]);
  });
});

describe('kubectl', { timeout: 60_000 }, () => {
  it('an unknown context is an error; create refuses an existing object; CRDs must exist', () => {
    const dir = withCluster0();
    expect(tool(dir, 'kubectl', ['get', 'namespaces', '--context', 'k3d-nope'])).toMatchObject({
      code: 1,
      stderr: 'error: context "k3d-nope" does not exist\n',
    });
    expect(tool(dir, 'kubectl', ['create', 'namespace', 'demo', '--context', 'k3d-cluster-0']).stdout).toBe(
      'namespace/demo created\n',
    );
    expect(tool(dir, 'kubectl', ['create', 'namespace', 'demo', '--context', 'k3d-cluster-0'])).toMatchObject(
      {
        code: 1,
        stderr: 'Error from server (AlreadyExists): namespaces "demo" already exists\n',
      },
    );
    const gateway = tool(dir, 'kubectl', [
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

  it('create clears resourceVersion like cli-runtime and refuses a second create; apply is idempotent', () => {
    const dir = withCluster0();
    const secret = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'copied', namespace: 'default', resourceVersion: '4242', uid: 'from-elsewhere' },
      data: { key: 'dmFsdWU=' },
    });
    const create = ['create', '--filename', '-', '--context', 'k3d-cluster-0'];
    expect(tool(dir, 'kubectl', create, secret)).toMatchObject({
      code: 0,
      stdout: 'secret/copied created\n',
    });
    expect(tool(dir, 'kubectl', create, secret)).toMatchObject({
      code: 1,
      stderr:
        'Error from server (AlreadyExists): error when creating "STDIN": secrets "copied" already exists\n',
    });
    const stored = JSON.parse(
      tool(dir, 'kubectl', ['get', 'secret', 'copied', '-o', 'json', '--context', 'k3d-cluster-0']).stdout,
    );
    expect(stored.metadata.resourceVersion).not.toBe('4242');
    expect(stored.metadata.uid).not.toBe('from-elsewhere');
    // Applying an object kubectl apply did not make warns that the annotation is missing, then takes it over.
    const applied = tool(dir, 'kubectl', ['apply', '--filename', '-', '--context', 'k3d-cluster-0'], secret);
    expect(applied.stderr).toMatch(
      /^Warning: resource secrets\/copied is missing the kubectl\.kubernetes\.io\/last-applied-configuration annotation/,
    );
    const ns = ['apply', '-f', './cluster-0/namespace-istio-system.yaml', '--context', 'k3d-cluster-0'];
    expect(tool(dir, 'kubectl', ns).stdout).toBe('namespace/istio-system created\n');
    expect(tool(dir, 'kubectl', ns).stdout).toBe('namespace/istio-system unchanged\n');
  });

  it('wait times out naming the resource as kubectl does; pods that cannot pull show ImagePullBackOff', () => {
    const dir = withIstioBase({ RUNBOOK_FAKE_PULL_LIMIT: '1' });
    const limited = { RUNBOOK_FAKE_PULL_LIMIT: '1' };
    const apply = tool(
      dir,
      'kubectl',
      ['apply', '-k', './cluster-0/whoami', '--context', 'k3d-cluster-0'],
      undefined,
      limited,
    );
    expect(apply.code, apply.stderr).toBe(0);
    const wait = [
      'wait',
      '--for=condition=Available',
      'deployment/whoami',
      '-n',
      'whoami',
      '--timeout',
      '240s',
      '--context',
      'k3d-cluster-0',
    ];
    expect(tool(dir, 'kubectl', wait, undefined, limited)).toMatchObject({
      code: 1,
      stderr: 'error: timed out waiting for the condition on deployments/whoami\n',
    });
    expect(
      tool(dir, 'kubectl', ['get', 'pods', '-n', 'whoami', '--context', 'k3d-cluster-0'], undefined, limited)
        .stdout,
    ).toMatch(/^client\s+0\/1\s+ImagePullBackOff\s+0\s+\S+$/m);
    // Once Docker Hub lets the pulls through, the pods start and the wait passes.
    expect(tool(dir, 'kubectl', wait)).toMatchObject({
      code: 0,
      stdout: 'deployment.apps/whoami condition met\n',
    });
  });
});

describe('helm', { timeout: 60_000 }, () => {
  it('a missing values file, an unknown context, a missing namespace, a wrong version and the gateway schema are errors', () => {
    const dir = withCluster0();
    expect(tool(dir, 'helm', ['repo', 'list', '--output', 'json']).stdout).toBe('[]\n');
    expect(tool(dir, 'helm', ['repo', 'list']).stderr).toBe('Error: no repositories to show\n');
    expect(tool(dir, 'helm', ['repo', 'add', 'istio', ISTIO_REPO]).code).toBe(0);
    expect(tool(dir, 'helm', ['repo', 'list', '-o', 'json']).stdout).toBe(
      `[{"name":"istio","url":"${ISTIO_REPO}"}]\n`,
    );
    const install = (...args: string[]) => tool(dir, 'helm', ['install', ...args]);
    expect(
      install(...helmArgs('istiod', 'istiod', 'k3d-cluster-0', '--values', './nope.yaml')),
    ).toMatchObject({
      code: 1,
      stderr: 'Error: INSTALLATION FAILED: open ./nope.yaml: no such file or directory\n',
    });
    // The install that upgrade --install starts reports the same errors unwrapped.
    expect(
      tool(dir, 'helm', [
        'upgrade',
        '--install',
        ...helmArgs('istiod', 'istiod', 'k3d-cluster-0', '--values', './nope.yaml'),
      ]),
    ).toMatchObject({
      code: 1,
      stdout: 'Release "istiod" does not exist. Installing it now.\n',
      stderr: 'Error: open ./nope.yaml: no such file or directory\n',
    });
    expect(install(...helmArgs('istiod', 'istiod', 'k3d-nope')).stderr).toBe(
      'Error: INSTALLATION FAILED: Kubernetes cluster unreachable: context "k3d-nope" does not exist\n',
    );
    expect(install(...helmArgs('istio-base', 'base', 'k3d-cluster-0')).stderr).toBe(
      'Error: INSTALLATION FAILED: create: failed to create: namespaces "istio-system" not found\n',
    );
    const gateway = install(
      'gw',
      'istio/gateway',
      '-n',
      'default',
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
        'default',
        '--version',
        '9.9.9',
        '--kube-context',
        'k3d-cluster-0',
      ).stderr,
    ).toContain('chart "base" matching 9.9.9 not found in istio index');
  });

  it('install refuses a name in use, even a failed one; upgrade --install repairs it; LAST DEPLOYED is ANSIC', () => {
    const dir = withIstioBase({ RUNBOOK_FAKE_PULL_LIMIT: '1' });
    const values = ['--values', './cluster-0/istiod/values.yaml', '--wait', '--timeout', '8m'];
    // Docker Hub refuses istiod's image: --wait gives up, the release stays, failed.
    const first = tool(
      dir,
      'helm',
      ['upgrade', '--install', ...helmArgs('istiod', 'istiod', 'k3d-cluster-0', ...values)],
      undefined,
      {
        RUNBOOK_FAKE_PULL_LIMIT: '1',
      },
    );
    expect(first).toMatchObject({ code: 1, stderr: 'Error: context deadline exceeded\n' });
    expect(readState(dir, 'clusters/cluster-0').releases['istio-system/istiod']).toMatchObject({
      status: 'failed',
      revision: 1,
    });
    expect(
      tool(dir, 'helm', ['install', ...helmArgs('istiod', 'istiod', 'k3d-cluster-0', ...values)]).stderr,
    ).toBe('Error: INSTALLATION FAILED: cannot re-use a name that is still in use\n');
    const repaired = tool(dir, 'helm', [
      'upgrade',
      '--install',
      ...helmArgs('istiod', 'istiod', 'k3d-cluster-0', ...values),
    ]);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toMatch(
      /^Release "istiod" has been upgraded\. Happy Helming!\nNAME: istiod\nLAST DEPLOYED: (Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}\nNAMESPACE: istio-system\nSTATUS: deployed\nREVISION: 2\nTEST SUITE: None\nNOTES:\n"istiod" successfully installed!/,
    );
    expect(tool(dir, 'helm', ['upgrade', ...helmArgs('nothing', 'base', 'k3d-cluster-0')]).stderr).toBe(
      'Error: UPGRADE FAILED: "nothing" has no deployed releases\n',
    );
  });

  it('the reader service account comes from the base chart; istiod’s CA fills root-cert.pem; cacerts wins', () => {
    const dir = withIstioBase();
    const cluster = () => readState(dir, 'clusters/cluster-0');
    const reader = findObject(cluster(), 'ServiceAccount', 'istio-system', 'istio-reader-service-account');
    expect(reader.metadata.labels).toMatchObject({ app: 'istio-reader', release: 'istio-base' });
    expect(reader.metadata.annotations['meta.helm.sh/release-name']).toBe('istio-base');
    const istiod = [
      'upgrade',
      '--install',
      ...helmArgs(
        'istiod',
        'istiod',
        'k3d-cluster-0',
        '--values',
        './cluster-0/istiod/values.yaml',
        '--wait',
      ),
    ];
    expect(tool(dir, 'helm', istiod).code).toBe(0);
    const ca = findObject(cluster(), 'Secret', 'istio-system', 'istio-ca-secret');
    expect(ca.type).toBe('istio.io/ca-root');
    expect(decode(ca.data['root-cert.pem'])).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(ca.data['root-cert.pem']).toBe(ca.data['ca-cert.pem']);
    expect(decode(ca.data['ca-key.pem'])).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(ca.metadata.managedFields[0].manager).toBe('pilot-discovery');
    expect(
      findObject(cluster(), 'ServiceAccount', 'istio-system', 'istio-reader-service-account').metadata
        .annotations['meta.helm.sh/release-name'],
    ).toBe('istio-base');
    const rootCert = findObject(cluster(), 'ConfigMap', 'istio-system', 'istio-ca-root-cert');
    expect(rootCert.data['root-cert.pem']).toBe(decode(ca.data['ca-cert.pem']));
    // A server-side apply over istiod's own CA conflicts with its manager.
    const other = JSON.stringify({
      ...ca,
      metadata: { name: 'istio-ca-secret', namespace: 'istio-system' },
      data: { 'ca-cert.pem': 'b3RoZXI=' },
    });
    const conflict = tool(
      dir,
      'kubectl',
      ['apply', '--server-side', '-f', '-', '--context', 'k3d-cluster-0'],
      other,
    );
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(
      /^error: Apply failed with 1 conflict: conflict with "pilot-discovery" using v1: \.data\.ca-cert\.pem\nPlease review the fields above/,
    );

    // In a cluster with a plugged-in cacerts, istiod signs with that and makes no istio-ca-secret.
    const plugged = withIstioBase();
    const cacerts = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cacerts', namespace: 'istio-system' },
      data: { 'root-cert.pem': Buffer.from('plugged root').toString('base64') },
    });
    expect(tool(plugged, 'kubectl', ['create', '-f', '-', '--context', 'k3d-cluster-0'], cacerts).code).toBe(
      0,
    );
    expect(tool(plugged, 'helm', istiod).code).toBe(0);
    const pluggedCluster = readState(plugged, 'clusters/cluster-0');
    expect(findObject(pluggedCluster, 'Secret', 'istio-system', 'istio-ca-secret')).toBeUndefined();
    expect(
      findObject(pluggedCluster, 'ConfigMap', 'istio-system', 'istio-ca-root-cert').data['root-cert.pem'],
    ).toBe('plugged root');
  });
});

describe.skipIf(!engineBuilt)('istioctl and the mesh, on a federation the runbook built', () => {
  let baseline: string;
  beforeAll(async () => {
    baseline = federationCopy();
    const run = await runFederation(baseline, {}, ['--yes', '--no-preflight', 'runbook.md']);
    expect(run.code, run.output).toBe(0);
  }, 180_000);

  it('version, remote secrets, remote-clusters and proxy-config endpoints in istioctl’s formats', {
    timeout: 60_000,
  }, () => {
    const dir = cloneFederation(baseline);
    expect(tool(dir, 'istioctl', ['version', '--remote=false']).stdout).toBe('client version: 1.23.2\n');
    const withServer = tool(dir, 'istioctl', [
      'create-remote-secret',
      '--context=k3d-cluster-0',
      '--name=cluster-0',
      '--server=https://172.18.0.3:6443',
    ]);
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
      tool(dir, 'istioctl', [
        'create-remote-secret',
        '--context=k3d-cluster-0',
        '--name=cluster-0',
      ]).stdout.split('---\n')[0] as string,
    );
    expect(parseYaml(without.stringData['cluster-0']).clusters[0].cluster.server).toBe(
      'https://127.0.0.1:6550',
    );
    expect(
      tool(dir, 'istioctl', ['create-remote-secret', '--context=k3d-cluster-0', '--name=Cluster_0']).stderr,
    ).toBe('Error: Cluster_0 is not a valid DNS 1123 label\n');

    const clusters = tool(dir, 'istioctl', ['remote-clusters', '--context', 'k3d-cluster-0']).stdout;
    expect(clusters).toMatch(
      /^NAME {10}SECRET {41}STATUS {5}ISTIOD\ncluster-0 {52}synced {5}istiod-[0-9a-f]{10}-[0-9a-f]{5}\ncluster-1 {5}istio-system\/istio-remote-secret-cluster-1 {5}synced {5}istiod-[0-9a-f]{10}-[0-9a-f]{5}\n$/,
    );
    const gateway1 = readState(dir, 'clusters/cluster-1').serverIP;
    const endpoints = tool(dir, 'istioctl', [
      'proxy-config',
      'endpoints',
      'client.whoami',
      '--context',
      'k3d-cluster-0',
      '--cluster',
      'outbound|80||whoami.whoami.svc.cluster.local',
    ]).stdout;
    expect(endpoints).toMatch(
      /^ENDPOINT {10,}STATUS {6}OUTLIER CHECK {5}CLUSTER\n10\.10\.\d+\.\d+:80 +HEALTHY {5}OK {16}outbound\|80\|\|whoami\.whoami\.svc\.cluster\.local\n/,
    );
    expect(endpoints).toContain(`${gateway1}:15443`);
  });

  it('whoami echoes the query; the mesh splits answers at random; endpoints arrive after a delay', {
    timeout: 90_000,
  }, async () => {
    const dir = cloneFederation(baseline);
    const curl = (n: number) =>
      tool(
        dir,
        'kubectl',
        [
          'exec',
          'client',
          '-n',
          'whoami',
          '--context',
          'k3d-cluster-0',
          '--',
          'curl',
          '-s',
          `http://whoami.whoami.svc.cluster.local/?call=[1-${n}]`,
        ],
        undefined,
        {
          RUNBOOK_FAKE_DISCOVERY_SECONDS: '2',
        },
      ).stdout;
    const answer = curl(1);
    expect(answer).toMatch(/^Name: cluster-[01]\nHostname: whoami-[0-9a-f]{10}-[0-9a-f]{5}\n/);
    expect(answer).toContain('GET /?call=1 HTTP/1.1\r\nHost: whoami.whoami.svc.cluster.local\r\n');
    const rounds = Array.from({ length: 10 }, () => (curl(20).match(/^Name: cluster-0$/gm) ?? []).length);
    for (const zeros of rounds) expect(zeros).toBeGreaterThan(0);
    expect(new Set(rounds).size, `cluster-0 answers per round: ${rounds}`).toBeGreaterThan(1);
    expect(rounds.every((zeros) => zeros === 10)).toBe(false);

    // cluster-1 restarts with a new address: its remote secret in cluster-0 is stale until applied again,
    // and then the endpoints take RUNBOOK_FAKE_DISCOVERY_SECONDS to reach the client's proxy.
    expect(tool(dir, 'docker', ['restart', 'k3d-cluster-1-server-0']).code).toBe(0);
    expect(curl(20)).not.toContain('Name: cluster-1');
    const address = readState(dir, 'clusters/cluster-1').serverIP;
    const fresh = tool(dir, 'istioctl', [
      'create-remote-secret',
      '--context=k3d-cluster-1',
      '--name=cluster-1',
      `--server=https://${address}:6443`,
    ]).stdout;
    expect(
      tool(
        dir,
        'kubectl',
        [
          'apply',
          '--server-side',
          '--field-manager=federation-runbook',
          '-f',
          '-',
          '--context',
          'k3d-cluster-0',
        ],
        fresh,
      ).code,
    ).toBe(0);
    expect(curl(20)).not.toContain('Name: cluster-1');
    await waitFor(() => curl(20).includes('Name: cluster-1'), 10_000, 'cluster-1 discovered again');
  });
});
