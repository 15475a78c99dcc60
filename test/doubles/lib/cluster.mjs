// The model of one k3d cluster's API server: its objects, Helm releases and what the server itself does
// on create and update (fills uid, resourceVersion, creationTimestamp, managedFields; turns Secret
// stringData into data; allocates ClusterIPs and NodePorts; injects Istio sidecars into new pods). What
// controllers do over time (pods, image pulls, istiod) is in workloads.mjs.
import {
  canonical,
  crossClusterBlocked,
  listState,
  now,
  randomUUID,
  readState,
  removeState,
  ToolError,
  writeState,
} from './state.mjs';

/** kind -> API group, plural resource and scope. Kinds outside this table are refused like missing CRDs. */
export const KINDS = {
  Namespace: { group: '', plural: 'namespaces', namespaced: false },
  Node: { group: '', plural: 'nodes', namespaced: false },
  Secret: { group: '', plural: 'secrets', namespaced: true },
  ConfigMap: { group: '', plural: 'configmaps', namespaced: true },
  Service: { group: '', plural: 'services', namespaced: true },
  ServiceAccount: { group: '', plural: 'serviceaccounts', namespaced: true },
  Pod: { group: '', plural: 'pods', namespaced: true },
  Deployment: { group: 'apps', plural: 'deployments', namespaced: true },
  Gateway: { group: 'networking.istio.io', plural: 'gateways', namespaced: true, crd: 'istio' },
};

const ALIASES = {
  ns: 'Namespace',
  no: 'Node',
  cm: 'ConfigMap',
  svc: 'Service',
  sa: 'ServiceAccount',
  po: 'Pod',
  deploy: 'Deployment',
  gw: 'Gateway',
};
for (const [kind, info] of Object.entries(KINDS)) {
  const singular = kind.toLowerCase();
  for (const base of [singular, info.plural]) {
    ALIASES[base] = kind;
    if (info.group) ALIASES[`${base}.${info.group}`] = kind;
  }
}

export function kindFromResource(resource) {
  const kind = ALIASES[resource.toLowerCase()];
  if (!kind) throw new ToolError(`error: the server doesn't have a resource type "${resource}"`);
  return kind;
}

/** `deployment.apps`, `secret`, `gateway.networking.istio.io`: how kubectl names a kind in its output. */
export function resourceName(kind) {
  const info = KINDS[kind];
  return info.group ? `${kind.toLowerCase()}.${info.group}` : kind.toLowerCase();
}

/** `deployments.apps`, `secrets`: how the API server names a kind in its errors. */
export function pluralName(kind) {
  const info = KINDS[kind];
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}

export function loadCluster(name) {
  return readState(`clusters/${name}`, null);
}

export function saveCluster(cluster) {
  writeState(`clusters/${cluster.name}`, cluster);
}

export function removeCluster(name) {
  removeState(`clusters/${name}`);
}

/** Every cluster the fake k3d created, by name. */
export function listClusters() {
  return listState('clusters').map(loadCluster).filter(Boolean);
}

export function loadKubeconfig() {
  return readState('kubeconfig', { contexts: {}, current: '' });
}

export function saveKubeconfig(kubeconfig) {
  writeState('kubeconfig', kubeconfig);
}

function node(cluster, role) {
  return cluster.nodes.find((n) => n.role === role);
}

/** Whether the cluster's API answers: its server node and the load balancer in front of it run. */
export function clusterRunning(cluster) {
  return Boolean(node(cluster, 'server')?.running && node(cluster, 'loadbalancer')?.running);
}

/** The cluster a `--context` (or the current context) points at, with kubectl's error when there is none. */
export function clusterForContext(context, errorPrefix = 'error: ') {
  const kubeconfig = loadKubeconfig();
  const name = context || kubeconfig.current;
  if (!name) {
    throw new ToolError(
      'The connection to the server localhost:8080 was refused - did you specify the right host or port?',
    );
  }
  const entry = kubeconfig.contexts[name];
  if (!entry) throw new ToolError(`${errorPrefix}context "${name}" does not exist`);
  const cluster = loadCluster(entry.cluster);
  const host = entry.server.replace(/^https:\/\//, '');
  if (!cluster || !node(cluster, 'loadbalancer')?.running) {
    throw new ToolError(
      `The connection to the server ${host} was refused - did you specify the right host or port?`,
    );
  }
  // The load balancer accepts the connection and closes it: there is no server behind it.
  if (!clusterRunning(cluster)) throw new ToolError(`Unable to connect to the server: EOF`);
  return cluster;
}

function key(kind, namespace, name) {
  return `${kind}|${namespace ?? ''}|${name}`;
}

export function objectKey(object) {
  const namespaced = KINDS[object.kind]?.namespaced;
  return key(object.kind, namespaced ? object.metadata.namespace : '', object.metadata.name);
}

export function getObject(cluster, kind, namespace, name) {
  return cluster.objects[key(kind, KINDS[kind].namespaced ? namespace : '', name)];
}

export function listObjects(cluster, kind, namespace) {
  return Object.values(cluster.objects).filter(
    (object) =>
      object.kind === kind &&
      (!KINDS[kind].namespaced || !namespace || object.metadata.namespace === namespace),
  );
}

export function notFound(kind, name) {
  return new ToolError(`Error from server (NotFound): ${pluralName(kind)} "${name}" not found`);
}

/** When an object last changed, in ms: what the mesh model's delays count from. */
export function changedAt(cluster, object) {
  return object ? (cluster.changed?.[objectKey(object)] ?? 0) : 0;
}

function touch(cluster, object) {
  cluster.changed ??= {};
  cluster.changed[objectKey(object)] = Date.now();
}

function checkKindServed(cluster, object, source) {
  const info = KINDS[object.kind];
  const group = String(object.apiVersion ?? '').includes('/') ? object.apiVersion.split('/')[0] : '';
  if (!info || info.group !== group || (info.crd && !cluster.crds?.[info.crd])) {
    const where = object.metadata?.namespace ? ` namespace: "${object.metadata.namespace}"` : '';
    throw new ToolError(
      `error: resource mapping not found for name: "${object.metadata?.name}"${where} from "${source}": ` +
        `no matches for kind "${object.kind}" in version "${object.apiVersion}"\nensure CRDs are installed first`,
    );
  }
}

/** The API server's create: refuses what it refuses, fills what it fills. */
export function serverCreate(
  cluster,
  object,
  { source = 'STDIN', manager = 'kubectl-create', operation } = {},
) {
  checkKindServed(cluster, object, source);
  const info = KINDS[object.kind];
  const metadata = object.metadata ?? {};
  const namespace = info.namespaced ? metadata.namespace : undefined;
  if (metadata.resourceVersion) {
    throw new ToolError(
      `Error from server (InternalError): error when creating "${source}": ` +
        'Internal error occurred: resourceVersion should not be set on objects to be created',
    );
  }
  if (namespace && !getObject(cluster, 'Namespace', undefined, namespace)) {
    throw new ToolError(
      `Error from server (NotFound): error when creating "${source}": namespaces "${namespace}" not found`,
    );
  }
  if (getObject(cluster, object.kind, namespace, metadata.name)) {
    throw new ToolError(
      `Error from server (AlreadyExists): error when creating "${source}": ` +
        `${pluralName(object.kind)} "${metadata.name}" already exists`,
    );
  }
  const stored = structuredClone(object);
  stored.metadata = {
    ...stored.metadata,
    ...(namespace ? { namespace } : {}),
    uid: randomUUID(),
    resourceVersion: String(++cluster.resourceVersion),
    creationTimestamp: now(),
    managedFields: [
      {
        manager,
        operation: operation ?? 'Update',
        apiVersion: object.apiVersion,
        time: now(),
        fieldsType: 'FieldsV1',
      },
    ],
  };
  if (object.kind === 'Namespace') {
    stored.metadata.labels = {
      ...(stored.metadata.labels ?? {}),
      'kubernetes.io/metadata.name': metadata.name,
    };
    stored.spec = { finalizers: ['kubernetes'] };
    stored.status = { phase: 'Active' };
  }
  if (object.kind === 'Secret') normaliseSecret(stored);
  if (object.kind === 'Pod') {
    injectSidecar(cluster, stored);
    stored.status = { phase: 'Pending', podIP: nextAddress(cluster, 'cluster-cidr', '10.42.0.0/16') };
  }
  if (object.kind === 'Service') allocateService(cluster, stored);
  cluster.objects[objectKey(stored)] = stored;
  touch(cluster, stored);
  return stored;
}

/** Replaces an existing object's content, keeping what the server owns; a no-op changes nothing. */
export function serverUpdate(cluster, existing, object, { manager, operation = 'Update' } = {}) {
  const updated = structuredClone(object);
  updated.metadata = {
    ...updated.metadata,
    namespace: existing.metadata.namespace,
    uid: existing.metadata.uid,
    creationTimestamp: existing.metadata.creationTimestamp,
    resourceVersion: existing.metadata.resourceVersion,
    managedFields: existing.metadata.managedFields,
  };
  if (!updated.metadata.namespace) delete updated.metadata.namespace;
  if (updated.kind === 'Namespace') {
    updated.metadata.labels = {
      ...(updated.metadata.labels ?? {}),
      'kubernetes.io/metadata.name': existing.metadata.name,
    };
  }
  if (updated.kind === 'Secret') normaliseSecret(updated);
  for (const field of ['spec', 'status']) {
    if (updated[field] === undefined && existing[field] !== undefined) updated[field] = existing[field];
  }
  if (updated.kind === 'Service') {
    updated.spec = { ...updated.spec, clusterIP: existing.spec.clusterIP };
    allocateService(cluster, updated, existing);
  }
  // The API server does not write (nor bump resourceVersion for) an update that changes nothing.
  const comparable = (o) => canonical({ ...o, metadata: { ...o.metadata, managedFields: undefined } });
  if (comparable(updated) === comparable(existing)) return existing;
  updated.metadata.resourceVersion = String(++cluster.resourceVersion);
  if (manager && !updated.metadata.managedFields.some((f) => f.manager === manager)) {
    updated.metadata.managedFields = [
      ...updated.metadata.managedFields,
      { manager, operation, apiVersion: object.apiVersion, time: now(), fieldsType: 'FieldsV1' },
    ];
  }
  cluster.objects[objectKey(existing)] = updated;
  touch(cluster, updated);
  return updated;
}

export function serverDelete(cluster, object) {
  delete cluster.objects[objectKey(object)];
  touch(cluster, object);
}

/** The next address from the cluster's pod or service range (k3s `--cluster-cidr` / `--service-cidr`). */
function nextAddress(cluster, flag, fallback) {
  const range = cluster.serverArgs.find((arg) => arg.startsWith(`--${flag}=`))?.split('=')[1] ?? fallback;
  cluster.allocated ??= {};
  const next = (cluster.allocated[flag] ?? 10) + 1;
  cluster.allocated[flag] = next;
  const [a, b] = range.split('.');
  return `${a}.${b}.${Math.floor(next / 250)}.${(next % 250) + 2}`;
}

/** A ClusterIP for every Service; a NodePort (30000-32767) per port of NodePort and LoadBalancer ones. */
function allocateService(cluster, service, existing) {
  if (service.spec?.type === 'ExternalName') return;
  service.spec = {
    type: 'ClusterIP',
    ...service.spec,
    clusterIP: service.spec?.clusterIP ?? nextAddress(cluster, 'service-cidr', '10.43.0.0/16'),
  };
  if (service.spec.type !== 'LoadBalancer' && service.spec.type !== 'NodePort') return;
  cluster.allocated ??= {};
  service.spec.ports = (service.spec.ports ?? []).map((port) => {
    const kept = existing?.spec?.ports?.find((p) => p.port === port.port)?.nodePort;
    if (port.nodePort ?? kept) return { protocol: 'TCP', ...port, nodePort: port.nodePort ?? kept };
    // Spread over the range the way the allocator's random picks are, but reproducibly.
    cluster.allocated.nodePort = ((cluster.allocated.nodePort ?? 1000) + 1361) % 2768;
    return { protocol: 'TCP', ...port, nodePort: 30000 + cluster.allocated.nodePort };
  });
  if (service.spec.type === 'LoadBalancer') refreshLoadBalancer(cluster, service);
}

/** servicelb (klipper-lb) gives a LoadBalancer Service the node's address; without it there is none. */
export function refreshLoadBalancer(cluster, service) {
  const servicelb = !cluster.disabled.includes('servicelb');
  service.status = {
    loadBalancer: servicelb && cluster.serverIP ? { ingress: [{ ip: cluster.serverIP, ipMode: 'VIP' }] } : {},
  };
}

function normaliseSecret(secret) {
  secret.type ??= 'Opaque';
  if (secret.stringData) {
    secret.data = { ...(secret.data ?? {}) };
    for (const [name, value] of Object.entries(secret.stringData)) {
      secret.data[name] = Buffer.from(String(value)).toString('base64');
    }
    delete secret.stringData;
  }
}

/** The sidecar injector webhook: only at pod creation, only in a labelled namespace, only with istiod up. */
function injectSidecar(cluster, pod) {
  const namespace = getObject(cluster, 'Namespace', undefined, pod.metadata.namespace);
  const enabled = namespace?.metadata?.labels?.['istio-injection'] === 'enabled';
  const isGateway = pod.metadata.annotations?.['inject.istio.io/templates'] === 'gateway';
  if (!cluster.istiod?.started || (!enabled && !isGateway)) return;
  pod.metadata.annotations = {
    ...(pod.metadata.annotations ?? {}),
    'sidecar.istio.io/status': '{"containers":["istio-proxy"]}',
  };
  const proxy = { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.23.2' };
  // The gateway template turns the pod's only container into the proxy; sidecars are added beside the app.
  pod.spec.containers = isGateway ? [proxy] : [...pod.spec.containers, proxy];
}

/** Whether a pod of `cluster` can open a connection to a node address of `target` on the network. */
export function canReach(cluster, target) {
  if (cluster.name === target.name) return true;
  return !crossClusterBlocked() && cluster.network === target.network && clusterRunning(target);
}
