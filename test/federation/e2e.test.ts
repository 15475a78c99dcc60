// The federation runbook end to end: `runbook --yes runbook.md` against the test doubles of docker, k3d,
// helm, kubectl and istioctl (test/doubles), asserting from their call log and state what the procedure
// did, in which order, and that the verification passes only when the mesh is complete, saying what is
// wrong when it is not.
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT, runCli } from '../helpers/cli.ts';
import {
  type Call,
  doublesEnv,
  editFile,
  engineBuilt,
  federationCopy,
  findObject,
  indexOf,
  type Json,
  readCalls,
  runFederation,
  STEP_NAMES,
} from './harness.ts';

/** Calls that fail by design: asking k3d (the create step) and docker (the preflight) for a cluster that is not there yet. */
const expectedFailure = (call: Call) =>
  (call.tool === 'k3d' && call.args[1] === 'get' && !call.args.includes('--output')) ||
  (call.tool === 'docker' &&
    call.args[1] === 'inspect' &&
    /^k3d-cluster-[01]-serverlb$/.test(call.args[2] ?? ''));

describe.skipIf(!engineBuilt)('the federation runbook against the test doubles', () => {
  it('lists every step (--list, --list --json) and shows the whole procedure with --dry-run', {
    timeout: 60_000,
  }, async () => {
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

  it('federates both clusters: order, network, labels, CA, remote secrets, sync, whoami, verification', {
    timeout: 180_000,
  }, async () => {
    const dir = federationCopy();
    const run = await runFederation(dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(
      'OK: from inside each cluster, whoami answers from both cluster-0 and cluster-1.',
    );
    const { calls } = run;
    expect(calls.filter((call) => call.exit !== 0 && !expectedFailure(call))).toEqual([]);

    // Preflight ran before step 1: the engine was asked, then the tools' versions and the machine checks.
    expect(indexOf(calls, 'docker', 'info')).toBeLessThan(indexOf(calls, 'helm', 'repo', 'add'));
    expect(indexOf(calls, 'helm', 'repo', 'list', '--output', 'json')).toBeLessThan(
      indexOf(calls, 'helm', 'repo', 'add'),
    );
    // Steps ran in steps/ (front matter cwd), where the relative paths resolve.
    const create0 = calls[
      indexOf(calls, 'k3d', 'cluster', 'create', '--config', './k3d-cluster-0.yaml')
    ] as Call;
    expect(create0.cwd).toBe(path.join(dir, 'steps'));

    const order = [
      indexOf(calls, 'helm', 'repo', 'add', 'istio'),
      indexOf(calls, 'helm', 'repo', 'update'),
      indexOf(calls, 'k3d', 'cluster', 'get', 'cluster-0'),
      indexOf(calls, 'k3d', 'cluster', 'create', './k3d-cluster-0.yaml'),
      indexOf(calls, 'kubectl', 'apply', './cluster-0/namespace-istio-system.yaml', 'k3d-cluster-0'),
      indexOf(calls, 'helm', 'upgrade', '--install', 'istio-base', 'k3d-cluster-0'),
      indexOf(calls, 'helm', 'upgrade', '--install', 'istiod', 'k3d-cluster-0'),
      indexOf(calls, 'helm', 'upgrade', '--install', 'istio-eastwestgateway', 'k3d-cluster-0'),
      indexOf(calls, 'k3d', 'cluster', 'create', './k3d-cluster-1.yaml'),
      indexOf(calls, 'kubectl', 'apply', './cluster-1/namespace-istio-system.yaml', 'k3d-cluster-1'),
      indexOf(calls, 'helm', 'upgrade', '--install', 'istio-base', 'k3d-cluster-1'),
      indexOf(calls, 'kubectl', 'apply', '--server-side', '-', 'k3d-cluster-1', '--namespace'),
      indexOf(calls, 'helm', 'upgrade', '--install', 'istiod', 'k3d-cluster-1'),
      indexOf(calls, 'helm', 'upgrade', '--install', 'istio-eastwestgateway', 'k3d-cluster-1'),
      indexOf(calls, 'kubectl', 'apply', './cluster-1/gateway-istio-eastwestgateway.yaml'),
      indexOf(calls, 'kubectl', 'apply', '--kustomize', './cluster-1/whoami'),
      indexOf(calls, 'k3d', 'cluster', 'get', 'cluster-1', '--output', 'json'),
      indexOf(calls, 'istioctl', 'create-remote-secret', '--context=k3d-cluster-1'),
      indexOf(calls, 'istioctl', 'remote-clusters', 'k3d-cluster-1'),
      indexOf(calls, 'kubectl', 'exec', 'client', 'k3d-cluster-1'),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // Nothing was created that an apply could have made, and nothing was installed with plain `helm install`.
    expect(calls.filter((c) => c.tool === 'kubectl' && c.args[0] === 'create')).toEqual([]);
    expect(calls.filter((c) => c.tool === 'helm' && c.args[0] === 'install')).toEqual([]);
    // The CA copy reads cluster-0, after both clusters were checked for cacerts, before istiod starts in cluster-1.
    expect(indexOf(calls, 'kubectl', 'get', 'cacerts', 'k3d-cluster-1')).toBeLessThan(
      indexOf(calls, 'kubectl', 'get', 'istio-ca-secret', '--output', 'json', 'k3d-cluster-0'),
    );
    expect(
      indexOf(calls, 'kubectl', 'get', 'istio-ca-secret', '--output', 'json', 'k3d-cluster-0'),
    ).toBeLessThan(indexOf(calls, 'helm', 'upgrade', 'istiod', 'k3d-cluster-1'));

    const clusters = [run.state('clusters/cluster-0'), run.state('clusters/cluster-1')];
    // Both clusters on the one shared, external Docker network.
    const networks = run.state('networks');
    expect(clusters.map((cluster) => cluster.network)).toEqual(['k3d-federation', 'k3d-federation']);
    expect(clusters.map((cluster) => cluster.external)).toEqual([true, true]);
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
      expect(cluster.releases['istio-system/istiod']).toMatchObject({
        version: '1.23.2',
        status: 'deployed',
      });
      expect(cluster.releases['istio-system/istio-eastwestgateway'].values.networkGateway).toBe(
        `network-${n}`,
      );
      expect(findObject(cluster, 'Gateway', 'istio-system', 'cross-network-gateway')).toBeDefined();
    }
    // One root CA, copied without cluster-0's server-populated metadata and without a last-applied copy.
    const ca = clusters.map((cluster) => findObject(cluster, 'Secret', 'istio-system', 'istio-ca-secret'));
    expect(ca[1].data).toEqual(ca[0].data);
    expect(ca[1].metadata.uid).not.toBe(ca[0].metadata.uid);
    expect(ca[1].metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
    expect(ca[1].metadata.managedFields.map((f: Json) => [f.manager, f.operation])).toEqual([
      ['federation-runbook', 'Apply'],
    ]);
    expect(clusters[1].istiod.root).toBe(clusters[0].istiod.root);

    // The captured server IPs, in the istioctl calls and inside the remote secrets of the other cluster.
    for (const [n, other] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const ip = clusters[n].serverIP;
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
      expect(
        secret.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'],
      ).toBeUndefined();
      const kubeconfig = parseYaml(Buffer.from(secret.data[`cluster-${n}`], 'base64').toString('utf8'));
      expect(kubeconfig.clusters[0].cluster.server).toBe(`https://${ip}:6443`);
      expect(run.output).toContain(`istiod in cluster-${other} has synced cluster-${n}`);
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
      expect(execs[0]?.args).toEqual(expect.arrayContaining(['client', '--', 'curl', '--max-time', '2']));
      expect(execs[0]?.args.at(-1)).toBe('http://whoami.whoami.svc.cluster.local/?call=[1-20]');
      expect(run.output).toMatch(new RegExp(`from ${context}, round \\d: cluster-0 x\\d+, cluster-1 x\\d+`));
    }

    // Teardown is not part of the procedure.
    expect(calls.filter((call) => call.args.includes('delete') || call.args.includes('rm'))).toEqual([]);

    // The same verification, once the clusters can no longer reach each other, fails (exit 1) and says why.
    const partitioned = await runFederation(
      dir,
      { VERIFY_ROUNDS: '1', RUNBOOK_FAKE_CROSS_CLUSTER: 'blocked' },
      ['--yes', '--only', 'verify-cross-cluster', 'runbook.md'],
    );
    expect(partitioned.code, partitioned.output).toBe(1);
    const diagnosis = partitioned.stderr;
    expect(diagnosis).toContain('FAILED: from k3d-cluster-0, whoami answered only from: cluster-0 x20');
    expect(diagnosis).toContain('FAILED: from k3d-cluster-1, whoami answered only from: cluster-1 x20');
    for (const [n, other] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const gateway = clusters[other].serverIP;
      expect(diagnosis).toContain(`cluster-${n} east-west gateway address: ${clusters[n].serverIP}`);
      expect(diagnosis).toContain(
        `--- istiod in cluster-${n} (istioctl remote-clusters): cluster-${other} should be synced`,
      );
      expect(diagnosis).toMatch(
        new RegExp(
          `cluster-${other}\\s+istio-system/istio-remote-secret-cluster-${other}\\s+(syncing|timeout)\\s+istiod-`,
        ),
      );
      expect(diagnosis).toContain(`(cluster-${other}'s gateway ${gateway}:15443 is missing`);
    }
    expect(diagnosis).toMatch(
      /ENDPOINT\s+STATUS\s+OUTLIER CHECK\s+CLUSTER\n10\.10\.\d+\.\d+:80\s+HEALTHY\s+OK\s+outbound\|80\|\|whoami\.whoami\.svc\.cluster\.local/,
    );
    expect(diagnosis).toContain('both clusters hand out the same root certificate');
    expect(
      partitioned.calls.filter((c) => c.tool === 'istioctl' && c.args[0] === 'proxy-config'),
    ).toHaveLength(2);

    // teardown.md, its own runbook, removes both clusters and the network k3d left behind; twice is harmless.
    cpSync(path.join(ROOT, 'teardown.md'), path.join(dir, 'teardown.md'));
    for (const attempt of [1, 2]) {
      const teardown = await runCli(['--yes', 'teardown.md'], { cwd: dir, env: doublesEnv(dir) });
      expect(teardown.code, `teardown ${attempt}: ${teardown.stdout}${teardown.stderr}`).toBe(0);
    }
    const after = readCalls(dir);
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

  it.concurrent('a cluster-1 istio-system without its network label: its step says so; unchecked, the verification fails', {
    timeout: 180_000,
  }, async () => {
    const dir = federationCopy((copy) =>
      editFile(path.join(copy, 'steps', 'cluster-1', 'namespace-istio-system.yaml'), (text) =>
        text.replace(/\n {2}labels:\n {4}topology\.istio\.io\/network: network-1\n/, '\n'),
      ),
    );
    // The step's expected output names the label, so the gap is caught where it is made.
    const caught = await runFederation(dir);
    expect(caught.code, caught.output).toBe(1);
    expect(caught.output).toContain('Step 8/19 istio-system-cluster-1 failed: output did not match');
    expect(caught.output).toContain('- topology.istio.io/network=network-1');

    // Without that check the mesh itself shows the gap, only at the verification.
    editFile(path.join(dir, 'runbook.md'), (text) =>
      text.replace(
        '{name=istio-system-cluster-1 timeout=60 expect=contains}',
        '{name=istio-system-cluster-1 timeout=60 expect=off}',
      ),
    );
    const run = await runFederation(dir, { VERIFY_ROUNDS: '1' }, ['--yes', '--resume', 'runbook.md']);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain('FAILED: from k3d-cluster-0, whoami answered only from: cluster-0 x20');
    // Everything before the verification succeeded: the gap shows only where the mesh is used.
    expect(
      run.calls.filter((call) => call.exit !== 0 && !expectedFailure(call) && call.args[0] !== 'exec'),
    ).toEqual([]);
    expect(
      indexOf(run.calls, 'kubectl', 'apply', '--kustomize', './cluster-1/whoami'),
    ).toBeGreaterThanOrEqual(0);
    expect(run.output).toContain('istiod in cluster-0 has synced cluster-1');
  });

  it.concurrent('fails before step 1 (exit 2) when the Docker engine is not running', {
    timeout: 60_000,
  }, async () => {
    const dir = federationCopy();
    const run = await runFederation(dir, { RUNBOOK_FAKE_DOCKER_DOWN: '1' });
    expect(run.code, run.output).toBe(2);
    expect(run.output).toMatch(/docker: the Docker engine is not running/);
    expect(
      run.calls.filter((call) => call.tool === 'helm' && call.args[0] === 'repo' && call.args[1] !== 'list'),
    ).toEqual([]);
    expect(readFileSync(path.join(dir, 'runbook.md'), 'utf8')).toContain('name=helm-repo');
  });
});
