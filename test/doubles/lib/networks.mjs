// Docker networks, shared by the fake docker (network ls|inspect|create|rm) and the fake k3d, which creates
// a network for its clusters and attaches their node containers to it.
import { hex, now, readState, writeState } from './state.mjs';

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

/**
 * Attaches a running container and returns its address. Docker's IPAM hands out addresses in turn rather
 * than re-using the lowest free one, so a container that is started again usually gets a new address.
 */
export function attach(network, containerName) {
  const host = network.nextHost++;
  const ip = network.subnet.replace(/0\.0\/16$/, `${Math.floor(host / 256)}.${host % 256}`);
  network.containers[containerName] = ip;
  return ip;
}

export function detach(network, containerName) {
  if (network) delete network.containers[containerName];
}
