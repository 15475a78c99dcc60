// Fake helm v3.19: `version`, `repo add|update|list`, `install`, `upgrade [--install]`, `list`, `status`.
// Errors are helm's own words (cmd/helm, pkg/action) and wrapped as helm wraps them: install's under
// INSTALLATION FAILED, an upgrade's under UPGRADE FAILED, the install that `upgrade --install` starts
// unwrapped. Charts render through charts.mjs; --wait checks readiness at once instead of waiting.

import { CHARTS, notes } from './charts.mjs';
import { getObject, objectKey, serverCreate, serverDelete, serverUpdate } from './cluster.mjs';
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
import { commit, openCluster, reconcile } from './workloads.mjs';

const HELM_VERSION = 'v3.19.0';
const ISTIO_REPO_URL = 'https://istio-release.storage.googleapis.com/charts';
const ISTIO_VERSIONS = ['1.22.5', '1.23.0', '1.23.1', '1.23.2', '1.23.3', '1.23.4', '1.24.1'];
const KNOWN_REPOS = {
  [ISTIO_REPO_URL]: { charts: ['base', 'istiod', 'gateway', 'cni', 'ztunnel'], versions: ISTIO_VERSIONS },
};

const SPEC = flagSpec([
  [['--namespace', '-n'], { value: true }],
  [['--create-namespace'], { value: false }],
  [['--install', '-i'], { value: false }],
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
    // cmd/helm/repo_list.go: JSON and YAML print an empty list; the table refuses to.
    const entries = Object.entries(repos).map(([name, repo]) => ({ name, url: repo.url }));
    if (flags.output === 'json') return `${JSON.stringify(entries)}\n`;
    if (entries.length === 0) throw new ToolError('Error: no repositories to show');
    const width = Math.max(4, ...entries.map((e) => e.name.length));
    return `${['NAME'.padEnd(width), 'URL'].join('\t')}\n${entries.map((e) => `${e.name.padEnd(width)}\t${e.url}`).join('\n')}\n`;
  }
  throw new ToolError(`Error: unknown command "${verb}" for "helm repo"`);
}

/** LocateChart and values: the chart reference, version and merged values, or helm's error. */
function prepare(flags, chartRef) {
  const [repoName, chart] = chartRef.split('/');
  const repos = readState('helm-repos', {});
  if (!repos[repoName]) throw new Error(`repo ${repoName} not found`);
  const index = KNOWN_REPOS[repos[repoName].url];
  const version = flags.version ?? index.versions.at(-1);
  if (!index.charts.includes(chart) || !index.versions.includes(version)) {
    throw new Error(
      `chart "${chart}" matching ${version} not found in ${repoName} index. (try 'helm repo update'): no chart version found for ${chart}-${version}`,
    );
  }
  const values = {};
  for (const file of flags.values ?? []) deepMerge(values, parseYaml(readFileLikeGo(file)) ?? {});
  for (const assignment of flags.set ?? []) {
    const eq = assignment.indexOf('=');
    setPath(values, assignment.slice(0, eq), assignment.slice(eq + 1));
  }
  return { chart, version, values };
}

function checkSchema(chart, values, flags) {
  if (chart === 'gateway' && !flags['skip-schema-validation']) {
    // Helm >= 3.18.5 validates with JSON Schema 2020-12 rules, under which the chart's root
    // `additionalProperties: false` next to its `$ref` rejects every key, the chart's own `defaults` included.
    const keys = ['defaults', ...Object.keys(values)].map((key) => `'${key}'`).join(', ');
    throw new Error(
      `values don't meet the specifications of the schema(s) in the following chart(s):\ngateway:\n- at '': additional properties ${keys} not allowed`,
    );
  }
}

/** Puts the chart's objects into the cluster as helm's three-way patch does; what it no longer renders goes. */
function deploy(cluster, release, chart, namespace, values, previousKeys = []) {
  const objects = CHARTS[chart].render(release, namespace, values);
  const keys = [];
  for (const object of objects) {
    const existing = getObject(cluster, object.kind, object.metadata.namespace, object.metadata.name);
    const owner = existing?.metadata?.annotations?.['meta.helm.sh/release-name'];
    if (existing && owner !== release) {
      throw new Error(
        `rendered manifests contain a resource that already exists. Unable to continue with install: ${object.kind} "${object.metadata.name}" in namespace "${object.metadata.namespace}" exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: missing key "meta.helm.sh/release-name": must be set to "${release}"`,
      );
    }
    if (!existing) serverCreate(cluster, object, { manager: 'helm' });
    else {
      const metadata = {
        ...existing.metadata,
        labels: object.metadata.labels,
        annotations: object.metadata.annotations,
      };
      serverUpdate(cluster, existing, { ...existing, ...object, metadata }, { manager: 'helm' });
    }
    keys.push(objectKey(object));
  }
  for (const key of previousKeys)
    if (!keys.includes(key) && cluster.objects[key]) serverDelete(cluster, cluster.objects[key]);
  if (chart === 'base') cluster.crds.istio = true;
  reconcile(cluster);
  return { keys, objects };
}

/** --wait: every Deployment available and every LoadBalancer Service with an address. */
function notReady(cluster, objects) {
  return objects.some((object) => {
    const live = getObject(cluster, object.kind, object.metadata.namespace, object.metadata.name);
    if (object.kind === 'Deployment')
      return (live?.status?.availableReplicas ?? 0) < (live?.spec?.replicas ?? 1);
    if (object.kind === 'Service' && object.spec.type === 'LoadBalancer')
      return !live?.status?.loadBalancer?.ingress?.length;
    return false;
  });
}

/** ANSIC, as statusPrinter prints LAST DEPLOYED: "Mon Jan _2 15:04:05 2006" (local time). */
function ansic(date) {
  const day = date.toLocaleDateString('en-US', { weekday: 'short' });
  const month = date.toLocaleDateString('en-US', { month: 'short' });
  const pad = (n) => String(n).padStart(2, '0');
  return `${day} ${month} ${String(date.getDate()).padStart(2, ' ')} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${date.getFullYear()}`;
}

function statusText(record, chart) {
  return `NAME: ${record.name}\nLAST DEPLOYED: ${ansic(new Date(record.updated))}\nNAMESPACE: ${record.namespace}\nSTATUS: ${record.status}\nREVISION: ${record.revision}\nTEST SUITE: None\nNOTES:\n${notes(chart, record.name, record.namespace, record.values)}\n`;
}

/** One revision of a release: deploy, then --wait; a failed wait leaves the release failed, as helm does. */
function runRelease(cluster, flags, { release, namespace, chart, version, values, previous }) {
  const record = {
    name: release,
    namespace,
    chart,
    version,
    values,
    status: 'deployed',
    revision: (previous?.revision ?? 0) + 1,
    updated: new Date().toISOString(),
    keys: [],
  };
  const releaseKey = `${namespace}/${release}`;
  const { keys, objects } = deploy(cluster, release, chart, namespace, values, previous?.keys);
  record.keys = keys;
  cluster.releases[releaseKey] = record;
  if (flags.wait && notReady(cluster, objects)) {
    record.status = 'failed';
    commit(cluster);
    throw new Error('context deadline exceeded');
  }
  commit(cluster);
  return record;
}

function install(flags, positional, { wrap = (m) => `INSTALLATION FAILED: ${m}` } = {}) {
  const fail = (error) => new ToolError(`Error: ${wrap(error.message)}`);
  if (positional.length < 2)
    throw new ToolError('Error: must either provide a name or specify --generate-name');
  const [release, chartRef] = positional;
  let prepared;
  let cluster;
  try {
    prepared = prepare(flags, chartRef);
  } catch (error) {
    throw fail(error);
  }
  try {
    cluster = openCluster(flags['kube-context'], '');
  } catch (error) {
    throw fail(new Error(`Kubernetes cluster unreachable: ${error.message}`));
  }
  const namespace = flags.namespace ?? 'default';
  try {
    checkSchema(prepared.chart, prepared.values, flags);
    if (cluster.releases[`${namespace}/${release}`])
      throw new Error('cannot re-use a name that is still in use');
    if (!getObject(cluster, 'Namespace', undefined, namespace)) {
      if (!flags['create-namespace'])
        throw new Error(`create: failed to create: namespaces "${namespace}" not found`);
      serverCreate(
        cluster,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
        { manager: 'helm' },
      );
    }
    const record = runRelease(cluster, flags, { release, namespace, ...prepared });
    return statusText(record, prepared.chart);
  } catch (error) {
    if (error instanceof ToolError) throw error;
    throw fail(error);
  }
}

function upgrade(flags, positional) {
  if (positional.length < 2) throw new ToolError('Error: "helm upgrade" requires 2 arguments');
  const [release, chartRef] = positional;
  const namespace = flags.namespace ?? 'default';
  let cluster;
  try {
    cluster = openCluster(flags['kube-context'], '');
  } catch (error) {
    throw new ToolError(`Error: Kubernetes cluster unreachable: ${error.message}`);
  }
  const previous = cluster.releases[`${namespace}/${release}`];
  if (!previous && flags.install) {
    process.stdout.write(`Release "${release}" does not exist. Installing it now.\n`);
    return install(flags, positional, { wrap: (m) => m });
  }
  let prepared;
  try {
    prepared = prepare(flags, chartRef);
  } catch (error) {
    throw new ToolError(`Error: ${error.message}`);
  }
  try {
    if (!previous) throw new Error(`"${release}" has no deployed releases`);
    if (previous.status.startsWith('pending'))
      throw new Error('another operation (install/upgrade/rollback) is in progress');
    checkSchema(prepared.chart, prepared.values, flags);
    const record = runRelease(cluster, flags, { release, namespace, ...prepared, previous });
    return `Release "${release}" has been upgraded. Happy Helming!\n${statusText(record, prepared.chart)}`;
  } catch (error) {
    if (error instanceof ToolError) throw error;
    throw new ToolError(`Error: UPGRADE FAILED: ${error.message}`);
  }
}

function list(flags) {
  const cluster = openCluster(flags['kube-context'], 'Error: Kubernetes cluster unreachable: ');
  const releases = Object.values(cluster.releases).filter(
    (r) => !flags.namespace || r.namespace === flags.namespace,
  );
  if (flags.output === 'json') {
    return `${JSON.stringify(
      releases.map((r) => ({
        name: r.name,
        namespace: r.namespace,
        revision: String(r.revision),
        updated: r.updated,
        status: r.status,
        chart: `${r.chart}-${r.version}`,
        app_version: r.version,
      })),
    )}\n`;
  }
  const lines = ['NAME\tNAMESPACE\tREVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION'];
  for (const r of releases)
    lines.push(
      `${r.name}\t${r.namespace}\t${r.revision}\t${r.updated}\t${r.status}\t${r.chart}-${r.version}\t${r.version}`,
    );
  return `${lines.join('\n')}\n`;
}

function status(flags, positional) {
  const cluster = openCluster(flags['kube-context'], 'Error: Kubernetes cluster unreachable: ');
  const record = cluster.releases[`${flags.namespace ?? 'default'}/${positional[0]}`];
  if (!record) throw new ToolError('Error: release: not found');
  return statusText(record, record.chart);
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
  if (command === 'upgrade') return upgrade(flags, positional);
  if (command === 'list' || command === 'ls') return list(flags);
  if (command === 'status') return status(flags, positional);
  throw new ToolError(`Error: unknown command "${command}" for "helm"\nRun 'helm --help' for usage.`);
}
