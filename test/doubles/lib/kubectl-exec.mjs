// `kubectl exec` (curl inside a pod answers like traefik/whoami through the mesh model), `kubectl wait`
// and `kubectl rollout status`.
import { getObject, KINDS, kindFromResource, listObjects, notFound, resourceName } from './cluster.mjs';
import { hasSidecar, reachableEndpoints } from './mesh.mjs';
import { randomUUID, ToolError } from './state.mjs';
import { commit, openCluster, podReady } from './workloads.mjs';

const CURL_OPTIONS_WITH_VALUE = new Set([
  '-m',
  '--max-time',
  '--connect-timeout',
  '-o',
  '--output',
  '-H',
  '--header',
  '-w',
  '--write-out',
  '-X',
  '--request',
  '-d',
  '--data',
  '--retry',
  '-u',
  '--user',
  '-A',
  '--user-agent',
]);

/** The URLs of a curl command line, with curl's globbing: `[1-20]` ranges and `{a,b}` sets. */
function curlUrls(args) {
  const urls = [];
  for (let i = 0; i < args.length; i++) {
    if (CURL_OPTIONS_WITH_VALUE.has(args[i])) i++;
    else if (!args[i].startsWith('-')) urls.push(...expandGlob(args[i]));
  }
  return urls;
}

function expandGlob(url) {
  const range = /\[(\d+)-(\d+)\]/.exec(url);
  if (range) {
    const expanded = [];
    for (let n = Number(range[1]); n <= Number(range[2]); n++) {
      expanded.push(...expandGlob(url.replace(range[0], String(n))));
    }
    return expanded;
  }
  const set = /\{([^}]*)\}/.exec(url);
  if (set) return set[1].split(',').flatMap((item) => expandGlob(url.replace(set[0], item)));
  return [url];
}

/** Cluster DNS: `name`, `name.ns`, `name.ns.svc`, `name.ns.svc.cluster.local`. */
function resolveService(cluster, host, podNamespace) {
  const parts = host.split('.');
  const suffix = parts.slice(2).join('.');
  if (parts.length > 2 && suffix !== 'svc' && suffix !== 'svc.cluster.local') return undefined;
  const namespace = parts[1] ?? podNamespace;
  const service = getObject(cluster, 'Service', namespace, parts[0]);
  return service && { service, namespace };
}

function whoamiAnswer(pod, url, clientPod) {
  const host = url.host;
  const name = pod.spec.containers
    .find((c) => c.name !== 'istio-proxy')
    ?.env?.find((e) => e.name === 'WHOAMI_NAME')?.value;
  // whoami prints its own lines with Fprintln, then the request as http.Request.Write does (CRLF).
  const own = [
    ...(name ? [`Name: ${name}`] : []),
    `Hostname: ${pod.metadata.name}`,
    'IP: 127.0.0.1',
    'IP: ::1',
    `IP: ${pod.status.podIP}`,
    `RemoteAddr: 127.0.0.6:${40000 + Math.floor(Math.random() * 20000)}`,
  ];
  const request = [
    // http.Request.Write prints the request URI, query included.
    `GET ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${host}`,
    'User-Agent: curl/8.10.1',
    'Accept: */*',
    'X-Envoy-Attempt-Count: 1',
    `X-Forwarded-Client-Cert: By=spiffe://cluster.local/ns/whoami/sa/default;URI=spiffe://cluster.local/ns/${clientPod.metadata.namespace}/sa/default`,
    'X-Forwarded-Proto: http',
    `X-Request-Id: ${randomUUID()}`,
  ];
  return `${own.join('\n')}\n${request.join('\r\n')}\r\n\r\n`;
}

/** One request from `pod`: whoami's answer, or curl's error and exit code. */
function request(cluster, pod, url) {
  const parsed = new URL(url.includes('://') ? url : `http://${url}`);
  const resolved = resolveService(cluster, parsed.hostname, pod.metadata.namespace);
  if (!resolved) return { error: `curl: (6) Could not resolve host: ${parsed.hostname}`, code: 6 };
  const port = Number(parsed.port || 80);
  if (!resolved.service.spec.ports.some((p) => p.port === port)) {
    return { error: 'curl: (28) Connection timed out after 5001 milliseconds', code: 28 };
  }
  const name = resolved.service.metadata.name;
  const selector = Object.entries(resolved.service.spec.selector ?? {});
  // Without a sidecar the call goes through kube-proxy and only ever reaches this cluster's pods.
  const localPods = listObjects(cluster, 'Pod', resolved.namespace).filter(
    (p) => podReady(p) && selector.every(([k, v]) => p.metadata.labels?.[k] === v),
  );
  const answering = hasSidecar(pod)
    ? reachableEndpoints(cluster, resolved.namespace, name).answering
    : localPods.length > 0
      ? [{ cluster, pods: localPods }]
      : [];
  const endpoints = answering.flatMap((group) => group.pods);
  if (endpoints.length === 0) return { body: 'no healthy upstream' };
  // Envoy's default balancing spreads requests over all endpoints; which one answers is up to chance.
  const chosen = endpoints[Math.floor(Math.random() * endpoints.length)];
  return { body: whoamiAnswer(chosen, parsed, pod) };
}

/** curl with several URLs makes the requests one after another; its exit code is the last failure's. */
function curl(cluster, pod, args) {
  const urls = curlUrls(args);
  if (urls.length === 0) {
    throw new ToolError(
      "curl: try 'curl --help' or 'curl --manual' for more information\ncommand terminated with exit code 2",
      2,
    );
  }
  let out = '';
  let failure;
  for (const url of urls) {
    const result = request(cluster, pod, url);
    if (result.error) {
      process.stderr.write(`${result.error}\n`);
      failure = result;
    } else out += result.body;
  }
  commit(cluster);
  if (failure) {
    process.stdout.write(out);
    throw new ToolError(`command terminated with exit code ${failure.code}`, failure.code);
  }
  return out;
}

export function exec(flags, positional, command) {
  const cluster = openCluster(flags.context);
  const namespace = flags.namespace ?? 'default';
  const podName = positional[0]?.replace(/^(pod|pods|po)\//, '');
  if (!podName)
    throw new ToolError(
      "error: expected 'exec POD_NAME COMMAND [ARG1] [ARG2] ... [ARGN]'.\nPOD_NAME and COMMAND are required arguments for the exec command",
    );
  if (command.length === 0)
    throw new ToolError('error: you must specify at least one command for the container');
  const pod = getObject(cluster, 'Pod', namespace, podName);
  if (!pod) throw notFound('Pod', podName);
  const container = flags.container ?? pod.spec.containers[0].name;
  if (!pod.spec.containers.some((c) => c.name === container) || !podReady(pod)) {
    throw new ToolError(`error: unable to upgrade connection: container not found ("${container}")`);
  }
  if (command[0] === 'curl' && container !== 'istio-proxy') return curl(cluster, pod, command.slice(1));
  throw new ToolError(
    `OCI runtime exec failed: exec failed: unable to start container process: exec: "${command[0]}": executable file not found in $PATH: unknown\ncommand terminated with exit code 126`,
    126,
  );
}

function waitTargets(cluster, flags, positional, namespace) {
  if (positional.length === 0) throw new ToolError('error: resource name may not be empty');
  const [resource, name] = positional[0].split('/');
  const kind = kindFromResource(resource);
  if (name) {
    const object = getObject(cluster, kind, namespace, name);
    if (!object) throw notFound(kind, name);
    return [object];
  }
  const names = positional.slice(1);
  if (names.length > 0) {
    return names.map(
      (n) =>
        getObject(cluster, kind, namespace, n) ??
        (() => {
          throw notFound(kind, n);
        })(),
    );
  }
  const objects = listObjects(cluster, kind, namespace).filter((object) =>
    (flags.selector ?? '')
      .split(',')
      .filter(Boolean)
      .every((term) => {
        const [k, v] = term.split('=');
        return object.metadata.labels?.[k] === v;
      }),
  );
  if (objects.length === 0 || (!flags.all && !flags.selector))
    throw new ToolError('error: no matching resources found');
  return objects;
}

export function wait(flags, positional) {
  const cluster = openCluster(flags.context);
  const condition = String(flags.for ?? '');
  if (!condition) throw new ToolError('error: --for must be set');
  const objects = waitTargets(cluster, flags, positional, flags.namespace ?? 'default');
  const wanted = condition
    .replace(/^condition=/, '')
    .split('=')[0]
    .toLowerCase();
  const lines = objects.map((object) => {
    const met =
      (object.kind === 'Deployment' &&
        wanted === 'available' &&
        object.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True')) ||
      (object.kind === 'Pod' && (wanted === 'ready' || wanted === 'containersready') && podReady(object));
    // condition.go: the resource (plural, without its group) and the name.
    if (!met)
      throw new ToolError(
        `error: timed out waiting for the condition on ${KINDS[object.kind].plural}/${object.metadata.name}`,
      );
    return `${resourceName(object.kind)}/${object.metadata.name} condition met`;
  });
  return `${lines.join('\n')}\n`;
}

export function rolloutStatus(flags, positional) {
  const [verb, target] = positional;
  if (verb !== 'status') throw new ToolError(`runbook fake kubectl: 'rollout ${verb}' is not implemented`, 2);
  const cluster = openCluster(flags.context);
  const name = target?.split('/')[1];
  const deployment = getObject(cluster, 'Deployment', flags.namespace ?? 'default', name);
  if (!deployment) throw notFound('Deployment', name);
  return `deployment "${name}" successfully rolled out\n`;
}
