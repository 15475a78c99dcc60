// Fake k3d v5: `version`, `cluster create --config`, `cluster get|list [-o json]`, `cluster delete`.
// Logs go to stderr in k3d's logrus form (`INFO[0000] ...`); the JSON of `cluster get` has the shape of
// k3d v5's `jsonOutput` (pkg/types Cluster + counts).
import { loadCluster, loadKubeconfig, saveCluster, saveKubeconfig } from './cluster.mjs';
import { attach, createNetwork, loadNetworks, saveNetworks } from './docker.mjs';
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
  removeState,
  ToolError,
} from './state.mjs';

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
  if (external && config.subnet && config.subnet !== 'auto')
    throw fatal(
      'Failed Cluster Preparation: Failed Network Preparation: cannot specify subnet for exiting network',
    );

  const apiHostIP = config.kubeAPI?.hostIP ?? '0.0.0.0';
  const apiHost = config.kubeAPI?.host ?? apiHostIP;
  const apiHostPort = config.kubeAPI?.hostPort ?? String(30000 + Math.floor(Math.random() * 20000));
  const kubeconfig = loadKubeconfig();
  const portTaken = Object.values(kubeconfig.contexts).some((context) => context.hostPort === apiHostPort);
  if (portTaken) {
    throw fatal(
      `Failed Cluster Start: Failed to start server k3d-${name}-serverlb: docker failed to start container for node 'k3d-${name}-serverlb': Error response from daemon: driver failed programming external connectivity on endpoint k3d-${name}-serverlb: Bind for ${apiHostIP}:${apiHostPort} failed: port is already allocated`,
    );
  }

  log('INFO', 'Prep: Network');
  const networks = loadNetworks();
  let network = networks[networkName];
  if (network) log('INFO', `Re-using existing network '${networkName}' (${network.id})`);
  else {
    network = createNetwork(networks, networkName, { app: 'k3d' });
    log('INFO', `Created network '${networkName}'`);
  }
  log('INFO', `Created image volume k3d-${name}-images`);

  const serverArgs = (config.options?.k3s?.extraArgs ?? [])
    .filter((entry) => selectsServer(entry.nodeFilters))
    .map((entry) => entry.arg);
  const disabled = serverArgs.flatMap((arg) =>
    /^--disable[= ]/.test(arg) ? arg.replace(/^--disable[= ]/, '').split(',') : [],
  );
  const image = config.image ?? `rancher/k3s:${K3S_DEFAULT}`;
  attach(network, `k3d-${name}-tools`);
  const serverIP = attach(network, `k3d-${name}-server-0`);
  const lbIP = attach(network, `k3d-${name}-serverlb`);
  delete network.containers[`k3d-${name}-tools`];
  saveNetworks(networks);

  const labels = {
    app: 'k3d',
    'k3d.cluster': name,
    'k3d.cluster.network': networkName,
    'k3d.cluster.network.external': String(external),
  };
  const kubeAPI = { Port: '6443/tcp', Binding: { HostIp: apiHostIP, HostPort: apiHostPort }, host: apiHost };
  const node = (nodeName, role, ip, extra) => ({
    name: nodeName,
    role,
    image,
    volumes: [`k3d-${name}-images:/k3d/images`],
    env: [`K3S_TOKEN=${hex(10)}`],
    Cmd: null,
    restart: true,
    created: now(),
    runtimeLabels: { ...labels, 'k3d.role': role },
    Networks: [networkName],
    ExtraHosts: null,
    serverOpts: role === 'server' ? { kubeAPI } : { kubeAPI: null },
    agentOpts: {},
    GPURequest: '',
    Memory: '',
    State: { Running: true, Status: 'running', Started: now() },
    IP: { IP: ip, Static: false },
    K3dEntrypoint: true,
    ...extra,
  });
  const k3dCluster = {
    name,
    network: {
      name: networkName,
      id: network.id,
      isExternal: external,
      ipam: { ipPrefix: network.subnet, ipsUsed: null, Managed: false },
      Members: null,
    },
    nodes: [
      node(`k3d-${name}-server-0`, 'server', serverIP, { extraArgs: serverArgs }),
      node(`k3d-${name}-serverlb`, 'loadbalancer', lbIP, {
        image: `ghcr.io/k3d-io/k3d-proxy:${K3D_VERSION.slice(1)}`,
        portMappings: { '6443/tcp': [{ HostIp: apiHostIP, HostPort: apiHostPort }] },
      }),
    ],
    InitNode: null,
    kubeAPI,
    serverLoadBalancer: {
      config: { ports: { '6443.tcp': [`k3d-${name}-server-0`] }, settings: { workerConnections: 1024 } },
    },
    imageVolume: `k3d-${name}-images`,
    volumes: [`k3d-${name}-images`],
  };

  const cluster = {
    name,
    k3d: k3dCluster,
    network: networkName,
    serverIP,
    disabled,
    serverArgs,
    crds: {},
    releases: {},
    resourceVersion: 100,
    objects: {},
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
      status: { phase: 'Active' },
    };
  }
  saveCluster(cluster);
  log('INFO', `Starting cluster '${name}'`);
  log('INFO', 'Starting servers...');
  log('INFO', `Starting node 'k3d-${name}-server-0'`);

  const update = config.options?.kubeconfig?.updateDefaultKubeconfig ?? true;
  const switchContext = config.options?.kubeconfig?.switchCurrentContext ?? true;
  if (update) {
    kubeconfig.contexts[`k3d-${name}`] = {
      cluster: name,
      server: `https://${apiHost}:${apiHostPort}`,
      hostPort: apiHostPort,
    };
    if (switchContext) kubeconfig.current = `k3d-${name}`;
    saveKubeconfig(kubeconfig);
    log('INFO', `Updating default kubeconfig with a new context for cluster ${name}`);
  }
  log('INFO', `Cluster '${name}' created successfully!`);
  log('INFO', 'You can now use it like this:');
  return switchContext
    ? 'kubectl cluster-info\n'
    : `kubectl config use-context k3d-${name}\nkubectl cluster-info\n`;
}

function jsonEntry(cluster) {
  const servers = cluster.k3d.nodes.filter((node) => node.role === 'server');
  const agents = cluster.k3d.nodes.filter((node) => node.role === 'agent');
  return {
    ...cluster.k3d,
    serversRunning: servers.length,
    serversCount: servers.length,
    agentsRunning: agents.length,
    agentsCount: agents.length,
    hasLoadbalancer: cluster.k3d.nodes.some((node) => node.role === 'loadbalancer'),
  };
}

function allClusterNames() {
  const kubeconfig = loadKubeconfig();
  const names = new Set(Object.values(kubeconfig.contexts).map((context) => context.cluster));
  return [...names].filter((name) => loadCluster(name)).sort();
}

function getClusters(flags, positional) {
  requireEngine();
  const names = positional.length > 0 ? positional : allClusterNames();
  const clusters = names.map((name) => {
    const cluster = loadCluster(name);
    if (!cluster) throw fatal('No nodes found for given cluster');
    return cluster;
  });
  if (flags.output === 'json') return `${JSON.stringify(clusters.map(jsonEntry))}\n`;
  if (flags.output) throw fatal(`Unknown output format '${flags.output}'`);
  const lines = ['NAME        SERVERS   AGENTS   LOADBALANCER'];
  for (const cluster of clusters) lines.push(`${cluster.name}   1/1       0/0      true`);
  return `${lines.join('\n')}\n`;
}

function deleteClusters(flags, positional) {
  requireEngine();
  const names = flags.all ? allClusterNames() : positional.length > 0 ? positional : ['k3s-default'];
  const existing = names.filter((name) => loadCluster(name));
  if (existing.length === 0) {
    log('INFO', 'No clusters found');
    return '';
  }
  const networks = loadNetworks();
  const kubeconfig = loadKubeconfig();
  for (const name of existing) {
    const cluster = loadCluster(name);
    log('INFO', `Deleting cluster '${name}'`);
    const network = networks[cluster.network];
    if (network) {
      for (const container of Object.keys(network.containers)) {
        if (container.startsWith(`k3d-${name}-`)) delete network.containers[container];
      }
      if (!cluster.k3d.network.isExternal && Object.keys(network.containers).length === 0) {
        log('INFO', `Deleting cluster network '${network.name}'`);
        delete networks[cluster.network];
      }
    }
    log('INFO', `Deleting 1 attached volumes...`);
    removeState(`clusters/${name}`);
    delete kubeconfig.contexts[`k3d-${name}`];
    if (kubeconfig.current === `k3d-${name}`) kubeconfig.current = '';
    log('INFO', 'Removing cluster details from default kubeconfig...');
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

export function k3d(args) {
  if (args[0] === 'version' || args[0] === '--version')
    return `k3d version ${K3D_VERSION}\nk3s version ${K3S_DEFAULT} (default)\n`;
  const [group, verb, ...rest] = args;
  if (group !== 'cluster') throw fatal(`unknown command "${group}" for "k3d"`);
  const { flags, positional } = parseArgs(rest, SPEC, (flag) => `FATA[0000] unknown flag: ${flag}`);
  if (verb === 'create') return createCluster(flags, positional);
  if (verb === 'get' || verb === 'list' || verb === 'ls') return getClusters(flags, positional);
  if (verb === 'delete' || verb === 'del' || verb === 'rm') return deleteClusters(flags, positional);
  throw fatal(`unknown command "${verb}" for "k3d cluster"`);
}
