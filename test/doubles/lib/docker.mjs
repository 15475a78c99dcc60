// Fake docker: `info`, `version`, `--version`, `network ls|inspect|create|rm`. Networks are shared with
// the fake k3d (which creates them for its clusters).
import { DOCKER_DOWN_MESSAGE, dockerRunning, hex, now, readState, ToolError, writeState } from './state.mjs';

const VERSION = '27.3.1';

export function loadNetworks() {
  return readState('networks', {});
}

export function saveNetworks(networks) {
  writeState('networks', networks);
}

/** Creates a bridge network with the next free 172.x.0.0/16 subnet, as Docker's default pools do. */
export function createNetwork(networks, name, labels = {}) {
  const used = new Set(Object.values(networks).map((network) => network.subnet));
  let second = 18;
  while (used.has(`172.${second}.0.0/16`)) second++;
  const network = {
    name,
    id: hex(32),
    created: now(),
    subnet: `172.${second}.0.0/16`,
    gateway: `172.${second}.0.1`,
    nextHost: 2,
    labels,
    containers: {},
  };
  networks[name] = network;
  return network;
}

/** Attaches a container and returns its address on the network. */
export function attach(network, containerName) {
  const ip = network.subnet.replace(/0\.0\/16$/, `0.${network.nextHost++}`);
  network.containers[containerName] = ip;
  return ip;
}

function inspectNetwork(network) {
  return {
    Name: network.name,
    Id: network.id,
    Created: network.created,
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: null,
      Config: [{ Subnet: network.subnet, Gateway: network.gateway }],
    },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: Object.fromEntries(
      Object.entries(network.containers).map(([name, ip]) => [
        hex(32),
        {
          Name: name,
          EndpointID: hex(32),
          MacAddress: '02:42:ac:12:00:02',
          IPv4Address: `${ip}/16`,
          IPv6Address: '',
        },
      ]),
    ),
    Options: { 'com.docker.network.bridge.enable_ip_masquerade': 'true' },
    Labels: network.labels,
  };
}

function requireEngine() {
  if (!dockerRunning()) throw new ToolError(DOCKER_DOWN_MESSAGE);
}

function networkCommand(args) {
  const [sub, ...rest] = args;
  const networks = loadNetworks();
  const names = rest.filter((arg) => !arg.startsWith('-'));
  if (sub === 'ls' || sub === 'list') {
    const lines = ['NETWORK ID     NAME      DRIVER    SCOPE'];
    for (const network of Object.values(networks))
      lines.push(`${network.id.slice(0, 12)}   ${network.name}   bridge    local`);
    return `${lines.join('\n')}\n`;
  }
  if (sub === 'inspect') {
    if (names.length === 0) throw new ToolError('"docker network inspect" requires at least 1 argument.');
    const missing = names.filter((name) => !networks[name]);
    if (missing.length > 0)
      throw new ToolError(`Error response from daemon: network ${missing[0]} not found`);
    return `${JSON.stringify(
      names.map((name) => inspectNetwork(networks[name])),
      null,
      4,
    )}\n`;
  }
  if (sub === 'create') {
    const name = names.at(-1);
    if (!name) throw new ToolError('"docker network create" requires exactly 1 argument.');
    if (networks[name])
      throw new ToolError(`Error response from daemon: network with name ${name} already exists`);
    const network = createNetwork(networks, name);
    saveNetworks(networks);
    return `${network.id}\n`;
  }
  if (sub === 'rm' || sub === 'remove') {
    if (names.length === 0) throw new ToolError('"docker network rm" requires at least 1 argument.');
    let out = '';
    for (const name of names) {
      const network = networks[name];
      if (!network) throw new ToolError(`Error response from daemon: network ${name} not found`);
      if (Object.keys(network.containers).length > 0) {
        throw new ToolError(
          `Error response from daemon: error while removing network: network ${name} id ${network.id} has active endpoints`,
        );
      }
      delete networks[name];
      out += `${name}\n`;
    }
    saveNetworks(networks);
    return out;
  }
  throw new ToolError(`docker: 'network ${sub}' is not a docker command.`);
}

export function docker(args) {
  if (args[0] === '--version' || args[0] === '-v') return `Docker version ${VERSION}, build ce12230\n`;
  const [command, ...rest] = args;
  if (command === 'version') {
    const format = rest.indexOf('--format') >= 0 ? rest[rest.indexOf('--format') + 1] : undefined;
    if (format === '{{.Client.Version}}') return `${VERSION}\n`;
    requireEngine();
    if (format === '{{.Server.Version}}') return `${VERSION}\n`;
    return `Client:\n Version:           ${VERSION}\n\nServer: Docker Engine - Community\n Engine:\n  Version:          ${VERSION}\n`;
  }
  if (command === 'info') {
    if (!dockerRunning()) {
      throw new ToolError(
        `Client:\n Version:    ${VERSION}\n Context:    default\n\nServer:\nERROR: ${DOCKER_DOWN_MESSAGE}\nerrors pretty printing info`,
      );
    }
    return `Client:\n Version:    ${VERSION}\n Context:    default\n\nServer:\n Containers: 0\n Server Version: ${VERSION}\n Storage Driver: overlay2\n Operating System: fake\n`;
  }
  if (command === 'network') {
    requireEngine();
    return networkCommand(rest);
  }
  throw new ToolError(`docker: '${command}' is not a docker command.\nSee 'docker --help'`);
}
