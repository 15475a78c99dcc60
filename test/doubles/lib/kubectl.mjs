// Fake kubectl: version, config, cluster-info, get, create, apply (-f, -k), label, wait, rollout status,
// exec (see kubectl-exec.mjs) and kustomize (the real kubectl renders). Client-side behaviour follows
// k8s.io/cli-runtime (create clears metadata.resourceVersion before sending); the server side is cluster.mjs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  clusterForContext,
  getObject,
  KINDS,
  kindFromResource,
  listObjects,
  loadKubeconfig,
  notFound,
  resourceName,
  saveCluster,
  saveKubeconfig,
  serverCreate,
  serverUpdate,
} from './cluster.mjs';
import { exec, rolloutStatus, wait } from './kubectl-exec.mjs';
import {
  flagSpec,
  parseArgs,
  parseYamlDocuments,
  readFileLikeGo,
  readStdin,
  ToolError,
  toYaml,
} from './state.mjs';

const CLIENT_VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.2', platform: 'linux/amd64' };

const SPEC = flagSpec([
  [['--context'], { value: true }],
  [['--kubeconfig'], { value: true }],
  [['--namespace', '-n'], { value: true }],
  [['--output', '-o'], { value: true }],
  [['--filename', '-f'], { value: true, multi: true }],
  [['--kustomize', '-k'], { value: true }],
  [['--show-labels'], { value: false }],
  [['--selector', '-l'], { value: true }],
  [['--all-namespaces', '-A'], { value: false }],
  [['--all'], { value: false }],
  [['--overwrite'], { value: false }],
  [['--for'], { value: true }],
  [['--timeout'], { value: true }],
  [['--container', '-c'], { value: true }],
  [['--stdin', '-i'], { value: false }],
  [['--tty', '-t'], { value: false }],
  [['--client'], { value: false }],
  [['--quiet', '-q'], { value: false }],
]);

/** The real kubectl on PATH after this double's own directory, for `kubectl kustomize`. */
function realKubectl() {
  const own = path.resolve(path.dirname(process.argv[1] ?? ''), '../bin');
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir || path.resolve(dir) === own) continue;
    const candidate = path.join(dir, 'kubectl');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (!fs.readFileSync(candidate, 'latin1').slice(0, 200).includes('runbook test double'))
        return candidate;
    } catch {}
  }
  throw new ToolError('runbook fake kubectl: no real kubectl found on PATH for kustomize', 2);
}

function kustomize(dir) {
  try {
    return execFileSync(realKubectl(), ['kustomize', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    throw new ToolError(String(error.stderr || error.message).trimEnd());
  }
}

/** Objects from -f files (`-` is stdin) and -k directories, each with the source kubectl names in errors. */
function readSources(flags) {
  const sources = [];
  for (const file of flags.filename ?? []) {
    const text = file === '-' ? readStdin() : readFileLikeGo(file);
    const source = file === '-' ? 'STDIN' : file;
    for (const object of parseYamlDocuments(text, source)) sources.push({ object, source });
  }
  if (flags.kustomize) {
    for (const object of parseYamlDocuments(kustomize(flags.kustomize), flags.kustomize)) {
      sources.push({ object, source: flags.kustomize });
    }
  }
  if (sources.length === 0) throw new ToolError('error: no objects passed to apply');
  return sources;
}

function placeInNamespace(object, flags) {
  if (!KINDS[object.kind]?.namespaced) return;
  object.metadata ??= {};
  if (flags.namespace && object.metadata.namespace && object.metadata.namespace !== flags.namespace) {
    throw new ToolError(
      `error: the namespace from the provided object "${object.metadata.namespace}" does not match the namespace "${flags.namespace}". You must pass '--namespace=${object.metadata.namespace}' to perform this operation.`,
    );
  }
  object.metadata.namespace ??= flags.namespace ?? 'default';
}

function sameContent(a, b) {
  const strip = ({ metadata, status, ...rest }) => ({
    ...rest,
    labels: metadata?.labels,
    annotations: metadata?.annotations,
  });
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

/** Runs `action` on every object, printing successes, then every error; exit 1 if any failed. */
function eachObject(sources, action) {
  let out = '';
  const errors = [];
  for (const { object, source } of sources) {
    try {
      out += `${action(object, source)}\n`;
    } catch (error) {
      if (!(error instanceof ToolError)) throw error;
      errors.push(error.message);
    }
  }
  if (errors.length > 0) {
    process.stdout.write(out);
    throw new ToolError(errors.join('\n'));
  }
  return out;
}

function apply(flags) {
  const cluster = clusterForContext(flags.context);
  const out = eachObject(readSources(flags), (object, source) => {
    placeInNamespace(object, flags);
    const applied = structuredClone(object);
    object.metadata.annotations = {
      ...(object.metadata.annotations ?? {}),
      'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(applied)}\n`,
    };
    const label = `${resourceName(object.kind)}/${object.metadata.name}`;
    const existing =
      KINDS[object.kind] && getObject(cluster, object.kind, object.metadata.namespace, object.metadata.name);
    if (!existing) {
      // Apply creates through the same Helper.Create(modify=true) as `kubectl create`.
      delete object.metadata.resourceVersion;
      serverCreate(cluster, object, { source, manager: 'kubectl-client-side-apply' });
      return `${label} created`;
    }
    if (sameContent(existing, object)) return `${label} unchanged`;
    serverUpdate(cluster, existing, object);
    return `${label} configured`;
  });
  saveCluster(cluster);
  return out;
}

function create(flags, positional) {
  const cluster = clusterForContext(flags.context);
  if (positional[0] === 'namespace' || positional[0] === 'ns') {
    const name = positional[1];
    if (!name) throw new ToolError('error: exactly one NAME is required, got 0');
    if (getObject(cluster, 'Namespace', undefined, name)) {
      throw new ToolError(`Error from server (AlreadyExists): namespaces "${name}" already exists`);
    }
    serverCreate(cluster, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    saveCluster(cluster);
    return `namespace/${name} created\n`;
  }
  if (positional.length > 0)
    throw new ToolError(`runbook fake kubectl: 'create ${positional[0]}' is not implemented`, 2);
  const out = eachObject(readSources(flags), (object, source) => {
    placeInNamespace(object, flags);
    // cli-runtime's Helper.Create(namespace, modify=true, obj) clears resourceVersion before the POST
    // (for unstructured objects setting it to "" removes the field); the server fills in the rest.
    delete object.metadata?.resourceVersion;
    serverCreate(cluster, object, { source, manager: 'kubectl-create' });
    return `${resourceName(object.kind)}/${object.metadata.name} created`;
  });
  saveCluster(cluster);
  return out;
}

/** `TYPE NAME...`, `TYPE/NAME...` or `TYPE` alone. */
function targets(positional) {
  if (positional.length === 0) throw new ToolError('error: You must specify the type of resource to get.');
  if (positional[0].includes('/')) {
    return positional.map((arg) => {
      const [resource, name] = arg.split('/');
      return { kind: kindFromResource(resource), name };
    });
  }
  const kind = kindFromResource(positional[0]);
  return positional.length > 1 ? positional.slice(1).map((name) => ({ kind, name })) : [{ kind }];
}

function matchesSelector(object, selector) {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return value === undefined
      ? key in (object.metadata.labels ?? {})
      : object.metadata.labels?.[key] === value;
  });
}

function nodeObjects(cluster) {
  return cluster.k3d.nodes
    .filter((node) => node.role === 'server' || node.role === 'agent')
    .map((node) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: node.name, labels: { 'node-role.kubernetes.io/control-plane': 'true' } },
      status: {
        addresses: [{ type: 'InternalIP', address: node.IP.IP }],
        nodeInfo: { kubeletVersion: 'v1.30.4+k3s1' },
      },
    }));
}

function jsonPath(object, expression) {
  const body = expression.replace(/^\{|\}$/g, '');
  const parts = body.split(/\.|\[(\d+)\]/).filter((part) => part !== undefined && part !== '');
  return parts.reduce((value, part) => (value == null ? undefined : value[part]), object);
}

function table(kind, objects, showLabels) {
  const rows = objects.map((object) => {
    const name = object.metadata.name;
    if (kind === 'Namespace') return [name, 'Active', '1m'];
    if (kind === 'Node') return [name, 'Ready', 'control-plane,master', '1m', 'v1.30.4+k3s1'];
    if (kind === 'Pod')
      return [
        name,
        `${object.spec.containers.length}/${object.spec.containers.length}`,
        'Running',
        '0',
        '1m',
      ];
    if (kind === 'Service') {
      const external =
        object.status?.loadBalancer?.ingress?.map((i) => i.ip).join(',') ||
        (object.spec.type === 'LoadBalancer' ? '<pending>' : '<none>');
      const ports = object.spec.ports.map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(',');
      return [name, object.spec.type ?? 'ClusterIP', object.spec.clusterIP ?? '', external, ports, '1m'];
    }
    if (kind === 'Deployment') return [name, '1/1', '1', '1', '1m'];
    return [name, '1m'];
  });
  const headers = {
    Namespace: ['NAME', 'STATUS', 'AGE'],
    Node: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
    Pod: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    Service: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    Deployment: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
  }[kind] ?? ['NAME', 'AGE'];
  const all = [showLabels ? [...headers, 'LABELS'] : headers];
  for (const [i, row] of rows.entries()) {
    const labels =
      Object.entries(objects[i].metadata.labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>';
    all.push(showLabels ? [...row, labels] : row);
  }
  const widths = all[0].map((_, column) => Math.max(...all.map((row) => String(row[column]).length)));
  return `${all
    .map((row) =>
      row
        .map((cell, column) => String(cell).padEnd(widths[column] + 3))
        .join('')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

function get(flags, positional) {
  const cluster = clusterForContext(flags.context);
  const namespace = flags['all-namespaces'] ? undefined : (flags.namespace ?? 'default');
  const found = [];
  for (const { kind, name } of targets(positional)) {
    if (kind === 'Node') {
      found.push(...nodeObjects(cluster).filter((node) => !name || node.metadata.name === name));
      continue;
    }
    if (name) {
      const object = getObject(cluster, kind, namespace, name);
      if (!object) throw notFound(kind, name);
      found.push(object);
    } else {
      found.push(
        ...listObjects(cluster, kind, namespace).filter((object) => matchesSelector(object, flags.selector)),
      );
    }
  }
  const single = positional.length > 1 || positional[0].includes('/') ? found.length === 1 : false;
  const output = flags.output ?? '';
  const document = single
    ? found[0]
    : { apiVersion: 'v1', kind: 'List', items: found, metadata: { resourceVersion: '' } };
  if (output === 'json') return `${JSON.stringify(document, null, 4)}\n`;
  if (output === 'yaml') return toYaml(document);
  if (output === 'name')
    return found.map((object) => `${resourceName(object.kind)}/${object.metadata.name}\n`).join('');
  if (output.startsWith('jsonpath='))
    return String(jsonPath(document, output.slice('jsonpath='.length)) ?? '');
  if (output && output !== 'wide')
    throw new ToolError(`error: unable to match a printer suitable for the output format "${output}"`);
  if (found.length === 0) {
    process.stderr.write(
      namespace ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n',
    );
    return '';
  }
  return table(found[0].kind, found, flags['show-labels']);
}

function label(flags, positional) {
  const cluster = clusterForContext(flags.context);
  const assignments = positional.filter((arg) => arg.includes('='));
  const [target] = targets(positional.filter((arg) => !arg.includes('=')));
  const namespace = flags.namespace ?? 'default';
  if (assignments.length === 0) throw new ToolError('error: at least one label update is required');
  const object = getObject(cluster, target.kind, namespace, target.name);
  if (!object) throw notFound(target.kind, target.name);
  const labels = { ...(object.metadata.labels ?? {}) };
  for (const assignment of assignments) {
    const [labelKey, value] = assignment.split('=');
    if (labels[labelKey] !== undefined && labels[labelKey] !== value && !flags.overwrite) {
      throw new ToolError(
        `error: '${labelKey}' already has a value (${labels[labelKey]}), and --overwrite is false`,
      );
    }
    labels[labelKey] = value;
  }
  const changed = JSON.stringify(labels) !== JSON.stringify(object.metadata.labels ?? {});
  if (changed) serverUpdate(cluster, object, { ...object, metadata: { ...object.metadata, labels } });
  saveCluster(cluster);
  return `${resourceName(target.kind)}/${target.name} ${changed ? 'labeled' : 'not labeled'}\n`;
}

function config(positional) {
  const kubeconfig = loadKubeconfig();
  const [verb, name] = positional;
  if (verb === 'current-context') {
    if (!kubeconfig.current) throw new ToolError('error: current-context is not set');
    return `${kubeconfig.current}\n`;
  }
  if (verb === 'get-contexts') return `${Object.keys(kubeconfig.contexts).join('\n')}\n`;
  if (verb === 'use-context') {
    if (!kubeconfig.contexts[name]) throw new ToolError(`error: no context exists with the name: "${name}"`);
    kubeconfig.current = name;
    saveKubeconfig(kubeconfig);
    return `Switched to context "${name}".\n`;
  }
  throw new ToolError(`runbook fake kubectl: 'config ${verb}' is not implemented`, 2);
}

function version(flags) {
  const json = { clientVersion: CLIENT_VERSION, kustomizeVersion: 'v5.4.2' };
  if (!flags.client) {
    clusterForContext(flags.context);
    json.serverVersion = { major: '1', minor: '30', gitVersion: 'v1.30.4+k3s1' };
  }
  if (flags.output === 'json') return `${JSON.stringify(json, null, 2)}\n`;
  const server = json.serverVersion ? `Server Version: ${json.serverVersion.gitVersion}\n` : '';
  return `Client Version: ${CLIENT_VERSION.gitVersion}\nKustomize Version: v5.4.2\n${server}`;
}

export function kubectl(args) {
  const [command, ...rest] = args;
  if (command === 'kustomize') return kustomize(rest[0] ?? '.');
  const {
    flags,
    positional,
    rest: afterDashes,
  } = parseArgs(
    rest,
    SPEC,
    (flag) => `error: unknown flag: ${flag}\nSee 'kubectl ${command} --help' for usage.`,
  );
  switch (command) {
    case 'version':
      return version(flags);
    case 'config':
      return config(positional);
    case 'cluster-info': {
      const kubeconfig = loadKubeconfig();
      const context = flags.context ?? kubeconfig.current;
      clusterForContext(flags.context);
      const server = kubeconfig.contexts[context].server;
      return `Kubernetes control plane is running at ${server}\nCoreDNS is running at ${server}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n`;
    }
    case 'get':
      return get(flags, positional);
    case 'apply':
      return apply(flags);
    case 'create':
      return create(flags, positional);
    case 'label':
      return label(flags, positional);
    case 'wait':
      return wait(flags, positional);
    case 'rollout':
      return rolloutStatus(flags, positional);
    case 'exec':
      return exec(flags, positional, afterDashes ?? []);
    default:
      throw new ToolError(`error: unknown command "${command}" for "kubectl"`);
  }
}
