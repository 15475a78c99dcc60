// Fake docker 27: `info` and `version` (with --format), `network ls|inspect|create|rm`, and the node
// containers of the fake k3d clusters: `ps`, `inspect`, `start|stop|restart`. RUNBOOK_FAKE_DOCKER_MEMORY
// (bytes) and RUNBOOK_FAKE_DOCKER_CPUS set what the engine reports.
import { allContainers, changeContainers, inspectContainer } from './containers.mjs';
import { createNetwork, loadNetworks, saveNetworks } from './networks.mjs';
import { DOCKER_DOWN_MESSAGE, dockerRunning, hex, ToolError } from './state.mjs';

const VERSION = '27.3.1';

function engineInfo() {
  return {
    ServerVersion: VERSION,
    OperatingSystem: process.env.RUNBOOK_FAKE_DOCKER_OS || 'Ubuntu 24.04.1 LTS',
    OSType: 'linux',
    Architecture: 'x86_64',
    NCPU: Number(process.env.RUNBOOK_FAKE_DOCKER_CPUS || 8),
    MemTotal: Number(process.env.RUNBOOK_FAKE_DOCKER_MEMORY || 12_541_001_728),
    Containers: allContainers().length,
    Name: 'docker-desktop',
  };
}

/** The part of Go's text/template docker's --format uses: `{{.A.B}}`, `{{json .A}}`, `\t`, `\n`. */
export function goTemplate(template, data) {
  const text = template.replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  return text.replace(/\{\{\s*(json\s+)?\.([\w.]*)\s*\}\}/g, (_, json, dotted) => {
    const value = dotted ? dotted.split('.').reduce((node, part) => node?.[part], data) : data;
    if (json) return JSON.stringify(value ?? null);
    if (value === undefined || value === null) return '<no value>';
    if (typeof value === 'object')
      return Array.isArray(value)
        ? `[${value.join(' ')}]`
        : `map[${Object.entries(value)
            .map(([k, v]) => `${k}:${v}`)
            .join(' ')}]`;
    return String(value);
  });
}

function flagValue(args, ...names) {
  for (let i = 0; i < args.length; i++) {
    for (const name of names) {
      if (args[i] === name) return args[i + 1];
      if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
    }
  }
  return undefined;
}

function flagValues(args, name) {
  const values = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) values.push(args[++i]);
    else if (args[i].startsWith(`${name}=`)) values.push(args[i].slice(name.length + 1));
  }
  return values;
}

/** Positional arguments, skipping the flags that take a value. */
function operands(args, valued = ['--format', '-f', '--filter', '--type']) {
  const out = [];
  for (let i = 0; i < args.length; i++) {
    if (valued.includes(args[i])) i++;
    else if (!args[i].startsWith('-')) out.push(args[i]);
  }
  return out;
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
  const names = operands(rest);
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
    const format = flagValue(rest, '--format', '-f');
    const objects = names.map((name) => inspectNetwork(networks[name]));
    if (format) return objects.map((object) => `${goTemplate(format, object)}\n`).join('');
    return `${JSON.stringify(objects, null, 4)}\n`;
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

/** `127.0.0.1:6550->6443/tcp`, the PORTS column of `docker ps`. */
function portsColumn(node) {
  if (!node.running) return '';
  return Object.entries(node.portBindings)
    .flatMap(([port, bindings]) => bindings.map((b) => `${b.HostIp || '0.0.0.0'}:${b.HostPort}->${port}`))
    .join(', ');
}

function ps(args) {
  const all = args.includes('-a') || args.includes('--all');
  const filters = flagValues(args, '--filter').concat(flagValues(args, '-f'));
  const rows = allContainers()
    .filter(({ node }) => all || node.running)
    .filter(({ node }) =>
      filters.every((filter) => {
        const [name, value] = filter.split('=');
        if (name === 'name') return node.name.includes(value);
        if (name === 'label') {
          const [k, v] = value.split('=');
          return v === undefined ? k in node.labels : node.labels[k] === v;
        }
        if (name === 'status') return node.status === value;
        throw new ToolError(`Error response from daemon: invalid filter '${name}'`);
      }),
    )
    .map(({ node }) => ({
      ID: node.id.slice(0, 12),
      Image: node.image,
      Command: `"/bin/k3d-entrypoint…"`,
      Status: node.running ? 'Up 5 minutes' : 'Exited (143) 1 minute ago',
      Ports: portsColumn(node),
      Names: node.name,
    }));
  const format = flagValue(args, '--format');
  if (format) return rows.map((row) => `${goTemplate(format, row)}\n`).join('');
  const lines = ['CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES'];
  for (const row of rows)
    lines.push(
      `${row.ID}   ${row.Image}   ${row.Command}   5 minutes ago   ${row.Status}   ${row.Ports}   ${row.Names}`,
    );
  return `${lines.join('\n')}\n`;
}

function inspect(args, containerOnly) {
  const names = operands(args);
  if (names.length === 0)
    throw new ToolError(`"docker ${containerOnly ? 'container ' : ''}inspect" requires at least 1 argument.`);
  const objects = [];
  const errors = [];
  for (const name of names) {
    const found = allContainers().find(({ node }) => node.name === name || node.id.startsWith(name));
    if (found) objects.push(inspectContainer(found.cluster, found.node));
    else if (!containerOnly && loadNetworks()[name]) objects.push(inspectNetwork(loadNetworks()[name]));
    else
      errors.push(
        containerOnly
          ? `Error response from daemon: No such container: ${name}`
          : `Error: No such object: ${name}`,
      );
  }
  const format = flagValue(args, '--format', '-f');
  const out = format
    ? objects.map((object) => `${goTemplate(format, object)}\n`).join('')
    : `${JSON.stringify(objects, null, 4)}\n`;
  if (errors.length > 0) {
    process.stdout.write(out);
    throw new ToolError(errors.join('\n'));
  }
  return out;
}

function containerLifecycle(action, args) {
  const names = operands(args, ['--time', '-t', '--signal', '-s']);
  if (names.length === 0) throw new ToolError(`"docker ${action}" requires at least 1 argument.`);
  const missing = changeContainers(names, action);
  const done = names
    .filter((name) => !missing.includes(name))
    .map((name) => `${name}\n`)
    .join('');
  if (missing.length > 0) {
    process.stdout.write(done);
    throw new ToolError(
      missing.map((name) => `Error response from daemon: No such container: ${name}`).join('\n'),
    );
  }
  return done;
}

export function docker(args) {
  if (args[0] === '--version' || args[0] === '-v') return `Docker version ${VERSION}, build ce12230\n`;
  const [command, ...rest] = args;
  if (command === 'version') {
    const format = flagValue(rest, '--format', '-f');
    if (format === '{{.Client.Version}}') return `${VERSION}\n`;
    requireEngine();
    if (format === '{{.Server.Version}}') return `${VERSION}\n`;
    return `Client:\n Version:           ${VERSION}\n\nServer: Docker Engine - Community\n Engine:\n  Version:          ${VERSION}\n`;
  }
  if (command === 'info') {
    const format = flagValue(rest, '--format', '-f');
    if (!dockerRunning()) {
      if (format) throw new ToolError(DOCKER_DOWN_MESSAGE);
      throw new ToolError(
        `Client:\n Version:    ${VERSION}\n Context:    default\n\nServer:\nERROR: ${DOCKER_DOWN_MESSAGE}\nerrors pretty printing info`,
      );
    }
    const info = engineInfo();
    if (format) return `${goTemplate(format, info)}\n`;
    return `Client:\n Version:    ${VERSION}\n Context:    default\n\nServer:\n Containers: ${info.Containers}\n Server Version: ${VERSION}\n Storage Driver: overlay2\n Operating System: ${info.OperatingSystem}\n CPUs: ${info.NCPU}\n Total Memory: ${(info.MemTotal / 1024 ** 3).toFixed(2)}GiB\n`;
  }
  requireEngine();
  if (command === 'network') return networkCommand(rest);
  if (command === 'ps') return ps(rest);
  if (command === 'inspect') return inspect(rest, false);
  if (command === 'container') {
    const [verb, ...more] = rest;
    if (verb === 'inspect') return inspect(more, true);
    if (verb === 'ls' || verb === 'list' || verb === 'ps') return ps(more);
    if (['start', 'stop', 'restart'].includes(verb)) return containerLifecycle(verb, more);
    throw new ToolError(`docker: 'container ${verb}' is not a docker command.`);
  }
  if (['start', 'stop', 'restart'].includes(command)) return containerLifecycle(command, rest);
  throw new ToolError(`docker: '${command}' is not a docker command.\nSee 'docker --help'`);
}
