// Fake kubectl: version, config, cluster-info, get, create, apply (-f, -k), label, wait, rollout status,
// exec (see kubectl-exec.mjs) and kustomize (the real kubectl renders). Client-side behaviour follows
// k8s.io/cli-runtime (create clears metadata.resourceVersion before sending); the server side is cluster.mjs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  getObject,
  kindFromResource,
  listObjects,
  loadKubeconfig,
  notFound,
  resourceName,
  saveKubeconfig,
  serverUpdate,
} from './cluster.mjs';
import { applyClientSide, applyServerSide, createObject, placeInNamespace } from './kubectl-apply.mjs';
import { exec, rolloutStatus, wait } from './kubectl-exec.mjs';
import { jsonPath, nodeObjects, table } from './kubectl-table.mjs';
import {
  flagSpec,
  parseArgs,
  parseYamlDocuments,
  readFileLikeGo,
  readStdin,
  ToolError,
  toYaml,
} from './state.mjs';
import { commit, openCluster } from './workloads.mjs';

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
  [['--server-side'], { value: false }],
  [['--field-manager'], { value: true }],
  [['--force-conflicts'], { value: false }],
  [['--request-timeout'], { value: true }],
  [['--ignore-not-found'], { value: false }],
  [['--no-headers'], { value: false }],
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
  const cluster = openCluster(flags.context);
  const out = eachObject(readSources(flags), (object, source) => {
    placeInNamespace(object, flags);
    if (!flags['server-side']) return applyClientSide(cluster, object, source);
    return applyServerSide(cluster, object, source, {
      manager: flags['field-manager'] ?? 'kubectl',
      force: Boolean(flags['force-conflicts']),
    });
  });
  commit(cluster);
  return out;
}

function create(flags, positional) {
  const cluster = openCluster(flags.context);
  if (positional[0] === 'namespace' || positional[0] === 'ns') {
    const name = positional[1];
    if (!name) throw new ToolError('error: exactly one NAME is required, got 0');
    if (getObject(cluster, 'Namespace', undefined, name)) {
      throw new ToolError(`Error from server (AlreadyExists): namespaces "${name}" already exists`);
    }
    createObject(cluster, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, 'STDIN');
    commit(cluster);
    return `namespace/${name} created\n`;
  }
  if (positional.length > 0)
    throw new ToolError(`runbook fake kubectl: 'create ${positional[0]}' is not implemented`, 2);
  const out = eachObject(readSources(flags), (object, source) => {
    placeInNamespace(object, flags);
    return createObject(cluster, object, source);
  });
  commit(cluster);
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

function get(flags, positional) {
  const cluster = openCluster(flags.context);
  const namespace = flags['all-namespaces'] ? undefined : (flags.namespace ?? 'default');
  const found = [];
  for (const { kind, name } of targets(positional)) {
    if (kind === 'Node') {
      found.push(...nodeObjects(cluster).filter((node) => !name || node.metadata.name === name));
      continue;
    }
    if (name) {
      const object = getObject(cluster, kind, namespace, name);
      if (object) found.push(object);
      else if (!flags['ignore-not-found']) throw notFound(kind, name);
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
    if (flags['ignore-not-found']) return '';
    process.stderr.write(
      namespace ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n',
    );
    return '';
  }
  return table(found[0].kind, found, {
    showLabels: flags['show-labels'],
    namespaceColumn: flags['all-namespaces'],
    headers: !flags['no-headers'],
  });
}

function label(flags, positional) {
  const cluster = openCluster(flags.context);
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
  commit(cluster);
  return `${resourceName(target.kind)}/${target.name} ${changed ? 'labeled' : 'not labeled'}\n`;
}

function config(positional) {
  const kubeconfig = loadKubeconfig();
  const [verb, name] = positional;
  if (verb === 'current-context') {
    if (!kubeconfig.current) throw new ToolError('error: current-context is not set');
    return `${kubeconfig.current}\n`;
  }
  if (verb === 'get-contexts') {
    const names = name ? [name] : Object.keys(kubeconfig.contexts);
    const missing = names.find((n) => !kubeconfig.contexts[n]);
    if (missing) throw new ToolError(`error: context ${missing} not found`);
    const rows = [['CURRENT', 'NAME', 'CLUSTER', 'AUTHINFO', 'NAMESPACE']];
    for (const n of names) {
      const cluster = `k3d-${kubeconfig.contexts[n].cluster}`;
      rows.push([kubeconfig.current === n ? '*' : '', n, cluster, `admin@${cluster}`, '']);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)) + 3);
    return `${rows
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i]))
          .join('')
          .trimEnd(),
      )
      .join('\n')}\n`;
  }
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
    openCluster(flags.context);
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
      openCluster(flags.context);
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
