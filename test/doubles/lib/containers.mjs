// The node containers of the fake k3d clusters, as the fake docker sees them: created with their cluster,
// started and stopped by k3d or docker, holding an address on the cluster's network only while they run
// (a started container usually gets a new one). `docker inspect` prints them in Docker's shape.
import { listClusters, listObjects, loadCluster, refreshLoadBalancer, saveCluster } from './cluster.mjs';
import { attach, detach, loadNetworks, saveNetworks } from './networks.mjs';
import { hex, now } from './state.mjs';

/** A container record for a node; it starts stopped. */
export function newNode(fields) {
  return {
    id: hex(32),
    imageId: `sha256:${hex(32)}`,
    created: now(),
    running: false,
    status: 'created',
    startedAt: '0001-01-01T00:00:00Z',
    finishedAt: '0001-01-01T00:00:00Z',
    ip: '',
    env: [],
    cmd: [],
    portBindings: {},
    ...fields,
  };
}

/** Starts a node: an address on the network; the server's address is what servicelb hands out. */
export function startNode(cluster, node, networks) {
  if (node.running) return;
  const network = networks[cluster.network];
  node.ip = network ? attach(network, node.name) : '';
  node.running = true;
  node.status = 'running';
  node.startedAt = now();
  if (node.role === 'server') {
    cluster.serverIP = node.ip;
    cluster.startedAtMs = Date.now();
    for (const service of listObjects(cluster, 'Service')) {
      if (service.spec?.type === 'LoadBalancer') refreshLoadBalancer(cluster, service);
    }
  }
}

export function stopNode(cluster, node, networks) {
  if (!node.running) return;
  detach(networks[cluster.network], node.name);
  node.running = false;
  node.status = 'exited';
  node.finishedAt = now();
  node.ip = '';
}

/** Every node container of every fake cluster, with the cluster it belongs to. */
export function allContainers() {
  return listClusters().flatMap((cluster) => cluster.nodes.map((node) => ({ cluster, node })));
}

/** Starts or stops containers by name (docker start|stop|restart); unknown names are returned. */
export function changeContainers(names, action) {
  const networks = loadNetworks();
  const missing = [];
  const touched = new Map();
  for (const name of names) {
    const found = allContainers().find(({ node }) => node.name === name || node.id.startsWith(name));
    if (!found) {
      missing.push(name);
      continue;
    }
    const cluster = touched.get(found.cluster.name) ?? loadCluster(found.cluster.name);
    const node = cluster.nodes.find((n) => n.name === found.node.name);
    if (action !== 'start') stopNode(cluster, node, networks);
    if (action !== 'stop') startNode(cluster, node, networks);
    touched.set(cluster.name, cluster);
    saveNetworks(networks);
    saveCluster(cluster);
  }
  return missing;
}

/** `docker inspect` of a node container (the fields a runbook reads, in Docker's own names). */
export function inspectContainer(cluster, node) {
  return {
    Id: node.id,
    Created: node.created,
    Path: '/bin/k3d-entrypoint.sh',
    Args: node.cmd,
    State: {
      Status: node.status,
      Running: node.running,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: node.running ? 4000 + (Number.parseInt(node.id.slice(0, 4), 16) % 60000) : 0,
      ExitCode: node.status === 'exited' ? 143 : 0,
      Error: '',
      StartedAt: node.startedAt,
      FinishedAt: node.finishedAt,
    },
    Image: node.imageId,
    Name: `/${node.name}`,
    RestartCount: 0,
    HostConfig: {
      Binds: node.volumes ?? [],
      PortBindings: node.portBindings,
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      Memory: 0,
    },
    Config: {
      Hostname: node.name,
      Env: node.env,
      Cmd: node.cmd,
      Image: node.image,
      Labels: node.labels,
    },
    NetworkSettings: {
      Ports: node.running ? node.portBindings : {},
      Networks: {
        [cluster.network]: {
          Aliases: [node.name],
          NetworkID: loadNetworks()[cluster.network]?.id ?? '',
          Gateway: node.running ? (loadNetworks()[cluster.network]?.gateway ?? '') : '',
          IPAddress: node.ip,
          IPPrefixLen: node.running ? 16 : 0,
          MacAddress: node.running ? '02:42:ac:12:00:02' : '',
        },
      },
    },
  };
}
