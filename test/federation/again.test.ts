// The federation runbook run again: on a complete federation it changes nothing; after a failure half-way
// (Docker Hub's pull limit) a second run repairs the failed release; after a restart the steps of section 6
// run on their own and bring the mesh back; what needs a decision (a cluster built from another config, a
// second root CA, a plugged-in cacerts) stops the step with what differs, and nothing is overwritten.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
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

  it('a run stopped by Docker Hub’s pull limit is repaired by running it again whole', async () => {
    const dir = federationCopy();
    // Docker Hub serves the k3s image and then refuses: istiod's image cannot be pulled, its --wait gives up.
    const first = await runFederation(dir, { RUNBOOK_FAKE_PULL_LIMIT: '1' }, NO_PREFLIGHT);
    expect(first.code).toBe(1);
    expect(first.output).toContain('Error: context deadline exceeded');
    expect(first.output).toMatch(/Step 5\/19 istiod-cluster-0 failed/);
    const failed = readState(dir, 'clusters/cluster-0');
    expect(failed.releases['istio-system/istiod']).toMatchObject({ status: 'failed', revision: 1 });
    const pod = Object.values(failed.objects as Record<string, Json>).find(
      (o) => o.kind === 'Pod' && o.metadata.labels?.app === 'istiod',
    );
    expect(pod.status.containerStatuses[0].state.waiting.reason).toBe('ImagePullBackOff');
    expect(pod.status.containerStatuses[0].state.waiting.message).toContain('toomanyrequests');

    // The limit lifted (a mirror or a login, as the runbook says), the same command again.
    const second = await runFederation(dir, {}, NO_PREFLIGHT);
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain(
      'OK: from inside each cluster, whoami answers from both cluster-0 and cluster-1.',
    );
    const repaired = readState(dir, 'clusters/cluster-0');
    expect(repaired.releases['istio-system/istiod']).toMatchObject({ status: 'deployed', revision: 2 });
    expect(repaired.releases['istio-system/istio-base']).toMatchObject({ status: 'deployed', revision: 2 });
    expect(repaired.releases['istio-system/istio-eastwestgateway']).toMatchObject({
      status: 'deployed',
      revision: 1,
    });
    expect(
      second.calls.filter((c) => c.tool === 'k3d' && c.args[1] === 'create').map((c) => c.args.at(-1)),
    ).toEqual(['./k3d-cluster-1.yaml']);
  });

  it('a cluster of that name built from another config is reported and left alone', async () => {
    const dir = federationCopy();
    const config = path.join(dir, 'steps', 'other.yaml');
    const text = readFileSync(path.join(dir, 'steps', 'k3d-cluster-0.yaml'), 'utf8');
    writeFileSync(
      config,
      text
        .replace('hostPort: "6550"', 'hostPort: "6560"')
        .replace('rancher/k3s:v1.30.4-k3s1', 'rancher/k3s:v1.29.8-k3s1')
        .replace(
          '      - arg: --disable=traefik',
          '      - arg: --disable=servicelb\n        nodeFilters:\n          - server:*\n      - arg: --disable=traefik',
        ),
    );
    expect(tool(dir, 'k3d', ['cluster', 'create', '--config', './other.yaml']).code).toBe(0);
    const cluster = readState(dir, 'clusters/cluster-0');
    const run = await runFederation(dir, {}, NO_PREFLIGHT);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      [
        'A cluster named cluster-0 exists, but not as ./k3d-cluster-0.yaml describes it:',
        '  - it runs rancher/k3s:v1.29.8-k3s1; the config asks for rancher/k3s:v1.30.4-k3s1',
        '  - its API is on host port 6560; the config asks for 6550',
        '  - k3s runs with --disable=servicelb, which the config does not ask for',
        'It is not used. If nothing in it is worth keeping, delete it (k3d cluster delete cluster-0) and run this step again.',
      ].join('\n'),
    );
    expect(run.output).toMatch(/Step 2\/19 create-cluster-0 failed/);
    expect(run.calls.filter((c) => c.tool === 'k3d' && c.args[1] !== 'get')).toEqual([]);
    expect(readState(dir, 'clusters/cluster-0')).toEqual(cluster);
  });

  it('a second root CA in cluster-1 stops copy-root-ca without overwriting it; so does a cacerts secret', async () => {
    const dir = federationCopy();
    const upTo = await runFederation(dir, {}, [
      '--yes',
      '--no-preflight',
      '--to',
      'istio-base-cluster-1',
      'runbook.md',
    ]);
    expect(upTo.code, upTo.output).toBe(0);
    // istiod in cluster-1 starts before the copy and makes its own CA.
    const early = await runFederation(dir, {}, [
      '--yes',
      '--no-preflight',
      '--only',
      'istiod-cluster-1',
      'runbook.md',
    ]);
    expect(early.code, early.output).toBe(0);
    const own = findObject(readState(dir, 'clusters/cluster-1'), 'Secret', 'istio-system', 'istio-ca-secret');
    const copy = await runFederation(dir, {}, [
      '--yes',
      '--no-preflight',
      '--only',
      'copy-root-ca',
      'runbook.md',
    ]);
    expect(copy.code).toBe(1);
    expect(copy.stderr).toContain(
      'cluster-1 has an istio-ca-secret with a different CA: istiod there started before the copy and made its own.',
    );
    expect(copy.stderr).toContain('k3d cluster delete cluster-1');
    expect(
      findObject(readState(dir, 'clusters/cluster-1'), 'Secret', 'istio-system', 'istio-ca-secret'),
    ).toEqual(own);
    expect(copy.calls.filter((c) => c.tool === 'kubectl' && c.args[0] === 'apply')).toEqual([]);

    // A plugged-in CA in cluster-0 would be what istiod there uses: refused before anything is compared.
    const cacerts = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cacerts', namespace: 'istio-system' },
      data: { 'root-cert.pem': Buffer.from('plugged').toString('base64') },
    });
    expect(tool(dir, 'kubectl', ['create', '-f', '-', '--context', 'k3d-cluster-0'], cacerts).code).toBe(0);
    const plugged = await runFederation(dir, {}, [
      '--yes',
      '--no-preflight',
      '--only',
      'copy-root-ca',
      'runbook.md',
    ]);
    expect(plugged.code).toBe(1);
    expect(plugged.stderr).toContain(
      'k3d-cluster-0 has a cacerts secret: istiod there signs with that plugged-in CA, not with istio-ca-secret.',
    );
    expect(plugged.calls.filter((c) => c.args.includes('istio-ca-secret'))).toEqual([]);
  });
});
