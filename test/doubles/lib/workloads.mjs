// What the cluster's controllers do between calls: Deployments get pods, pods pull their images (Docker Hub
// may refuse, RUNBOOK_FAKE_PULL_LIMIT) and run, istiod starts with its CA and publishes the root
// certificate to every namespace. Tools open a cluster with openCluster and save it with commit, so that
// every call sees the cluster as its controllers would have left it.
import { createHash } from 'node:crypto';
import {
  clusterForContext,
  clusterRunning,
  getObject,
  listObjects,
  saveCluster,
  serverCreate,
  serverDelete,
  serverUpdate,
} from './cluster.mjs';
import { canonical, hex, readState, writeState } from './state.mjs';

export function openCluster(context, errorPrefix) {
  const cluster = clusterForContext(context, errorPrefix);
  reconcile(cluster);
  return cluster;
}

export function commit(cluster) {
  reconcile(cluster);
  saveCluster(cluster);
}

export function reconcile(cluster) {
  if (!clusterRunning(cluster)) return;
  for (const deployment of listObjects(cluster, 'Deployment')) rollOut(cluster, deployment);
  for (const pod of listObjects(cluster, 'Pod')) startPod(cluster, pod);
  for (const deployment of listObjects(cluster, 'Deployment')) deploymentStatus(cluster, deployment);
  startIstiod(cluster);
  publishRootCert(cluster);
}

/** `docker.io/` for names without a registry, as containerd resolves them. */
export function qualified(image) {
  const first = image.split('/')[0];
  if (image.includes('/') && (first.includes('.') || first.includes(':'))) return image;
  return `docker.io/${image.includes('/') ? image : `library/${image}`}`;
}

/**
 * Pulls an image into a node's store (`images`), counting Docker Hub pulls for the whole machine; past
 * RUNBOOK_FAKE_PULL_LIMIT of them Docker Hub answers 429 as it does to anonymous pulls over its limit.
 */
export function pullImage(images, image) {
  const ref = qualified(image);
  if (images[ref]) return undefined;
  if (ref.startsWith('docker.io/')) {
    const pulls = readState('pulls', { count: 0 });
    const limit = Number(process.env.RUNBOOK_FAKE_PULL_LIMIT);
    if (process.env.RUNBOOK_FAKE_PULL_LIMIT && Number.isFinite(limit) && pulls.count >= limit) {
      const [, path, tag] = /^docker\.io\/(.+):([^:]+)$/.exec(ref) ?? [null, ref, 'latest'];
      return `failed to pull and unpack image "${ref}": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/${path}/manifests/${tag}: 429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit`;
    }
    writeState('pulls', { count: pulls.count + 1 });
  }
  images[ref] = true;
  return undefined;
}

function templateHash(template) {
  return createHash('sha256')
    .update(canonical(template ?? {}))
    .digest('hex')
    .slice(0, 10);
}

export function podsOf(cluster, deployment) {
  return listObjects(cluster, 'Pod', deployment.metadata.namespace).filter((pod) =>
    pod.metadata.ownerReferences?.some((owner) => owner.name.startsWith(`${deployment.metadata.name}-`)),
  );
}

/** The Deployment controller: pods of the current template, old ones replaced. */
function rollOut(cluster, deployment) {
  const template = deployment.spec?.template ?? {};
  const hash = templateHash(template);
  const replicaSet = `${deployment.metadata.name}-${hash}`;
  const pods = podsOf(cluster, deployment);
  for (const pod of pods) {
    if (pod.metadata.ownerReferences[0].name !== replicaSet) serverDelete(cluster, pod);
  }
  const current = pods.filter((pod) => pod.metadata.ownerReferences[0].name === replicaSet);
  for (let i = current.length; i < (deployment.spec?.replicas ?? 1); i++) {
    serverCreate(
      cluster,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${replicaSet}-${hex(3).slice(0, 5)}`,
          namespace: deployment.metadata.namespace,
          labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash },
          annotations: { ...(template.metadata?.annotations ?? {}) },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: replicaSet, controller: true },
          ],
        },
        spec: structuredClone(template.spec ?? { containers: [] }),
      },
      { manager: 'kube-controller-manager' },
    );
  }
}

/** The kubelet: a pending pod runs once every image of it is in the node's store. */
function startPod(cluster, pod) {
  if (pod.status?.phase === 'Running') return;
  cluster.images ??= {};
  const failures = pod.spec.containers
    .map((container) => ({ container, error: pullImage(cluster.images, container.image) }))
    .filter((result) => result.error);
  const statuses = pod.spec.containers.map((container) => {
    const failed = failures.find((f) => f.container === container);
    return failed
      ? {
          name: container.name,
          ready: false,
          image: container.image,
          state: {
            waiting: {
              reason: 'ImagePullBackOff',
              message: `Back-off pulling image "${container.image}": ${failed.error}`,
            },
          },
        }
      : {
          name: container.name,
          ready: failures.length === 0,
          image: container.image,
          state: failures.length === 0 ? { running: {} } : { waiting: { reason: 'PodInitializing' } },
        };
  });
  const ready = failures.length === 0;
  serverUpdate(cluster, pod, {
    ...pod,
    status: {
      ...pod.status,
      phase: ready ? 'Running' : 'Pending',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: statuses,
    },
  });
}

export function podReady(pod) {
  return pod?.status?.phase === 'Running';
}

function deploymentStatus(cluster, deployment) {
  const pods = podsOf(cluster, deployment);
  const ready = pods.filter(podReady).length;
  const replicas = deployment.spec?.replicas ?? 1;
  const available = ready >= replicas;
  serverUpdate(cluster, deployment, {
    ...deployment,
    status: {
      replicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      conditions: [
        {
          type: 'Available',
          status: available ? 'True' : 'False',
          reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        },
      ],
    },
  });
}

function fakePem(what) {
  const body = Buffer.from(hex(96), 'hex').toString('base64');
  return `-----BEGIN ${what}-----\n${body.match(/.{1,64}/g).join('\n')}\n-----END ${what}-----\n`;
}

const decode = (value) => (value ? Buffer.from(value, 'base64').toString('utf8') : '');

/**
 * istiod's start (security/pkg/pki/ca/ca.go and pilot's bootstrap): a plugged-in `cacerts` secret wins;
 * else it loads `istio-ca-secret`, else creates one (root-cert.pem and ca-cert.pem both the new root).
 * The root it starts with is the one it signs with until it restarts.
 */
function startIstiod(cluster) {
  const release = cluster.releases['istio-system/istiod'];
  const pod =
    release &&
    listObjects(cluster, 'Pod', release.namespace).find((p) => p.metadata.labels?.app === 'istiod');
  if (!release) {
    delete cluster.istiod;
    return;
  }
  if (cluster.istiod?.started || !podReady(pod)) return;
  const namespace = release.namespace;
  const cacerts = getObject(cluster, 'Secret', namespace, 'cacerts');
  let root;
  let caSecret;
  if (cacerts) {
    root = decode(cacerts.data?.['root-cert.pem'] ?? cacerts.data?.['ca-cert.pem']);
    caSecret = 'cacerts';
  } else {
    caSecret = 'istio-ca-secret';
    const existing = getObject(cluster, 'Secret', namespace, caSecret);
    if (existing) root = decode(existing.data?.['ca-cert.pem']);
    else {
      root = fakePem('CERTIFICATE');
      const encoded = Buffer.from(root).toString('base64');
      serverCreate(
        cluster,
        {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'istio.io/ca-root',
          metadata: { name: caSecret, namespace },
          data: {
            'ca-cert.pem': encoded,
            'ca-key.pem': Buffer.from(fakePem('RSA PRIVATE KEY')).toString('base64'),
            'cert-chain.pem': '',
            'key.pem': '',
            'root-cert.pem': encoded,
          },
        },
        { manager: 'pilot-discovery' },
      );
    }
  }
  cluster.istiod = { started: Date.now(), root, caSecret, pod: pod.metadata.name };
}

// pkg/kube/inject IgnoredNamespaces, less kube-system (namespacecontroller.go).
const NO_ROOT_CERT = new Set(['kube-public', 'kube-node-lease', 'local-path-storage']);

/** istiod's namespace controller: ConfigMap istio-ca-root-cert with the root it signs with, everywhere. */
function publishRootCert(cluster) {
  if (!cluster.istiod?.started) return;
  for (const namespace of listObjects(cluster, 'Namespace')) {
    const name = namespace.metadata.name;
    if (NO_ROOT_CERT.has(name)) continue;
    const data = { 'root-cert.pem': cluster.istiod.root };
    const existing = getObject(cluster, 'ConfigMap', name, 'istio-ca-root-cert');
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio-ca-root-cert', namespace: name, labels: { 'istio.io/config': 'true' } },
      data,
    };
    if (!existing) serverCreate(cluster, configMap, { manager: 'pilot-discovery' });
    else serverUpdate(cluster, existing, { ...existing, data });
  }
}
