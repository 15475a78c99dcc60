// The federation runbook run again on a complete federation: it changes nothing; after a restart the steps
// of section 6 run on their own and bring the mesh back; a stopped cluster is said and started. On the same
// federation, the doubles of istioctl and the mesh in their formats and with their timing.
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { waitFor } from '../helpers/cli.ts';
import {
  cloneFederation,
  engineBuilt,
  federationCopy,
  findObject,
  type Json,
  readState,
  runFederation,
  tool,
} from './harness.ts';

const NO_PREFLIGHT = ['--yes', '--no-preflight', 'runbook.md'];

/** Every object of both clusters by key, with the fields a change would move. */
function objectVersions(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['cluster-0', 'cluster-1']) {
    const cluster = readState(dir, `clusters/${name}`);
    for (const [key, object] of Object.entries(cluster.objects as Record<string, Json>))
      out[`${name} ${key}`] = `${object.metadata.uid} ${object.metadata.resourceVersion}`;
  }
  return out;
}

function remoteSecretServer(dir: string, cluster: string, of: string): string {
  const secret = findObject(
    readState(dir, `clusters/${cluster}`),
    'Secret',
    'istio-system',
    `istio-remote-secret-${of}`,
  );
  return parseYaml(Buffer.from(secret.data[of], 'base64').toString('utf8')).clusters[0].cluster.server;
}

describe.skipIf(!engineBuilt)('the federation runbook, run again', { timeout: 180_000 }, () => {
  let baseline: string;
  beforeAll(async () => {
    baseline = federationCopy();
    const run = await runFederation(baseline, {}, NO_PREFLIGHT);
    expect(run.code, run.output).toBe(0);
  }, 180_000);

  it('a second run of a complete federation exits 0 and changes nothing it should not', async () => {
    const dir = cloneFederation(baseline);
    const objects = objectVersions(dir);
    const networks = readState(dir, 'networks');
    const kubeconfig = readState(dir, 'kubeconfig');
    const again = await runFederation(dir);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain(
      'OK: from inside each cluster, whoami answers from both cluster-0 and cluster-1.',
    );
    // No object was created, changed or removed: same uid, same resourceVersion, none more, none fewer.
    expect(objectVersions(dir)).toEqual(objects);
    expect(readState(dir, 'networks')).toEqual(networks);
    expect(readState(dir, 'kubeconfig')).toEqual(kubeconfig);
    // Nothing was created again: no cluster, no install, no create, no start.
    const { calls } = again;
    expect(
      calls.filter((c) => c.tool === 'k3d' && ['create', 'start', 'delete'].includes(c.args[1] ?? '')),
    ).toEqual([]);
    expect(
      calls.filter(
        (c) =>
          (c.tool === 'helm' && c.args[0] === 'install') || (c.tool === 'kubectl' && c.args[0] === 'create'),
      ),
    ).toEqual([]);
    // The releases were upgraded to the same chart version with the same values: revision 2, deployed.
    for (const name of ['cluster-0', 'cluster-1']) {
      const before = readState(baseline, `clusters/${name}`).releases;
      const after = readState(dir, `clusters/${name}`).releases;
      for (const key of Object.keys(before)) {
        expect(after[key]).toMatchObject({
          version: '1.23.2',
          status: 'deployed',
          revision: 2,
          values: before[key].values,
        });
      }
    }
    expect(again.output).toContain(
      'cluster cluster-0 already exists as ./k3d-cluster-0.yaml describes it; nothing to create',
    );
    expect(again.output).toContain('"istio" already exists with the same configuration, skipping');
    expect(again.output).toContain("cluster-1 already has cluster-0's root CA; nothing to copy.");
    expect(again.output).toContain('namespace/istio-system unchanged');
    expect(again.output).toContain('pod/client unchanged');
    expect(again.output).not.toContain('moved from');

    // What the steps avoid, the doubles refuse as the real tools do.
    expect(tool(dir, 'k3d', ['cluster', 'create', '--config', './k3d-cluster-0.yaml']).stderr).toContain(
      'already exists',
    );
    expect(
      tool(dir, 'helm', [
        'install',
        'istiod',
        'istio/istiod',
        '-n',
        'istio-system',
        '--version',
        '1.23.2',
        '--kube-context',
        'k3d-cluster-0',
      ]).stderr,
    ).toBe('Error: INSTALLATION FAILED: cannot re-use a name that is still in use\n');
    const ca = tool(dir, 'kubectl', [
      'get',
      'secret',
      'istio-ca-secret',
      '-n',
      'istio-system',
      '-o',
      'json',
      '--context',
      'k3d-cluster-0',
    ]).stdout;
    expect(tool(dir, 'kubectl', ['create', '-f', '-', '--context', 'k3d-cluster-1'], ca).stderr).toContain(
      'Error from server (AlreadyExists): error when creating "STDIN": secrets "istio-ca-secret" already exists',
    );
  });

  it('after a restart the remote secrets are stale; section 6 run on its own (--from) brings the mesh back', async () => {
    const dir = cloneFederation(baseline);
    const before = [0, 1].map((n) => readState(dir, `clusters/cluster-${n}`).serverIP);
    // Docker restarts the nodes in another order: both get new addresses.
    expect(tool(dir, 'k3d', ['cluster', 'stop', 'cluster-0', 'cluster-1']).code).toBe(0);
    expect(tool(dir, 'k3d', ['cluster', 'start', 'cluster-1', 'cluster-0']).code).toBe(0);
    const after = [0, 1].map((n) => readState(dir, `clusters/cluster-${n}`).serverIP);
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);

    const broken = await runFederation(dir, { VERIFY_ROUNDS: '1' }, [
      '--yes',
      '--no-preflight',
      '--only',
      'verify-cross-cluster',
      'runbook.md',
    ]);
    expect(broken.code, broken.output).toBe(1);
    expect(broken.stderr).toContain('FAILED: from k3d-cluster-0, whoami answered only from: cluster-0 x20');

    const fixed = await runFederation(dir, {}, ['--yes', '--from', 'capture-server-ips', 'runbook.md']);
    expect(fixed.code, fixed.output).toBe(0);
    expect(fixed.output).toContain(
      `cluster-0's API server moved from https://${before[0]}:6443 to https://${after[0]}:6443`,
    );
    expect(fixed.output).toContain(
      `cluster-1's API server moved from https://${before[1]}:6443 to https://${after[1]}:6443`,
    );
    expect(fixed.output).toContain(
      'OK: from inside each cluster, whoami answers from both cluster-0 and cluster-1.',
    );
    expect(remoteSecretServer(dir, 'cluster-1', 'cluster-0')).toBe(`https://${after[0]}:6443`);
    expect(remoteSecretServer(dir, 'cluster-0', 'cluster-1')).toBe(`https://${after[1]}:6443`);
    // Only the steps of section 6 and the verification ran: no chart, no cluster, no manifest touched.
    expect([...fixed.output.matchAll(/▶ Step \d+\/19 · (\S+)/g)].map((m) => m[1])).toEqual([
      'capture-server-ips',
      'remote-secrets',
      'wait-remote-clusters',
      'verify-cross-cluster',
    ]);
    expect(fixed.calls.filter((c) => c.tool === 'helm' && c.args[0] === 'upgrade')).toEqual([]);
  });

  it('the wait for the sync gives up within its rounds and names the cluster that never synced', async () => {
    const dir = cloneFederation(baseline);
    // cluster-1 comes back with a new address: cluster-0's remote secret points where nothing answers.
    expect(tool(dir, 'docker', ['restart', 'k3d-cluster-1-server-0']).code).toBe(0);
    const run = await runFederation(dir, { SYNC_ROUNDS: '2' }, [
      '--yes',
      '--no-preflight',
      '--only',
      'wait-remote-clusters',
      'runbook.md',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('istiod in cluster-1 has synced cluster-0');
    expect(run.stderr).toMatch(
      /istiod in cluster-0 never synced cluster-1 \(last status: (syncing|timeout)\):\n/,
    );
    expect(run.stderr).toMatch(
      /cluster-1\s+istio-system\/istio-remote-secret-cluster-1\s+(syncing|timeout)\s+istiod-/,
    );
    expect(run.stderr).toContain('run again from capture-server-ips');
    expect(run.stderr).not.toContain('istiod in cluster-1 never synced');
    expect(run.calls.filter((c) => c.tool === 'istioctl' && c.args.includes('k3d-cluster-0'))).toHaveLength(
      3,
    );
  });

  it('a stopped cluster: capture says to start it; its create step starts it', async () => {
    const dir = cloneFederation(baseline);
    expect(tool(dir, 'k3d', ['cluster', 'stop', 'cluster-1']).code).toBe(0);
    const capture = await runFederation(dir, {}, [
      '--yes',
      '--no-preflight',
      '--only',
      'capture-server-ips',
      'runbook.md',
    ]);
    expect(capture.code).toBe(1);
    expect(capture.stderr).toContain(
      "cluster-1's server node has no address: it is not running. Start it (k3d cluster start cluster-1) and run this step again.",
    );
    const create = await runFederation(dir, {}, [
      '--yes',
      '--no-preflight',
      '--only',
      'create-cluster-1',
      'runbook.md',
    ]);
    expect(create.code, create.output).toBe(0);
    expect(create.output).toContain(
      'cluster cluster-1 exists as ./k3d-cluster-1.yaml describes it, but is stopped: starting it',
    );
    expect(create.calls.filter((c) => c.tool === 'k3d' && c.args[1] === 'start').map((c) => c.args)).toEqual([
      ['cluster', 'start', 'cluster-1'],
    ]);
    expect(readState(dir, 'clusters/cluster-1').nodes.every((node: Json) => node.running)).toBe(true);
  });

  // The doubles of istioctl and the mesh on this complete federation
  // (the other doubles are tested in doubles-nodes.test.ts and doubles-api.test.ts).
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
