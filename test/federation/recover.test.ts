// The federation runbook after what goes wrong on real machines: a run stopped half-way by Docker Hub's pull
// limit is repaired by running it again; what needs a decision (a cluster of that name built from another
// config, a second root CA, a plugged-in cacerts) stops the step with what differs, and nothing is
// overwritten.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  engineBuilt,
  federationCopy,
  findObject,
  type Json,
  readState,
  runFederation,
  tool,
} from './harness.ts';

const NO_PREFLIGHT = ['--yes', '--no-preflight', 'runbook.md'];

describe.skipIf(!engineBuilt)('the federation runbook, recovering', { timeout: 180_000 }, () => {
  it.concurrent('a run stopped by Docker Hub’s pull limit is repaired by running it again whole', async () => {
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

  it.concurrent('a cluster of that name built from another config is reported and left alone', async () => {
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

  it.concurrent('a second root CA in cluster-1 stops copy-root-ca without overwriting it; so does a cacerts secret', async () => {
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
