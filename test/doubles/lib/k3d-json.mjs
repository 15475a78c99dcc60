// What `k3d cluster get|list --output json` prints: k3d v5's Cluster as ClusterGet rebuilds it from the
// containers (pkg/runtimes/docker/translate.go, pkg/client/cluster.go) plus the counts of cmd/cluster's
// jsonOutput. Fields k3d does not read back from Docker are empty or absent, as they are there.

/** A node as TranslateContainerDetailsToNode reads it: image ID, Cmd with every flag, k3d labels only. */
function nodeJson(cluster, node) {
  const labels = Object.fromEntries(Object.entries(node.labels).filter(([k]) => k.startsWith('k3d')));
  const json = {
    name: node.name,
    role: node.role,
    image: node.imageId,
    volumes: node.volumes ?? [],
    env: node.env,
    Cmd: node.cmd,
    // omitempty: only the load balancer publishes ports.
    ...(Object.keys(node.portBindings).length > 0 ? { portMappings: node.portBindings } : {}),
    restart: true,
    created: node.created,
    runtimeLabels: labels,
    Networks: [cluster.network],
    ExtraHosts: null,
    serverOpts: {
      kubeAPI: {
        Port: '',
        Binding: {
          HostIp: labels['k3d.server.api.hostIP'] ?? '',
          HostPort: labels['k3d.server.api.port'] ?? '',
        },
        ...(labels['k3d.server.api.host'] ? { host: labels['k3d.server.api.host'] } : {}),
      },
    },
    agentOpts: {},
    GPURequest: '',
    Memory: '',
    State: { Running: node.running, Status: node.status, Started: '' },
    IP: { IP: node.ip, Static: false },
    K3dEntrypoint: false,
  };
  return json;
}

export function clusterJson(cluster) {
  const nodes = cluster.nodes.map((node) => nodeJson(cluster, node));
  const servers = cluster.nodes.filter((node) => node.role === 'server');
  const agents = cluster.nodes.filter((node) => node.role === 'agent');
  const lb = nodes.find((node) => node.role === 'loadbalancer');
  return {
    name: cluster.name,
    network: {
      name: cluster.network,
      id: '',
      ...(cluster.external ? { isExternal: true } : {}),
      // ipsUsed is omitempty; ipPrefix is a netip.Prefix, printed "" when k3d did not read it back.
      ipam: { ipPrefix: '', Managed: false },
      Members: null,
    },
    nodes,
    InitNode: null,
    ...(lb
      ? {
          serverLoadBalancer: {
            ...lb,
            config: {
              ports: { '6443.tcp': servers.map((node) => node.name) },
              settings: { workerConnections: 1024 },
            },
          },
        }
      : {}),
    imageVolume: `k3d-${cluster.name}-images`,
    volumes: [`k3d-${cluster.name}-images`],
    serversRunning: servers.filter((node) => node.running).length,
    serversCount: servers.length,
    agentsRunning: agents.filter((node) => node.running).length,
    agentsCount: agents.length,
    ...(lb ? { hasLoadbalancer: true } : {}),
  };
}
