// Which clusters' endpoints a call from inside the mesh of one cluster can reach. The conditions are the
// ones an Istio 1.23 multi-primary, multi-network mesh needs; every unmet one is reported so a failing
// run says why (RUNBOOK_FAKE_DEBUG=1 prints them to stderr).
import { canReach, getObject, listObjects, loadCluster, loadKubeconfig } from './cluster.mjs';
import { parseYaml } from './state.mjs';

function istiodValues(cluster) {
  return cluster.releases['istio-system/istiod']?.values?.global;
}

function networkLabel(cluster) {
  return getObject(cluster, 'Namespace', undefined, 'istio-system')?.metadata?.labels?.[
    'topology.istio.io/network'
  ];
}

function hasSidecar(pod) {
  return pod.spec.containers.some((container) => container.name === 'istio-proxy');
}

/** The pods behind a Service, and whether they run with a sidecar. */
function endpoints(cluster, namespace, serviceName) {
  const service = getObject(cluster, 'Service', namespace, serviceName);
  if (!service) return [];
  const selector = Object.entries(service.spec?.selector ?? {});
  return listObjects(cluster, 'Pod', namespace).filter(
    (pod) => selector.length > 0 && selector.every(([key, value]) => pod.metadata.labels?.[key] === value),
  );
}

/** API server addresses of every cluster the remote secrets in `cluster` describe, by secret data key. */
function remoteSecrets(cluster) {
  const secrets = listObjects(cluster, 'Secret', 'istio-system').filter(
    (secret) => secret.metadata.labels?.['istio/multiCluster'] === 'true',
  );
  return secrets.flatMap((secret) =>
    Object.entries(secret.data ?? {}).map(([clusterName, encoded]) => {
      const kubeconfig = parseYaml(Buffer.from(encoded, 'base64').toString('utf8')) ?? {};
      return { secret: secret.metadata.name, clusterName, server: kubeconfig.clusters?.[0]?.cluster?.server };
    }),
  );
}

function crossNetworkGatewayReady(cluster, problems) {
  const values = cluster.releases['istio-system/istio-eastwestgateway']?.values;
  const network = istiodValues(cluster)?.network;
  if (!values) return problems.push(`${cluster.name}: no east-west gateway release`);
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
  if (!service?.status?.loadBalancer?.ingress?.length)
    problems.push(`${cluster.name}: the east-west gateway has no address`);
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
}

function sameRootCA(a, b) {
  const caA = getObject(a, 'Secret', 'istio-system', 'istio-ca-secret')?.data?.['ca-cert.pem'];
  const caB = getObject(b, 'Secret', 'istio-system', 'istio-ca-secret')?.data?.['ca-cert.pem'];
  return Boolean(caA) && caA === caB;
}

/**
 * The clusters whose `serviceName.namespace` endpoints answer a call made from a pod with a sidecar in
 * `local`: its own cluster, and each other cluster the mesh connects it to.
 */
export function reachableEndpoints(local, namespace, serviceName) {
  const problems = [];
  const answering = [];
  const localPods = endpoints(local, namespace, serviceName);
  if (localPods.length > 0) answering.push({ cluster: local, pods: localPods });

  const localMesh = istiodValues(local);
  if (!localMesh) problems.push(`${local.name}: istiod is not installed`);
  else if (networkLabel(local) !== localMesh.network) {
    problems.push(
      `${local.name}: istio-system is labelled network "${networkLabel(local) ?? ''}", istiod says "${localMesh.network}"`,
    );
  }
  const secrets = remoteSecrets(local);
  const others = [...new Set(Object.values(loadKubeconfig().contexts).map((c) => c.cluster))]
    .filter((name) => name !== local.name)
    .map(loadCluster)
    .filter(Boolean);
  for (const remote of others) {
    const before = problems.length;
    const remoteMesh = istiodValues(remote);
    if (!remoteMesh) {
      problems.push(`${remote.name}: istiod is not installed`);
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
    const name = remoteMesh.multiCluster?.clusterName;
    const secret = secrets.find((s) => s.clusterName === name);
    if (!secret) problems.push(`${local.name}: no remote secret for cluster "${name}"`);
    else if (secret.server !== `https://${remote.serverIP}:6443`) {
      problems.push(
        `${local.name}: remote secret for "${name}" points at ${secret.server}, which istiod cannot reach`,
      );
    }
    if (!canReach(local, remote)) problems.push(`${local.name} cannot reach ${remote.name} over the network`);
    crossNetworkGatewayReady(remote, problems);
    if (!sameRootCA(local, remote)) problems.push(`${local.name} and ${remote.name} do not share a root CA`);
    const remotePods = endpoints(remote, namespace, serviceName);
    if (remotePods.length === 0) problems.push(`${remote.name}: no ${serviceName}.${namespace} endpoints`);
    else if (!remotePods.every(hasSidecar))
      problems.push(`${remote.name}: ${serviceName} pods have no sidecar`);
    if (problems.length === before) answering.push({ cluster: remote, pods: remotePods });
  }
  if (process.env.RUNBOOK_FAKE_DEBUG)
    for (const problem of problems) process.stderr.write(`fake mesh: ${problem}\n`);
  return { answering, problems };
}

export { hasSidecar };
