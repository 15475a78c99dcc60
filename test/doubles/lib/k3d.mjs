// Fake k3d v5.7: `version`, `cluster create --config|get|list|delete|start|stop`. Logs go to stderr in
// k3d's logrus form (`INFO[0000] ...`) in the order cmd/cluster/clusterCreate.go and pkg/client log them;
// a failed create rolls back as k3d does. Nodes are containers (containers.mjs) on a Docker network.
import {
  listClusters,
  loadCluster,
  loadKubeconfig,
  removeCluster,
  saveCluster,
  saveKubeconfig,
} from './cluster.mjs';
import { newNode, startNode, stopNode } from './containers.mjs';
import { clusterJson } from './k3d-json.mjs';
import { createNetwork, detach, loadNetworks, saveNetworks } from './networks.mjs';
import {
  DOCKER_DOWN_MESSAGE,
  dockerRunning,
  flagSpec,
  hex,
  now,
  parseArgs,
  parseYaml,
  randomUUID,
  readFileLikeGo,
  readState,
  ToolError,
  writeState,
} from './state.mjs';
import { pullImage } from './workloads.mjs';

const K3D_VERSION = 'v5.7.4';
const K3S_DEFAULT = 'v1.30.4-k3s1';

const log = (level, message) => process.stderr.write(`${level}[0000] ${message}\n`);
const fatal = (message) => new ToolError(`FATA[0000] ${message}`);

function requireEngine() {
  if (!dockerRunning()) {
    throw fatal(
      `runtime failed to list nodes: docker failed to get containers with labels 'map[app:k3d]': ${DOCKER_DOWN_MESSAGE}`,
    );
  }
}

/** Whether a node filter list selects the (single) server node. */
function selectsServer(filters) {
  return (filters ?? ['server:*']).some((filter) => /^(server:(\*|0)|all)$/.test(filter));
}

function readConfig(file) {
  let config;
  try {
    config = parseYaml(readFileLikeGo(file));
  } catch (error) {
    throw fatal(`Failed to read config file ${file}: ${error.message}`);
  }
  if (config?.apiVersion !== 'k3d.io/v1alpha5' || config?.kind !== 'Simple') {
    throw fatal(
      `failed to load config file ${file}: unknown or unsupported config apiVersion/kind ${config?.apiVersion}/${config?.kind}`,
    );
  }
  return config;
}

/** ClusterDelete's part of a rollback, then clusterCreate's last words. */
function rollBack(name, error) {
  log('ERRO', error);
  log('ERRO', 'Failed to create cluster >>> Rolling Back');
  log('INFO', `Deleting cluster '${name}'`);
  log('INFO', 'Deleting 1 attached volumes...');
  return fatal('Cluster creation FAILED, all changes have been rolled back!');
}

function createCluster(flags, positional) {
  requireEngine();
  const configFile = flags.config;
  const config = configFile ? readConfig(configFile) : { apiVersion: 'k3d.io/v1alpha5', kind: 'Simple' };
  if (configFile) log('INFO', `Using config file ${configFile} (k3d.io/v1alpha5#simple)`);
  const name = positional[0] ?? config.metadata?.name ?? 'k3s-default';
  if (loadCluster(name))
    throw fatal(`Failed to create cluster '${name}' because a cluster with that name already exists`);
  const networkName = config.network ?? `k3d-${name}`;
  const external = Boolean(config.network);
  log('INFO', 'Prep: Network');
  if (external && config.subnet && config.subnet !== 'auto')
    throw rollBack(
      name,
      'Failed Cluster Preparation: Failed Network Preparation: cannot specify subnet for exiting network',
    );
  const networks = loadNetworks();
  let network = networks[networkName];
  if (network) log('INFO', `Re-using existing network '${networkName}' (${network.id})`);
  else {
    network = createNetwork(networks, networkName, { app: 'k3d' });
    log('INFO', `Created network '${networkName}'`);
  }
  saveNetworks(networks);
  log('INFO', `Created image volume k3d-${name}-images`);
  log('INFO', 'Starting new tools node...');
  log('INFO', `Starting node 'k3d-${name}-tools'`);

  const image = config.image ?? `rancher/k3s:${K3S_DEFAULT}`;
  const hostImages = readState('docker-images', {});
  const pullError = pullImage(hostImages, image);
  if (pullError) {
    const reason = pullError.replace(/^.*?(toomanyrequests:.*)$/, '$1');
    throw rollBack(
      name,
      `failed Cluster Creation: failed to create node 'k3d-${name}-server-0': runtime failed to create node 'k3d-${name}-server-0': failed to create container for node 'k3d-${name}-server-0': docker failed to pull image '${image}': docker failed to pull the image '${image}': Error response from daemon: ${reason}`,
    );
  }
  writeState('docker-images', hostImages);
  log('INFO', `Creating node 'k3d-${name}-server-0'`);
  log('INFO', `Creating LoadBalancer 'k3d-${name}-serverlb'`);
  log('INFO', 'Using the k3d-tools node to gather environment information');
  log('INFO', `HostIP: using network gateway ${network.gateway} address`);

  const apiHostIP = config.kubeAPI?.hostIP ?? '0.0.0.0';
  const apiHost = config.kubeAPI?.host ?? apiHostIP;
  const apiHostPort = String(config.kubeAPI?.hostPort ?? 30000 + Math.floor(Math.random() * 20000));
  const serverArgs = (config.options?.k3s?.extraArgs ?? [])
    .filter((entry) => selectsServer(entry.nodeFilters))
    .map((entry) => entry.arg);
  const disabled = serverArgs.flatMap((arg) =>
    /^--disable[= ]/.test(arg) ? arg.replace(/^--disable[= ]/, '').split(',') : [],
  );
  const token = hex(10);
  const labels = {
    app: 'k3d',
    'k3d.cluster': name,
    'k3d.cluster.imageVolume': `k3d-${name}-images`,
    'k3d.cluster.network': networkName,
    'k3d.cluster.network.external': String(external),
    'k3d.cluster.network.id': network.id,
    'k3d.cluster.network.iprange': network.subnet,
    'k3d.cluster.token': token,
    'k3d.cluster.url': `https://k3d-${name}-server-0:6443`,
    'k3d.server.loadbalancer': `k3d-${name}-serverlb`,
    'k3d.version': K3D_VERSION,
  };
  const env = [`K3S_TOKEN=${token}`];
  const volumes = [`k3d-${name}-images:/k3d/images`];
  const server = newNode({
    name: `k3d-${name}-server-0`,
    role: 'server',
    image,
    volumes,
    env: [...env, 'K3S_KUBECONFIG_OUTPUT=/output/kubeconfig.yaml'],
    cmd: ['server', ...serverArgs, '--tls-san', apiHost, '--tls-san', `k3d-${name}-serverlb`],
    labels: {
      ...labels,
      'k3d.role': 'server',
      'k3d.server.api.host': apiHost,
      'k3d.server.api.hostIP': apiHostIP,
      'k3d.server.api.port': apiHostPort,
    },
  });
  const lb = newNode({
    name: `k3d-${name}-serverlb`,
    role: 'loadbalancer',
    image: `ghcr.io/k3d-io/k3d-proxy:${K3D_VERSION.slice(1)}`,
    volumes,
    env,
    labels: { ...labels, 'k3d.role': 'loadbalancer' },
    portBindings: { '6443/tcp': [{ HostIp: apiHostIP, HostPort: apiHostPort }] },
  });
  const cluster = {
    name,
    network: networkName,
    external,
    serverIP: '',
    disabled,
    serverArgs,
    crds: {},
    releases: {},
    resourceVersion: 100,
    objects: {},
    nodes: [server, lb],
  };
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    cluster.objects[`Namespace||${ns}`] = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        uid: randomUUID(),
        resourceVersion: String(++cluster.resourceVersion),
        creationTimestamp: now(),
        labels: { 'kubernetes.io/metadata.name': ns },
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
  }
  log('INFO', `Starting cluster '${name}'`);
  log('INFO', 'Starting servers...');
  log('INFO', `Starting node '${server.name}'`);
  startNode(cluster, server, networks);
  log('INFO', 'All agents already running.');
  log('INFO', 'Starting helpers...');
  log('INFO', `Starting node '${lb.name}'`);
  const clash = listClusters().find((other) =>
    other.nodes.some(
      (n) =>
        n.running &&
        Object.values(n.portBindings)
          .flat()
          .some((b) => b.HostPort === apiHostPort),
    ),
  );
  if (clash) {
    detach(networks[networkName], server.name);
    saveNetworks(networks);
    throw rollBack(
      name,
      `Failed Cluster Start: Failed to add one or more helper nodes: runtime failed to start node '${lb.name}': docker failed to start container for node '${lb.name}': Error response from daemon: driver failed programming external connectivity on endpoint ${lb.name} (${hex(32)}): Bind for ${apiHostIP}:${apiHostPort} failed: port is already allocated`,
    );
  }
  startNode(cluster, lb, networks);
  saveNetworks(networks);
  saveCluster(cluster);
  log(
    'INFO',
    `Injecting records for hostAliases (incl. host.k3d.internal) and for 2 network members into CoreDNS configmap...`,
  );
  log('INFO', `Cluster '${name}' created successfully!`);

  const update = config.options?.kubeconfig?.updateDefaultKubeconfig ?? true;
  const switchContext = update && (config.options?.kubeconfig?.switchCurrentContext ?? true);
  if (update) {
    // KubeconfigGetDefaultPath refuses a KUBECONFIG of several files; clusterCreate only warns.
    if ((process.env.KUBECONFIG ?? '').split(':').filter(Boolean).length > 1) {
      log(
        'WARN',
        'failed to get default kubeconfig path: multiple kubeconfigs specified via KUBECONFIG env var: Please reduce to one entry, unset KUBECONFIG or explicitly choose an output',
      );
    } else {
      const kubeconfig = loadKubeconfig();
      kubeconfig.contexts[`k3d-${name}`] = {
        cluster: name,
        server: `https://${apiHost}:${apiHostPort}`,
        hostPort: apiHostPort,
      };
      if (switchContext) kubeconfig.current = `k3d-${name}`;
      saveKubeconfig(kubeconfig);
    }
  }
  log('INFO', 'You can now use it like this:');
  return switchContext
    ? 'kubectl cluster-info\n'
    : `kubectl config use-context k3d-${name}\nkubectl cluster-info\n`;
}

function namedClusters(positional, all) {
  if (all || positional.length === 0) return listClusters();
  return positional.map((name) => {
    const cluster = loadCluster(name);
    if (!cluster) throw fatal('No nodes found for given cluster');
    return cluster;
  });
}

function getClusters(flags, positional) {
  requireEngine();
  const clusters = namedClusters(positional, false);
  if (flags.output === 'json') return `${JSON.stringify(clusters.map(clusterJson))}\n`;
  if (flags.output) throw fatal(`Unknown output format '${flags.output}'`);
  const rows = [['NAME', 'SERVERS', 'AGENTS', 'LOADBALANCER']];
  for (const cluster of clusters) {
    const json = clusterJson(cluster);
    rows.push([
      cluster.name,
      `${json.serversRunning}/${json.serversCount}`,
      `${json.agentsRunning}/${json.agentsCount}`,
      'true',
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(6, ...rows.map((row) => row[i].length)) + 3);
  return `${rows.map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]) : cell)).join('')).join('\n')}\n`;
}

function startClusters(flags, positional) {
  requireEngine();
  const clusters = namedClusters(positional, flags.all);
  if (clusters.length === 0) log('INFO', 'No clusters found');
  const networks = loadNetworks();
  for (const cluster of clusters) {
    log('INFO', 'Using the k3d-tools node to gather environment information');
    log('INFO', 'Starting new tools node...');
    log('INFO', `Starting node 'k3d-${cluster.name}-tools'`);
    log('INFO', `Starting cluster '${cluster.name}'`);
    for (const [role, heading] of [
      ['server', 'servers'],
      ['agent', 'agents'],
      ['loadbalancer', 'helpers'],
    ]) {
      const stopped = cluster.nodes.filter((node) => node.role === role && !node.running);
      if (stopped.length === 0) {
        log('INFO', `All ${heading} already running.`);
        continue;
      }
      log('INFO', `Starting ${heading}...`);
      for (const node of stopped) {
        log('INFO', `Starting node '${node.name}'`);
        startNode(cluster, node, networks);
      }
    }
    saveNetworks(networks);
    saveCluster(cluster);
    log('INFO', `Started cluster '${cluster.name}'`);
  }
  return '';
}

function stopClusters(flags, positional) {
  requireEngine();
  const clusters = namedClusters(positional, flags.all);
  if (clusters.length === 0) log('INFO', 'No clusters found');
  const networks = loadNetworks();
  for (const cluster of clusters) {
    log('INFO', `Stopping cluster '${cluster.name}'`);
    for (const node of cluster.nodes) stopNode(cluster, node, networks);
    saveNetworks(networks);
    saveCluster(cluster);
    log('INFO', `Stopped cluster '${cluster.name}'`);
  }
  return '';
}

function deleteClusters(flags, positional) {
  requireEngine();
  const names = flags.all
    ? listClusters().map((c) => c.name)
    : positional.length > 0
      ? positional
      : ['k3s-default'];
  const existing = names.map(loadCluster).filter(Boolean);
  if (existing.length === 0) {
    log('INFO', 'No clusters found');
    return '';
  }
  const networks = loadNetworks();
  const kubeconfig = loadKubeconfig();
  for (const cluster of existing) {
    const name = cluster.name;
    log('INFO', `Deleting cluster '${name}'`);
    const network = networks[cluster.network];
    for (const node of cluster.nodes) detach(network, node.name);
    if (network && !cluster.external && Object.keys(network.containers).length === 0) {
      log('INFO', `Deleting cluster network '${network.name}'`);
      delete networks[cluster.network];
    }
    log('INFO', 'Deleting 1 attached volumes...');
    removeCluster(name);
    log('INFO', 'Removing cluster details from default kubeconfig...');
    if ((process.env.KUBECONFIG ?? '').split(':').filter(Boolean).length > 1) {
      log('WARN', 'Failed to remove cluster details from default kubeconfig');
      log(
        'WARN',
        'failed to get default kubeconfig path: multiple kubeconfigs specified via KUBECONFIG env var: Please reduce to one entry, unset KUBECONFIG or explicitly choose an output',
      );
    } else {
      delete kubeconfig.contexts[`k3d-${name}`];
      if (kubeconfig.current === `k3d-${name}`) kubeconfig.current = '';
    }
    log('INFO', 'Removing standalone kubeconfig file (if there is one)...');
    log('INFO', `Successfully deleted cluster ${name}!`);
  }
  saveNetworks(networks);
  saveKubeconfig(kubeconfig);
  return '';
}

const SPEC = flagSpec([
  [['--config', '-c'], { value: true }],
  [['--output', '-o'], { value: true }],
  [['--wait'], { value: false }],
  [['--timeout'], { value: true }],
  [['--all', '-a'], { value: false }],
  [['--no-headers'], { value: false }],
  [['--verbose'], { value: false }],
]);

/** `k3d kubeconfig merge NAME --kubeconfig-merge-default`: the cluster's context back into the kubeconfig. */
function mergeKubeconfig(args) {
  requireEngine();
  const names = args.filter((arg) => !arg.startsWith('-'));
  const switchContext = !args.includes('--kubeconfig-switch-context=false');
  if ((process.env.KUBECONFIG ?? '').split(':').filter(Boolean).length > 1) {
    throw fatal(
      'failed to get default kubeconfig path: multiple kubeconfigs specified via KUBECONFIG env var: Please reduce to one entry, unset KUBECONFIG or explicitly choose an output',
    );
  }
  const kubeconfig = loadKubeconfig();
  for (const name of names) {
    const cluster = loadCluster(name);
    if (!cluster) throw fatal('No nodes found for given cluster');
    const server = cluster.nodes.find((node) => node.role === 'server');
    kubeconfig.contexts[`k3d-${name}`] = {
      cluster: name,
      server: `https://${server.labels['k3d.server.api.host']}:${server.labels['k3d.server.api.port']}`,
      hostPort: server.labels['k3d.server.api.port'],
    };
    if (switchContext) kubeconfig.current = `k3d-${name}`;
  }
  saveKubeconfig(kubeconfig);
  return `${process.env.HOME ?? '/root'}/.kube/config\n`;
}

export function k3d(args) {
  if (args[0] === 'version' || args[0] === '--version')
    return `k3d version ${K3D_VERSION}\nk3s version ${K3S_DEFAULT} (default)\n`;
  const [group, verb, ...rest] = args;
  if (group === 'kubeconfig' && verb === 'merge') return mergeKubeconfig(rest);
  if (group !== 'cluster') throw fatal(`unknown command "${group}" for "k3d"`);
  const { flags, positional } = parseArgs(rest, SPEC, (flag) => `FATA[0000] unknown flag: ${flag}`);
  if (verb === 'create') return createCluster(flags, positional);
  if (verb === 'get' || verb === 'list' || verb === 'ls') return getClusters(flags, positional);
  if (verb === 'delete' || verb === 'del' || verb === 'rm') return deleteClusters(flags, positional);
  if (verb === 'start') return startClusters(flags, positional);
  if (verb === 'stop') return stopClusters(flags, positional);
  throw fatal(`unknown command "${verb}" for "k3d cluster"`);
}
