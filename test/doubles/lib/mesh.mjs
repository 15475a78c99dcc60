// Which clusters' endpoints a call from inside the mesh of one cluster can reach, and when. The conditions
// are the ones an Istio 1.23 multi-primary, multi-network mesh needs; every unmet one is reported so that a
// failing run says why (RUNBOOK_FAKE_DEBUG=1 prints them to stderr). Time matters as it does in istiod: a
// remote cluster syncs RUNBOOK_FAKE_SYNC_SECONDS (default 1) after its secret changed, its endpoints reach
// the proxies RUNBOOK_FAKE_DISCOVERY_SECONDS (default 3) after the last thing they depend on changed, and a
// cluster istiod cannot reach stays "syncing" until PILOT_REMOTE_CLUSTER_TIMEOUT (30 s), then "timeout".
import { canReach, changedAt, getObject, listObjects, loadCluster, loadKubeconfig } from './cluster.mjs';
import { envSeconds, parseYaml } from './state.mjs';
import { podReady } from './workloads.mjs';

const REMOTE_CLUSTER_TIMEOUT_MS = 30_000;

function istiodValues(cluster) {
  return cluster.releases['istio-system/istiod']?.values?.global;
}

export function clusterName(cluster) {
  return istiodValues(cluster)?.multiCluster?.clusterName || 'Kubernetes';
}

function networkLabel(cluster) {
  return getObject(cluster, 'Namespace', undefined, 'istio-system')?.metadata?.labels?.[
    'topology.istio.io/network'
  ];
}

export function hasSidecar(pod) {
  return pod.spec.containers.some((container) => container.name === 'istio-proxy');
}

/** The ready pods behind a Service. */
export function endpoints(cluster, namespace, serviceName) {
  const service = getObject(cluster, 'Service', namespace, serviceName);
  if (!service) return [];
  const selector = Object.entries(service.spec?.selector ?? {});
  return listObjects(cluster, 'Pod', namespace).filter(
    (pod) =>
      podReady(pod) &&
      selector.length > 0 &&
      selector.every(([key, value]) => pod.metadata.labels?.[key] === value),
  );
}

/** Every cluster the remote secrets in `cluster` describe: secret, cluster name, API server, when set. */
export function remoteSecrets(cluster) {
  const secrets = listObjects(cluster, 'Secret', 'istio-system').filter(
    (secret) => secret.metadata.labels?.['istio/multiCluster'] === 'true',
  );
  return secrets.flatMap((secret) =>
    Object.entries(secret.data ?? {}).map(([name, encoded]) => {
      const kubeconfig = parseYaml(Buffer.from(encoded, 'base64').toString('utf8')) ?? {};
      return {
        secret: `${secret.metadata.namespace}/${secret.metadata.name}`,
        clusterName: name,
        server: kubeconfig.clusters?.[0]?.cluster?.server,
        since: changedAt(cluster, secret),
      };
    }),
  );
}

function otherClusters(local) {
  return [...new Set(Object.values(loadKubeconfig().contexts).map((c) => c.cluster))]
    .filter((name) => name !== local.name)
    .map(loadCluster)
    .filter(Boolean);
}

/** The fake cluster a remote secret's server address leads to, if any pod of `local` could reach it. */
function clusterBehind(local, server) {
  return otherClusters(local).find((c) => server === `https://${c.serverIP}:6443` && canReach(local, c));
}

/**
 * `istioctl remote-clusters` for `local`'s istiod: its own (config) cluster, then one entry per cluster a
 * remote secret names, with the sync status istiod's secret controller reports.
 */
export function remoteClusterStatus(local, at = Date.now()) {
  const entries = [{ id: clusterName(local), secretName: '', syncStatus: 'synced' }];
  const istiodSince = local.istiod?.started ?? at;
  for (const secret of remoteSecrets(local)) {
    const since = Math.max(secret.since, istiodSince);
    const target = clusterBehind(local, secret.server);
    let syncStatus;
    if (target)
      syncStatus = at >= since + envSeconds('RUNBOOK_FAKE_SYNC_SECONDS', 1) * 1000 ? 'synced' : 'syncing';
    else syncStatus = at >= since + REMOTE_CLUSTER_TIMEOUT_MS ? 'timeout' : 'syncing';
    entries.push({ id: secret.clusterName, secretName: secret.secret, syncStatus });
  }
  return entries;
}

/** The address of `cluster`'s east-west gateway and the problems that keep it from carrying traffic. */
export function eastWestGateway(cluster, problems = []) {
  const values = cluster.releases['istio-system/istio-eastwestgateway']?.values;
  const network = istiodValues(cluster)?.network;
  if (!values) {
    problems.push(`${cluster.name}: no east-west gateway release`);
    return undefined;
  }
  if (!values.networkGateway || values.networkGateway !== network) {
    problems.push(
      `${cluster.name}: east-west gateway networkGateway is "${values.networkGateway ?? ''}", not "${network}"`,
    );
  }
  const service = listObjects(cluster, 'Service', 'istio-system').find(
    (s) =>
      s.metadata.labels?.['topology.istio.io/network'] === network &&
      s.spec.ports.some((p) => p.port === 15443),
  );
  const address = service?.status?.loadBalancer?.ingress?.[0]?.ip;
  if (!address) problems.push(`${cluster.name}: the east-west gateway has no address`);
  const gatewayPodLabel = service?.spec?.selector?.istio;
  const exposed = listObjects(cluster, 'Gateway', 'istio-system').some(
    (gateway) =>
      gateway.spec?.selector?.istio === gatewayPodLabel &&
      (gateway.spec?.servers ?? []).some(
        (server) =>
          server.port?.number === 15443 &&
          server.port?.protocol === 'TLS' &&
          server.tls?.mode === 'AUTO_PASSTHROUGH' &&
          (server.hosts ?? []).some((host) => host === '*.local' || host === '*'),
      ),
  );
  if (!exposed)
    problems.push(
      `${cluster.name}: no cross-network Gateway (15443, AUTO_PASSTHROUGH, *.local) for its gateway pods`,
    );
  const gatewayPods = service ? endpoints(cluster, 'istio-system', service.metadata.name) : [];
  if (service && gatewayPods.length === 0)
    problems.push(`${cluster.name}: the east-west gateway has no running pod`);
  return {
    address,
    service,
    since: Math.max(changedAt(cluster, service), ...gatewayPods.map((p) => changedAt(cluster, p))),
  };
}

function sameRootCA(a, b) {
  return Boolean(a.istiod?.root) && a.istiod.root === b.istiod?.root;
}

/**
 * The clusters whose `serviceName.namespace` endpoints answer a call made from a pod with a sidecar in
 * `local` (its own, and each other cluster the mesh connects it to and has discovered by now), each with
 * the address its endpoints are reached at from `local`.
 */
export function reachableEndpoints(local, namespace, serviceName, at = Date.now()) {
  const problems = [];
  const answering = [];
  const localPods = endpoints(local, namespace, serviceName);
  if (localPods.length > 0) answering.push({ cluster: local, pods: localPods, via: undefined });

  const localMesh = istiodValues(local);
  if (!local.istiod?.started) problems.push(`${local.name}: istiod is not running`);
  else if (networkLabel(local) !== localMesh.network) {
    problems.push(
      `${local.name}: istio-system is labelled network "${networkLabel(local) ?? ''}", istiod says "${localMesh.network}"`,
    );
  }
  const statuses = remoteClusterStatus(local, at);
  const secrets = remoteSecrets(local);
  for (const remote of otherClusters(local)) {
    const before = problems.length;
    const remoteMesh = istiodValues(remote);
    if (!remoteMesh || !remote.istiod?.started) {
      problems.push(`${remote.name}: istiod is not running`);
      continue;
    }
    if (localMesh && remoteMesh.meshID !== localMesh.meshID)
      problems.push(`${remote.name}: meshID "${remoteMesh.meshID}" differs`);
    if (localMesh && remoteMesh.network === localMesh.network) {
      problems.push(
        `${remote.name}: same network "${remoteMesh.network}" as ${local.name}, but pods cannot reach each other directly`,
      );
    }
    if (networkLabel(remote) !== remoteMesh.network) {
      problems.push(
        `${remote.name}: istio-system is labelled network "${networkLabel(remote) ?? ''}", istiod says "${remoteMesh.network}"`,
      );
    }
    const name = clusterName(remote);
    const secret = secrets.find((s) => s.clusterName === name);
    if (!secret) problems.push(`${local.name}: no remote secret for cluster "${name}"`);
    else if (secret.server !== `https://${remote.serverIP}:6443`) {
      problems.push(
        `${local.name}: remote secret for "${name}" points at ${secret.server}, which istiod cannot reach`,
      );
    } else if (statuses.find((s) => s.id === name)?.syncStatus !== 'synced') {
      problems.push(`${local.name}: istiod has not synced cluster "${name}" yet`);
    }
    if (!canReach(local, remote)) problems.push(`${local.name} cannot reach ${remote.name} over the network`);
    const gateway = eastWestGateway(remote, problems);
    if (!sameRootCA(local, remote)) problems.push(`${local.name} and ${remote.name} do not share a root CA`);
    const remotePods = endpoints(remote, namespace, serviceName);
    if (remotePods.length === 0)
      problems.push(`${remote.name}: no ready ${serviceName}.${namespace} endpoints`);
    else if (!remotePods.every(hasSidecar))
      problems.push(`${remote.name}: ${serviceName} pods have no sidecar`);
    if (problems.length === before) {
      const since = Math.max(
        secret.since,
        local.istiod.started,
        remote.startedAtMs ?? 0,
        local.startedAtMs ?? 0,
        gateway.since,
        changedAt(remote, getObject(remote, 'Service', namespace, serviceName)),
        ...remotePods.map((pod) => changedAt(remote, pod)),
      );
      if (at < since + envSeconds('RUNBOOK_FAKE_DISCOVERY_SECONDS', 3) * 1000)
        problems.push(`${local.name}: the endpoints of ${remote.name} have not reached the proxies yet`);
      else answering.push({ cluster: remote, pods: remotePods, via: `${gateway.address}:15443` });
    }
  }
  if (process.env.RUNBOOK_FAKE_DEBUG)
    for (const problem of problems) process.stderr.write(`fake mesh: ${problem}\n`);
  return { answering, problems };
}
