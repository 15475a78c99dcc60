// Fake helm v3.19: `version`, `repo add|update|list`, `install`, `list`. Errors are helm's own words for
// the failures a runbook meets: unknown repo or chart version, unreachable context, missing values file,
// a release name in use, a missing namespace, the istio/gateway 1.23 schema that Helm >= 3.18.5 refuses.
import { clusterForContext, getObject, saveCluster, serverCreate } from './cluster.mjs';
import {
  flagSpec,
  hex,
  parseArgs,
  parseYaml,
  readFileLikeGo,
  readState,
  ToolError,
  writeState,
} from './state.mjs';

const HELM_VERSION = 'v3.19.0';
const ISTIO_REPO_URL = 'https://istio-release.storage.googleapis.com/charts';
const ISTIO_VERSIONS = ['1.22.5', '1.23.0', '1.23.1', '1.23.2', '1.23.3', '1.23.4', '1.24.1'];
const KNOWN_REPOS = {
  [ISTIO_REPO_URL]: { charts: ['base', 'istiod', 'gateway', 'cni', 'ztunnel'], versions: ISTIO_VERSIONS },
};

const SPEC = flagSpec([
  [['--namespace', '-n'], { value: true }],
  [['--create-namespace'], { value: false }],
  [['--version'], { value: true }],
  [['--values', '-f'], { value: true, multi: true }],
  [['--set'], { value: true, multi: true }],
  [['--kube-context'], { value: true }],
  [['--wait'], { value: false }],
  [['--timeout'], { value: true }],
  [['--skip-schema-validation'], { value: false }],
  [['--short'], { value: false }],
  [['--force-update'], { value: false }],
  [['--output', '-o'], { value: true }],
]);

function setPath(target, dotted, value) {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  node[keys.at(-1)] = value === 'true' ? true : value === 'false' ? false : value;
}

function deepMerge(base, extra) {
  for (const [key, value] of Object.entries(extra ?? {})) {
    if (value && typeof value === 'object' && !Array.isArray(value) && typeof base[key] === 'object') {
      deepMerge(base[key], value);
    } else base[key] = value;
  }
  return base;
}

function repoCommand(verb, positional, flags) {
  const repos = readState('helm-repos', {});
  if (verb === 'add') {
    const [name, url] = positional;
    if (!name || !url) throw new ToolError('Error: "helm repo add" requires 2 arguments');
    if (repos[name]?.url === url && !flags['force-update'])
      return `"${name}" already exists with the same configuration, skipping\n`;
    if (repos[name] && !flags['force-update'])
      throw new ToolError(`Error: repository name (${name}) already exists, please specify a different name`);
    if (!KNOWN_REPOS[url])
      throw new ToolError(
        `Error: looks like "${url}" is not a valid chart repository or cannot be reached: failed to fetch ${url}/index.yaml : 404 Not Found`,
      );
    repos[name] = { url };
    writeState('helm-repos', repos);
    return `"${name}" has been added to your repositories\n`;
  }
  if (verb === 'update' || verb === 'up') {
    if (Object.keys(repos).length === 0)
      throw new ToolError('Error: no repositories found. You must add one before updating');
    const names = positional.length > 0 ? positional : Object.keys(repos);
    const missing = names.filter((name) => !repos[name]);
    if (missing.length > 0)
      throw new ToolError(
        `Error: no repositories found matching '${missing.join(', ')}'.  Nothing will be updated`,
      );
    const lines = names.map((name) => `...Successfully got an update from the "${name}" chart repository`);
    return `Hang tight while we grab the latest from your chart repositories...\n${lines.join('\n')}\nUpdate Complete. ⎈Happy Helming!⎈\n`;
  }
  if (verb === 'list' || verb === 'ls') {
    if (Object.keys(repos).length === 0) throw new ToolError('Error: no repositories to show');
    return `NAME \tURL\n${Object.entries(repos)
      .map(([name, repo]) => `${name}\t${repo.url}`)
      .join('\n')}\n`;
  }
  throw new ToolError(`Error: unknown command "${verb}" for "helm repo"`);
}

/** What a chart's templates put into the cluster, and what starts because of it. */
function renderChart(cluster, chart, release, namespace, values) {
  const create = (object) => serverCreate(cluster, object, { manager: 'helm' });
  const meta = (name, labels = {}) => ({
    name,
    namespace,
    labels: { 'app.kubernetes.io/managed-by': 'Helm', ...labels },
    annotations: { 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': namespace },
  });
  if (chart === 'base') {
    cluster.crds.istio = true;
    return;
  }
  if (chart === 'istiod') {
    create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('istiod') });
    create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('istio-reader-service-account') });
    create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('istio'),
      data: { mesh: `defaultConfig:\n  meshId: ${values.global?.meshID ?? ''}\n` },
    });
    const labels = { app: 'istiod', istio: 'pilot' };
    create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('istiod', labels),
      spec: {
        selector: labels,
        ports: [
          { name: 'grpc-xds', port: 15010 },
          { name: 'https-dns', port: 15012 },
          { name: 'https-webhook', port: 443, targetPort: 15017 },
        ],
      },
    });
    create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('istiod', labels),
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'discovery', image: 'docker.io/istio/pilot:1.23.2' }] },
        },
      },
    });
    // istiod's self-signed CA: it keeps an existing istio-ca-secret and only creates one when there is none.
    if (!getObject(cluster, 'Secret', namespace, 'istio-ca-secret')) {
      const pem = (what) =>
        Buffer.from(`-----BEGIN ${what}-----\n${hex(48)}\n-----END ${what}-----\n`).toString('base64');
      const cert = pem('CERTIFICATE');
      create({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'istio.io/ca-root',
        metadata: { name: 'istio-ca-secret', namespace },
        data: {
          'ca-cert.pem': cert,
          'ca-key.pem': pem('RSA PRIVATE KEY'),
          'cert-chain.pem': '',
          'key.pem': '',
          'root-cert.pem': '',
        },
      });
    }
    return;
  }
  if (chart === 'gateway') {
    const name = values.name || release;
    const selector = {
      app: values.labels?.app ?? name,
      istio: values.labels?.istio ?? name.replace(/^istio-/, ''),
    };
    const extraLabels = Object.fromEntries(
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
    create({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(name, { ...selector, ...extraLabels }),
    });
    create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(name, { ...selector, ...extraLabels }),
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: { ...selector, ...extraLabels, ...network, 'sidecar.istio.io/inject': 'true' },
            annotations: { 'inject.istio.io/templates': 'gateway' },
          },
          spec: { containers: [{ name: 'istio-proxy', image: 'auto', env }] },
        },
      },
    });
    // servicelb (klipper-lb) answers a LoadBalancer Service with the node's address; without it there is none.
    const servicelb = !cluster.disabled.includes('servicelb');
    create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(name, { ...selector, ...extraLabels, ...network }),
      spec: { type: values.service?.type ?? 'LoadBalancer', selector, ports },
      status: { loadBalancer: servicelb ? { ingress: [{ ip: cluster.serverIP, ipMode: 'VIP' }] } : {} },
    });
    return servicelb ? undefined : 'context deadline exceeded';
  }
  throw new ToolError(`Error: INSTALLATION FAILED: the fake helm does not know chart ${chart}`, 2);
}

function install(flags, positional) {
  const fail = (message) => new ToolError(`Error: INSTALLATION FAILED: ${message}`);
  if (positional.length < 2)
    throw new ToolError('Error: must either provide a name or specify --generate-name');
  const [release, chartRef] = positional;
  const values = {};
  for (const file of flags.values ?? []) {
    let text;
    try {
      text = readFileLikeGo(file);
    } catch (error) {
      throw fail(error.message);
    }
    deepMerge(values, parseYaml(text) ?? {});
  }
  for (const assignment of flags.set ?? []) {
    const eq = assignment.indexOf('=');
    setPath(values, assignment.slice(0, eq), assignment.slice(eq + 1));
  }
  const [repoName, chart] = chartRef.split('/');
  const repos = readState('helm-repos', {});
  if (!repos[repoName]) throw fail(`repo ${repoName} not found`);
  const index = KNOWN_REPOS[repos[repoName].url];
  const version = flags.version ?? index.versions.at(-1);
  if (!index.charts.includes(chart) || !index.versions.includes(version)) {
    throw fail(
      `chart "${chart}" matching ${version} not found in ${repoName} index. (try 'helm repo update'): no chart version found for ${chart}-${version}`,
    );
  }
  let cluster;
  try {
    cluster = clusterForContext(flags['kube-context'], '');
  } catch (error) {
    throw fail(`Kubernetes cluster unreachable: ${error.message}`);
  }
  if (chart === 'gateway' && !flags['skip-schema-validation']) {
    // Helm >= 3.18.5 validates with JSON Schema 2020-12 rules, under which the chart's root
    // `additionalProperties: false` next to its `$ref` rejects every key, the chart's own `defaults` included.
    const keys = ['defaults', ...Object.keys(values)].map((key) => `'${key}'`).join(', ');
    throw fail(
      `values don't meet the specifications of the schema(s) in the following chart(s):\ngateway:\n- at '': additional properties ${keys} not allowed`,
    );
  }
  const namespace = flags.namespace ?? 'default';
  const releaseKey = `${namespace}/${release}`;
  if (cluster.releases[releaseKey]) throw fail('cannot re-use a name that is still in use');
  if (!getObject(cluster, 'Namespace', undefined, namespace)) {
    if (!flags['create-namespace'])
      throw fail(`create: failed to create: namespaces "${namespace}" not found`);
    serverCreate(
      cluster,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { manager: 'helm' },
    );
  }
  const deployed = new Date();
  cluster.releases[releaseKey] = {
    name: release,
    namespace,
    chart,
    version,
    values,
    status: 'deployed',
    revision: 1,
    updated: deployed.toISOString(),
  };
  const waitProblem = renderChart(cluster, chart, release, namespace, values);
  if (waitProblem && flags.wait) {
    cluster.releases[releaseKey].status = 'failed';
    saveCluster(cluster);
    throw fail(waitProblem);
  }
  saveCluster(cluster);
  return `NAME: ${release}\nLAST DEPLOYED: ${deployed.toUTCString()}\nNAMESPACE: ${namespace}\nSTATUS: deployed\nREVISION: 1\nTEST SUITE: None\nNOTES:\n"${release}" successfully installed!\n`;
}

function list(flags) {
  const cluster = clusterForContext(flags['kube-context'], 'Error: Kubernetes cluster unreachable: ');
  const releases = Object.values(cluster.releases).filter(
    (r) => !flags.namespace || r.namespace === flags.namespace,
  );
  const lines = ['NAME\tNAMESPACE\tREVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION'];
  for (const r of releases)
    lines.push(
      `${r.name}\t${r.namespace}\t${r.revision}\t${r.updated}\t${r.status}\t${r.chart}-${r.version}\t${r.version}`,
    );
  return `${lines.join('\n')}\n`;
}

export function helm(args) {
  const [command, ...rest] = args;
  const { flags, positional } = parseArgs(rest, SPEC, (flag) => `Error: unknown flag: ${flag}`);
  if (command === 'version') {
    return flags.short
      ? `${HELM_VERSION}+g${hex(4).slice(0, 7)}\n`
      : `version.BuildInfo{Version:"${HELM_VERSION}", GitCommit:"${hex(20)}", GitTreeState:"clean", GoVersion:"go1.24.7"}\n`;
  }
  if (command === 'repo') return repoCommand(positional[0], positional.slice(1), flags);
  if (command === 'install') return install(flags, positional);
  if (command === 'list' || command === 'ls') return list(flags);
  throw new ToolError(`Error: unknown command "${command}" for "helm"\nRun 'helm --help' for usage.`);
}
