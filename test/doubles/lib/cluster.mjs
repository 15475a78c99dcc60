// The model of one k3d cluster's API server: its objects, Helm releases and what the server itself does
// on create (fills uid, resourceVersion, creationTimestamp, managedFields; turns Secret stringData into
// data; injects Istio sidecars; lets Deployments create Pods).
import { crossClusterBlocked, hex, now, randomUUID, readState, ToolError, writeState } from './state.mjs';

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
  namespace: 'Namespace',
  namespaces: 'Namespace',
  no: 'Node',
  node: 'Node',
  nodes: 'Node',
  secret: 'Secret',
  secrets: 'Secret',
  cm: 'ConfigMap',
  configmap: 'ConfigMap',
  configmaps: 'ConfigMap',
  svc: 'Service',
  service: 'Service',
  services: 'Service',
  sa: 'ServiceAccount',
  serviceaccount: 'ServiceAccount',
  serviceaccounts: 'ServiceAccount',
  po: 'Pod',
  pod: 'Pod',
  pods: 'Pod',
  deploy: 'Deployment',
  deployment: 'Deployment',
  deployments: 'Deployment',
  'deployment.apps': 'Deployment',
  'deployments.apps': 'Deployment',
  gw: 'Gateway',
  gateway: 'Gateway',
  gateways: 'Gateway',
  'gateway.networking.istio.io': 'Gateway',
  'gateways.networking.istio.io': 'Gateway',
};

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

export function loadKubeconfig() {
  return readState('kubeconfig', { contexts: {}, current: '' });
}

export function saveKubeconfig(kubeconfig) {
  writeState('kubeconfig', kubeconfig);
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
  if (!cluster) {
    const host = entry.server.replace(/^https:\/\//, '');
    throw new ToolError(
      `The connection to the server ${host} was refused - did you specify the right host or port?`,
    );
  }
  return cluster;
}

function key(kind, namespace, name) {
  return `${kind}|${namespace ?? ''}|${name}`;
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
export function serverCreate(cluster, object, { source = 'STDIN', manager = 'kubectl-create' } = {}) {
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
      { manager, operation: 'Update', apiVersion: object.apiVersion, time: now(), fieldsType: 'FieldsV1' },
    ],
  };
  if (object.kind === 'Secret') normaliseSecret(stored);
  if (object.kind === 'Pod') {
    injectSidecar(cluster, stored);
    stored.status = { phase: 'Running', podIP: nextAddress(cluster, 'cluster-cidr', '10.42.0.0/16') };
  }
  if (object.kind === 'Service' && stored.spec?.type !== 'ExternalName' && !stored.spec?.clusterIP) {
    stored.spec = {
      type: 'ClusterIP',
      ...stored.spec,
      clusterIP: nextAddress(cluster, 'service-cidr', '10.43.0.0/16'),
    };
  }
  cluster.objects[key(object.kind, namespace ?? '', metadata.name)] = stored;
  if (object.kind === 'Deployment') createPodsFor(cluster, stored);
  return stored;
}

/** Replaces an existing object's content, keeping what the server owns. */
export function serverUpdate(cluster, existing, object) {
  const updated = structuredClone(object);
  updated.metadata = {
    ...updated.metadata,
    namespace: existing.metadata.namespace,
    uid: existing.metadata.uid,
    creationTimestamp: existing.metadata.creationTimestamp,
    resourceVersion: String(++cluster.resourceVersion),
    managedFields: existing.metadata.managedFields,
  };
  if (!updated.metadata.namespace) delete updated.metadata.namespace;
  if (updated.kind === 'Secret') normaliseSecret(updated);
  if (updated.status === undefined && existing.status !== undefined) updated.status = existing.status;
  cluster.objects[key(existing.kind, existing.metadata.namespace ?? '', existing.metadata.name)] = updated;
  return updated;
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

function istiodRunning(cluster) {
  return Boolean(cluster.releases['istio-system/istiod']);
}

/** The sidecar injector webhook: only at pod creation, only in a labelled namespace, only with istiod up. */
function injectSidecar(cluster, pod) {
  const namespace = getObject(cluster, 'Namespace', undefined, pod.metadata.namespace);
  const enabled = namespace?.metadata?.labels?.['istio-injection'] === 'enabled';
  const isGateway = pod.metadata.annotations?.['inject.istio.io/templates'] === 'gateway';
  if (!istiodRunning(cluster) || (!enabled && !isGateway)) return;
  pod.metadata.annotations = {
    ...(pod.metadata.annotations ?? {}),
    'sidecar.istio.io/status': '{"containers":["istio-proxy"]}',
  };
  const proxy = { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.23.2' };
  // The gateway template turns the pod's only container into the proxy; sidecars are added beside the app.
  pod.spec.containers = isGateway ? [proxy] : [...pod.spec.containers, proxy];
}

function createPodsFor(cluster, deployment) {
  const template = deployment.spec?.template ?? {};
  const replicas = deployment.spec?.replicas ?? 1;
  const hash = hex(5);
  for (let i = 0; i < replicas; i++) {
    serverCreate(
      cluster,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${deployment.metadata.name}-${hash}-${hex(3).slice(0, 5)}`,
          namespace: deployment.metadata.namespace,
          labels: { ...(template.metadata?.labels ?? {}) },
          annotations: { ...(template.metadata?.annotations ?? {}) },
          ownerReferences: [{ kind: 'ReplicaSet', name: `${deployment.metadata.name}-${hash}` }],
        },
        spec: structuredClone(template.spec ?? { containers: [] }),
        status: { phase: 'Running' },
      },
      { manager: 'kube-controller-manager' },
    );
  }
  deployment.status = { replicas, readyReplicas: replicas, availableReplicas: replicas };
}

export function podsOf(cluster, deployment) {
  return listObjects(cluster, 'Pod', deployment.metadata.namespace).filter((pod) =>
    pod.metadata.ownerReferences?.some((owner) => owner.name.startsWith(`${deployment.metadata.name}-`)),
  );
}

/** Whether a pod of `cluster` can open a connection to `address` of `target` (a node IP on the network). */
export function canReach(cluster, target) {
  if (cluster.name === target.name) return true;
  return !crossClusterBlocked() && cluster.network === target.network;
}
