// What the istio charts' templates (1.23.2, manifests/charts/) render for the values a runbook gives, as
// plain objects, and their NOTES.txt. Only the objects the runbook and the mesh model look at are made.

const ISTIO_VERSION = '1.23.2';

function metaFor(release, namespace) {
  return (name, labels = {}) => ({
    name,
    namespace,
    labels: { 'app.kubernetes.io/managed-by': 'Helm', ...labels },
    annotations: { 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': namespace },
  });
}

function base(release, _namespace, values) {
  // templates/reader-serviceaccount.yaml: the account create-remote-secret hands out, in global.istioNamespace.
  const istioNamespace = values.global?.istioNamespace ?? 'istio-system';
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        ...metaFor(release, istioNamespace)('istio-reader-service-account'),
        labels: { app: 'istio-reader', release, 'app.kubernetes.io/managed-by': 'Helm' },
      },
    },
  ];
}

function istiod(release, namespace, values) {
  const meta = metaFor(release, namespace);
  const labels = { app: 'istiod', istio: 'pilot', 'istio.io/rev': 'default' };
  const global = values.global ?? {};
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('istiod', { app: 'istiod', release }) },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('istio', { 'istio.io/rev': 'default', release }),
      data: {
        mesh: `defaultConfig:\n  discoveryAddress: istiod.${namespace}.svc:15012\n  meshId: ${global.meshID ?? ''}\ntrustDomain: cluster.local\n`,
        meshNetworks: 'networks: {}',
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('istiod', { ...labels, release }),
      spec: {
        selector: { app: 'istiod', istio: 'pilot' },
        ports: [
          { name: 'grpc-xds', port: 15010, protocol: 'TCP' },
          { name: 'https-dns', port: 15012, protocol: 'TCP' },
          { name: 'https-webhook', port: 443, protocol: 'TCP', targetPort: 15017 },
          { name: 'http-monitoring', port: 15014, protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('istiod', { ...labels, release }),
      spec: {
        replicas: 1,
        selector: { matchLabels: { istio: 'pilot' } },
        template: {
          metadata: { labels: { ...labels, 'sidecar.istio.io/inject': 'false' } },
          spec: {
            serviceAccountName: 'istiod',
            containers: [
              {
                name: 'discovery',
                image: `docker.io/istio/pilot:${ISTIO_VERSION}`,
                env: [
                  { name: 'CLUSTER_ID', value: global.multiCluster?.clusterName || 'Kubernetes' },
                  { name: 'ISTIO_META_NETWORK', value: global.network ?? '' },
                ],
                // istiod requests 2 GiB of memory by default (pilot.resources in values.yaml).
                resources: { requests: { cpu: '500m', memory: '2048Mi' } },
              },
            ],
          },
        },
      },
    },
  ];
}

function gateway(release, namespace, values) {
  const meta = metaFor(release, namespace);
  const name = values.name || release;
  const selector = {
    app: values.labels?.app ?? name,
    istio: values.labels?.istio ?? name.replace(/^istio-/, ''),
  };
  const extra = Object.fromEntries(
    Object.entries(values.labels ?? {}).filter(([k]) => k !== 'app' && k !== 'istio'),
  );
  const network = values.networkGateway ? { 'topology.istio.io/network': values.networkGateway } : {};
  const ports = values.networkGateway
    ? [
        { name: 'status-port', port: 15021, targetPort: 15021 },
        { name: 'tls', port: 15443, targetPort: 15443 },
        { name: 'tls-istiod', port: 15012, targetPort: 15012 },
        { name: 'tls-webhook', port: 15017, targetPort: 15017 },
      ]
    : (values.service?.ports ?? [
        { name: 'status-port', port: 15021, protocol: 'TCP', targetPort: 15021 },
        { name: 'http2', port: 80, protocol: 'TCP', targetPort: 80 },
        { name: 'https', port: 443, protocol: 'TCP', targetPort: 443 },
      ]);
  const env = values.networkGateway
    ? [{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: values.networkGateway }]
    : [];
  const labels = {
    ...selector,
    ...extra,
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/version': ISTIO_VERSION,
  };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name, labels) },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(name, labels),
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: { ...labels, ...network, 'sidecar.istio.io/inject': 'true' },
            annotations: { 'inject.istio.io/templates': 'gateway' },
          },
          spec: { serviceAccountName: name, containers: [{ name: 'istio-proxy', image: 'auto', env }] },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { ...meta(name, { ...labels, ...network }), annotations: { ...meta(name).annotations } },
      spec: { type: values.service?.type ?? 'LoadBalancer', ports, selector },
    },
  ];
}

export const CHARTS = {
  base: { render: base, notes: () => 'Istio base successfully installed!' },
  istiod: { render: istiod, notes: () => '"istiod" successfully installed!' },
  gateway: {
    render: gateway,
    notes: (release, values) => `"${values.name || release}" successfully installed!`,
  },
};

/** The NOTES.txt text after the first line, which every one of these charts shares. */
export function notes(chart, release, namespace, values) {
  return `${CHARTS[chart].notes(release, values)}\n\nTo learn more about the release, try:\n  $ helm status ${release} -n ${namespace}\n  $ helm get all ${release} -n ${namespace}`;
}
