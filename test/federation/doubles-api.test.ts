// The doubles of kubectl and helm, and the cluster model behind them, behave like the real tools where the
// runbook depends on it: kubectl's refusals and messages, client- and server-side apply, waits that time
// out as kubectl says they do, pods that cannot pull; helm's errors and their wrapping, a failed release
// repaired by upgrade --install, the charts' objects, istiod's CA. istioctl and the mesh, which need a
// whole federation, are tested on the one again.test.ts builds.
import { describe, expect, it } from 'vitest';
import {
  decode,
  findObject,
  helmArgs,
  ISTIO_REPO,
  readState,
  tool,
  withCluster0,
  withIstioBase,
} from './harness.ts';

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
