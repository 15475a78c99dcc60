// Fake istioctl 1.23.2: `version`, `create-remote-secret`, `remote-clusters` and `proxy-config endpoints`.
// The secret has the shape istioctl prints (istioctl/pkg/multicluster/remote_secret.go); remote-clusters
// prints istiod's /debug/clusterz the way istioctl/pkg/proxyconfig/clusters.go does; the endpoint table is
// istioctl/pkg/writer/envoy/clusters/clusters.go's, filled from the mesh model.
import { getObject, listObjects, loadKubeconfig, serverCreate } from './cluster.mjs';
import { hasSidecar, reachableEndpoints, remoteClusterStatus } from './mesh.mjs';
import { flagSpec, hex, parseArgs, ToolError, toYaml } from './state.mjs';
import { commit, openCluster, podReady } from './workloads.mjs';

const VERSION = '1.23.2';

const SPEC = flagSpec([
  [['--context'], { value: true }],
  [['--kubeconfig', '-c'], { value: true }],
  [['--name'], { value: true }],
  [['--server'], { value: true }],
  [['--namespace', '-n'], { value: true }],
  [['--istioNamespace', '-i', '--istio-namespace'], { value: true }],
  [['--service-account'], { value: true }],
  [['--create-service-account'], { value: false }],
  [['--type'], { value: true }],
  [['--secret-name'], { value: true }],
  [['--remote'], { value: false }],
  [['--short', '-s'], { value: false }],
  [['--output', '-o'], { value: true }],
  [['--cluster'], { value: true }],
  [['--port'], { value: true }],
  [['--address'], { value: true }],
  [['--status'], { value: true }],
  [['--revision', '-r'], { value: true }],
]);

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Go's text/tabwriter as istioctl sets it up: minwidth 0, padding 5, blanks; the last cell unpadded. */
function tabwrite(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i] ?? '').length)) + 5);
  return rows
    .map((row) => row.map((cell, i) => (i < row.length - 1 ? String(cell).padEnd(widths[i]) : cell)).join(''))
    .join('\n');
}

function createRemoteSecret(flags) {
  const kubeconfig = loadKubeconfig();
  const context = flags.context ?? kubeconfig.current;
  const cluster = openCluster(flags.context, 'Error: ');
  const name = flags.name ?? getObject(cluster, 'Namespace', undefined, 'kube-system').metadata.uid;
  if (!DNS1123_LABEL.test(name) || name.length > 63)
    throw new ToolError(`Error: ${name} is not a valid DNS 1123 label`);
  const namespace = flags.istioNamespace ?? flags.namespace ?? 'istio-system';
  if (!getObject(cluster, 'Namespace', undefined, namespace)) {
    throw new ToolError(
      `Error: could not get access token to read resources from local kube-apiserver: namespaces "${namespace}" not found`,
    );
  }
  const serviceAccount = flags['service-account'] ?? 'istio-reader-service-account';
  if (!getObject(cluster, 'ServiceAccount', namespace, serviceAccount)) {
    if (flags['create-service-account'] === false) {
      throw new ToolError(
        `Error: could not get access token to read resources from local kube-apiserver: failed retrieving service account ${serviceAccount}.${namespace} required for creating the remote secret (hint: try installing a minimal Istio profile on the cluster first, or run with '--create-service-account=true'): serviceaccounts "${serviceAccount}" not found`,
      );
    }
    serverCreate(cluster, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: serviceAccount, namespace },
    });
  }
  const tokenSecret = `${serviceAccount}-istio-remote-secret-token`;
  if (!getObject(cluster, 'Secret', namespace, tokenSecret)) {
    serverCreate(cluster, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: {
        name: tokenSecret,
        namespace,
        annotations: { 'kubernetes.io/service-account.name': serviceAccount },
      },
      data: {
        token: Buffer.from(`ey${hex(40)}`).toString('base64'),
        'ca.crt': Buffer.from(`ca-of-${cluster.name}`).toString('base64'),
      },
    });
  }
  commit(cluster);
  const token = Buffer.from(
    getObject(cluster, 'Secret', namespace, tokenSecret).data.token,
    'base64',
  ).toString();
  const server = flags.server ?? kubeconfig.contexts[context].server;
  const embedded = toYaml({
    apiVersion: 'v1',
    clusters: [
      {
        cluster: {
          'certificate-authority-data': Buffer.from(`ca-of-${cluster.name}`).toString('base64'),
          server,
        },
        name,
      },
    ],
    contexts: [{ context: { cluster: name, user: name }, name }],
    'current-context': name,
    kind: 'Config',
    preferences: {},
    users: [{ name, user: { token } }],
  });
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      annotations: { 'networking.istio.io/cluster': name },
      creationTimestamp: null,
      labels: { 'istio/multiCluster': flags.type === 'config' ? 'false' : 'true' },
      name: flags['secret-name'] ?? `istio-remote-secret-${name}`,
      namespace,
    },
    stringData: { [name]: embedded },
  };
  return `# This file is autogenerated, do not edit.\n${toYaml(secret)}---\n`;
}

function runningIstiods(cluster, namespace) {
  return listObjects(cluster, 'Pod', namespace).filter(
    (pod) => pod.metadata.labels?.app === 'istiod' && podReady(pod),
  );
}

function remoteClusters(flags) {
  const cluster = openCluster(flags.context, 'Error: ');
  const istiods = runningIstiods(cluster, flags.istioNamespace ?? 'istio-system');
  if (istiods.length === 0 || !cluster.istiod?.started)
    throw new ToolError('Error: unable to find any Istiod instances');
  const rows = [['NAME', 'SECRET', 'STATUS', 'ISTIOD']];
  for (const istiod of istiods) {
    for (const entry of remoteClusterStatus(cluster))
      rows.push([entry.id, entry.secretName, entry.syncStatus, istiod.metadata.name]);
  }
  return `${tabwrite(rows)}\n`;
}

/** `outbound|PORT||HOST` clusters of a sidecar, each with the endpoints the mesh model gives it. */
function proxyEndpoints(cluster) {
  const out = [];
  for (const service of listObjects(cluster, 'Service')) {
    const { namespace, name } = service.metadata;
    const { answering } = reachableEndpoints(cluster, namespace, name);
    for (const port of service.spec.ports ?? []) {
      const envoyCluster = `outbound|${port.port}||${name}.${namespace}.svc.cluster.local`;
      for (const group of answering) {
        if (!group.via)
          for (const pod of group.pods)
            out.push({
              address: pod.status.podIP,
              port: port.targetPort ?? port.port,
              cluster: envoyCluster,
            });
        else out.push({ address: group.via.split(':')[0], port: 15443, cluster: envoyCluster });
      }
    }
  }
  return out;
}

function proxyConfig(flags, positional) {
  const [kind, target] = positional;
  if (!['endpoint', 'endpoints', 'ep'].includes(kind))
    throw new ToolError(`Error: unknown command "${kind}" for "istioctl proxy-config"`);
  if (!target) throw new ToolError('Error: proxy-config requires pod name or --file parameter');
  const cluster = openCluster(flags.context, 'Error: ');
  const [podName, podNamespace = flags.namespace ?? 'default'] = target.replace(/^pod\//, '').split('.');
  const pod = getObject(cluster, 'Pod', podNamespace, podName);
  if (!pod) throw new ToolError(`Error: pods "${podName}" not found`);
  if (!hasSidecar(pod) || !podReady(pod))
    throw new ToolError(
      `Error: failed to execute command on ${podName}.${podNamespace} sidecar: container istio-proxy is not valid for pod ${podName}`,
    );
  const rows = proxyEndpoints(cluster)
    .filter((e) => !flags.cluster || e.cluster.toLowerCase() === flags.cluster.toLowerCase())
    .filter((e) => !flags.port || String(e.port) === String(flags.port))
    .filter((e) => !flags.address || e.address === flags.address)
    .filter(() => !flags.status || flags.status.toUpperCase() === 'HEALTHY')
    .sort((a, b) =>
      a.address === b.address
        ? a.port === b.port
          ? a.cluster.localeCompare(b.cluster)
          : a.port - b.port
        : a.address < b.address
          ? -1
          : 1,
    );
  return `${tabwrite([['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER'], ...rows.map((e) => [`${e.address}:${e.port}`, 'HEALTHY', 'OK', e.cluster])])}\n`;
}

export function istioctl(args) {
  const [command, ...rest] = args;
  const { flags, positional } = parseArgs(rest, SPEC, (flag) => `Error: unknown flag: ${flag}`);
  if (command === 'version') {
    // pkg/version/cobra.go with istioctl's --short=true default.
    const lines = [`client version: ${VERSION}`];
    if (flags.remote !== false) {
      try {
        const cluster = openCluster(flags.context, 'Error: ');
        if (cluster.istiod?.started) lines.push(`control plane version: ${VERSION}`);
        const proxies = listObjects(cluster, 'Pod').filter((pod) => hasSidecar(pod) && podReady(pod)).length;
        lines.push(`data plane version: ${proxies > 0 ? `${VERSION} (${proxies} proxies)` : 'none'}`);
      } catch {}
    }
    return `${lines.join('\n')}\n`;
  }
  if (command === 'create-remote-secret') return createRemoteSecret(flags);
  if (command === 'remote-clusters') return remoteClusters(flags);
  if (command === 'proxy-config' || command === 'pc') return proxyConfig(flags, positional);
  throw new ToolError(`Error: unknown command "${command}" for "istioctl"`);
}
