// The files the federation runbook's steps use: they parse, match the upstream schemas and keys of the
// versions the runbook pins, and close the gaps that break a multi-network mesh.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const stepsDir = path.join(repoRoot, 'steps');
const referenceDir = path.resolve(repoRoot, '../shared/reference');
const hasReference = existsSync(referenceDir);
if (!hasReference) {
  console.warn(`federation-files: ${referenceDir} is absent; schema and key checks are skipped`);
}
const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasKubectl) console.warn('federation-files: kubectl is not on PATH; kustomize rendering is skipped');

const clusters = [0, 1] as const;

// Parsed YAML of many shapes; the assertions themselves check the shape.
// biome-ignore lint/suspicious/noExplicitAny: test data of arbitrary structure
type Doc = Record<string, any>;

function readYaml(relative: string): Doc {
  return parseYaml(readFileSync(path.join(stepsDir, relative), 'utf8')) as Doc;
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.relative(stepsDir, path.join(entry.parentPath, entry.name)))
    .sort();
}

function k3dConfig(n: number): Doc {
  return readYaml(`k3d-cluster-${n}.yaml`);
}

function serverArgs(config: Doc): string[] {
  const extraArgs: Array<{ arg: string; nodeFilters?: string[] }> = config.options?.k3s?.extraArgs ?? [];
  return extraArgs
    .filter((entry) => (entry.nodeFilters ?? []).some((filter) => filter === 'server:*' || filter === 'all'))
    .map((entry) => entry.arg);
}

function argValue(args: string[], flag: string): string | undefined {
  const prefix = `--${flag}=`;
  return args.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

function cidrRange(cidr: string): [number, number] {
  const [address, bits] = cidr.split('/');
  const octets = (address ?? '').split('.').map(Number);
  expect(octets).toHaveLength(4);
  const start = octets.reduce((sum, octet) => sum * 256 + (octet ?? 0), 0);
  const size = 2 ** (32 - Number(bits));
  return [start, start + size - 1];
}

function overlaps(a: string, b: string): boolean {
  const [aStart, aEnd] = cidrRange(a);
  const [bStart, bEnd] = cidrRange(b);
  return aStart <= bEnd && bStart <= aEnd;
}

/** Every key path of `values` (stopping at leaves and arrays). */
function keyPaths(values: unknown, prefix: string[] = []): string[][] {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) return [prefix];
  return Object.entries(values).flatMap(([key, value]) => keyPaths(value, [...prefix, key]));
}

/** Whether the chart's values define `keyPath`; below an empty map (`env: {}`) any key is allowed. */
function chartDefines(chartValues: unknown, keyPath: string[]): boolean {
  let node: unknown = chartValues;
  for (const key of keyPath) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return false;
    if (Object.keys(node).length === 0) return true;
    if (!(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

/** Every command line of runbook.md's code, with backslash continuations joined. */
function runbookCommands(): string[] {
  const runbook = readFileSync(path.join(repoRoot, 'runbook.md'), 'utf8');
  return runbook
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim());
}

function renderKustomize(relativeDir: string): Doc[] {
  const output = execFileSync('kubectl', ['kustomize', path.join(stepsDir, relativeDir)], {
    encoding: 'utf8',
  });
  return parseAllDocuments(output).map((doc) => doc.toJS() as Doc);
}

describe('every YAML file under steps/', () => {
  const files = yamlFilesUnder(stepsDir);

  it('exists for every file the procedure needs', () => {
    for (const n of clusters) {
      expect(files).toContain(`k3d-cluster-${n}.yaml`);
      expect(files).toContain(`cluster-${n}/istiod/values.yaml`);
      expect(files).toContain(`cluster-${n}/istio-eastwestgateway/values.yaml`);
      expect(files).toContain(`cluster-${n}/gateway-istio-eastwestgateway.yaml`);
      expect(files).toContain(`cluster-${n}/namespace-istio-system.yaml`);
      expect(files).toContain(`cluster-${n}/whoami/kustomization.yaml`);
    }
  });

  it.each(files)('%s parses (every document)', (file) => {
    const docs = parseAllDocuments(readFileSync(path.join(stepsDir, file), 'utf8'));
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(doc.errors.map((error) => error.message)).toEqual([]);
      expect(doc.toJS()).toBeTypeOf('object');
    }
  });
});

describe.skipIf(!hasReference)('steps/ against the upstream reference (../shared/reference)', () => {
  // A skipped suite's body still runs to collect its tests: read nothing when the folder is absent.
  if (!hasReference) return;
  const reference = (relative: string) => readFileSync(path.join(referenceDir, relative), 'utf8');

  it.each(clusters)('k3d-cluster-%i.yaml validates against k3d config v1alpha5', (n) => {
    const schema = JSON.parse(reference('k3d/config-v1alpha5.schema.json'));
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    // Draft-07 schema, so the draft-07 class; the two formats it uses, implemented rather than ignored.
    const ajv = new Ajv({
      strict: true,
      allErrors: true,
      formats: {
        hostname: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i,
        ipv4: /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/,
      },
    });
    const validate = ajv.compile(schema);
    const config = k3dConfig(n);
    expect(validate(config), ajv.errorsText(validate.errors)).toBe(true);
    // The schema is strict about unknown keys: prove a typo would be caught.
    expect(validate({ ...config, netwrok: 'x' })).toBe(false);
  });

  it('the registries: snippets the prose offers against Docker Hub’s limit are valid in these configs', () => {
    const schema = JSON.parse(reference('k3d/config-v1alpha5.schema.json'));
    const ajv = new Ajv({ strict: true, allErrors: true, formats: { hostname: true, ipv4: true } });
    const validate = ajv.compile(schema);
    const runbook = readFileSync(path.join(repoRoot, 'runbook.md'), 'utf8');
    const snippets = [...runbook.matchAll(/```yaml\n((?:.*\n)*?)\s*```/g)]
      .map((match) => (match[1] ?? '').replace(/^ {2}/gm, ''))
      .filter((text) => text.startsWith('registries:'))
      .map((text) => parseYaml(text) as Doc);
    expect(snippets).toHaveLength(2);
    for (const snippet of snippets) {
      const config = { ...k3dConfig(0), ...snippet };
      expect(validate(config), ajv.errorsText(validate.errors)).toBe(true);
    }
    // What k3d hands each node as registries.yaml: a docker.io mirror, or credentials for Docker Hub's
    // endpoint (k3s v1.30 looks them up as registry-1.docker.io).
    const [mirror, credentials] = snippets.map((snippet) => parseYaml(snippet.registries.config) as Doc);
    expect(mirror?.mirrors?.['docker.io']?.endpoint).toEqual([expect.stringMatching(/^https:\/\//)]);
    expect(Object.keys(credentials?.configs ?? {})).toEqual(['registry-1.docker.io']);
    expect(Object.keys(credentials?.configs['registry-1.docker.io'].auth)).toEqual(['username', 'password']);
  });

  describe('east-west gateway values against the istio/gateway 1.23.2 schema', () => {
    const schema = JSON.parse(reference('istio-1.23.2/gateway-values.schema.json'));
    // `$defs` makes this a 2019-09+ schema ($schema names no draft), so the 2020-12 class.
    const ajv = new Ajv2020({ strict: true, strictTypes: false, allowUnionTypes: true, allErrors: true });
    // Helm's `defaults` workaround key sits beside the root `$ref`; it is not a validation keyword.
    ajv.addKeyword('defaults');
    ajv.addSchema(schema, 'gateway-values');
    const validateValues = ajv.compile({ $ref: 'gateway-values#/$defs/values' });
    const definedKeys = Object.keys(schema.$defs.values.properties);

    it.each(clusters)('cluster-%i values are valid chart values with only known keys', (n) => {
      const values = readYaml(`cluster-${n}/istio-eastwestgateway/values.yaml`);
      expect(validateValues(values), ajv.errorsText(validateValues.errors)).toBe(true);
      expect(Object.keys(values).filter((key) => !definedKeys.includes(key))).toEqual([]);
    });

    it('the definition rejects what the chart would reject', () => {
      expect(validateValues({ name: 42 })).toBe(false);
      expect(validateValues({ kind: 'StatefulSet' })).toBe(false);
    });

    it('the root schema rejects the chart’s own defaults under 2020-12 rules, hence --skip-schema-validation', () => {
      // Helm 3.18.5 and later apply `additionalProperties: false` beside the root `$ref` and refuse
      // every install of this chart ("additional properties 'defaults' not allowed").
      const validateRoot = ajv.getSchema('gateway-values');
      expect(validateRoot).toBeDefined();
      const chartDefaults = parseYaml(reference('istio-1.23.2/gateway-values.yaml'));
      expect(validateRoot?.(chartDefaults)).toBe(false);
      expect(validateRoot?.errors?.[0]?.params).toEqual({ additionalProperty: 'defaults' });
      const gatewayInstalls = runbookCommands().filter((command) =>
        command.startsWith('helm upgrade --install istio-eastwestgateway istio/gateway'),
      );
      expect(gatewayInstalls).toHaveLength(2);
      for (const command of gatewayInstalls) expect(command).toContain('--skip-schema-validation');
    });
  });

  it.each(clusters)('cluster-%i istiod values only use keys istio/istiod 1.23.2 defines', (n) => {
    const chart = parseYaml(reference('istio-1.23.2/istio-discovery-values.yaml')) as Doc;
    const chartValues = chart.defaults ?? chart;
    const values = readYaml(`cluster-${n}/istiod/values.yaml`);
    const unknown = keyPaths(values).filter((keyPath) => !chartDefines(chartValues, keyPath));
    expect(unknown.map((keyPath) => keyPath.join('.'))).toEqual([]);
    // The walk itself must be able to fail.
    expect(chartDefines(chartValues, ['global', 'multiCluster', 'clustername'])).toBe(false);
    expect(chartDefines(chartValues, ['global', 'multiCluster', 'clusterName'])).toBe(true);
  });

  it.each(clusters)('cluster-%i cross-network Gateway is upstream’s expose-services Gateway', (n) => {
    const upstream = parseYaml(reference('istio-1.23.2/expose-services.yaml')) as Doc;
    const gateway = readYaml(`cluster-${n}/gateway-istio-eastwestgateway.yaml`);
    expect(gateway.kind).toBe('Gateway');
    expect(gateway.apiVersion).toMatch(/^networking\.istio\.io\//);
    expect(gateway.metadata.name).toBe(upstream.metadata.name);
    expect(gateway.spec).toEqual(upstream.spec);
  });
});

describe.skipIf(!hasKubectl)('whoami kustomize directories render with kubectl kustomize', () => {
  it.each(clusters)('cluster-%i/whoami has the namespace, Deployment, Service and client pod', (n) => {
    const objects = renderKustomize(`cluster-${n}/whoami`);
    const find = (kind: string, name: string) =>
      objects.find((object) => object.kind === kind && object.metadata?.name === name);

    const namespace = find('Namespace', 'whoami');
    expect(namespace?.metadata.labels).toMatchObject({ 'istio-injection': 'enabled' });
    for (const object of objects.filter((object) => object.kind !== 'Namespace')) {
      expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe('whoami');
    }

    const deployment = find('Deployment', 'whoami');
    const container = deployment?.spec.template.spec.containers.find((c: Doc) => c.name === 'whoami');
    expect(container?.image).toMatch(/^traefik\/whoami:v\d+\.\d+\.\d+$/);
    expect(container?.env).toContainEqual({ name: 'WHOAMI_NAME', value: `cluster-${n}` });

    const service = find('Service', 'whoami');
    expect(service?.spec.ports).toContainEqual(expect.objectContaining({ port: 80, name: 'http' }));
    expect(deployment?.spec.template.metadata.labels).toMatchObject(service?.spec.selector);

    const client = find('Pod', 'client');
    expect(client?.spec.containers.map((c: Doc) => c.name)).toContain('client');
    expect(client?.spec.containers[0].image).toMatch(/curl/);
  });
});

describe('the gaps of the original procedure are closed', () => {
  const configs = clusters.map(k3dConfig);
  const istiod = clusters.map((n) => readYaml(`cluster-${n}/istiod/values.yaml`));
  const gateways = clusters.map((n) => readYaml(`cluster-${n}/istio-eastwestgateway/values.yaml`));

  it('both k3d clusters join one named Docker network and do not ask for a subnet', () => {
    const [first, second] = configs;
    expect(first?.network).toBeTypeOf('string');
    expect(first?.network).not.toBe('');
    expect(second?.network).toBe(first?.network);
    for (const config of configs) expect(config.subnet).toBeUndefined();
  });

  it('the clusters have their own names and API host ports', () => {
    expect(configs.map((config) => config.metadata.name)).toEqual(['cluster-0', 'cluster-1']);
    const ports = configs.map((config) => config.kubeAPI?.hostPort);
    for (const port of ports) expect(port).toMatch(/^\d+$/);
    expect(new Set(ports).size).toBe(2);
  });

  it('traefik is disabled on every server and servicelb is kept', () => {
    for (const config of configs) {
      const args = serverArgs(config);
      expect(args).toContain('--disable=traefik');
      const allArgs = (config.options?.k3s?.extraArgs ?? []).map((entry: Doc) => entry.arg as string);
      expect(allArgs.filter((arg: string) => /servicelb/.test(arg))).toEqual([]);
    }
  });

  it('pod and service CIDRs are distinct and do not overlap', () => {
    const ranges = configs.flatMap((config) => {
      const args = serverArgs(config);
      return [argValue(args, 'cluster-cidr'), argValue(args, 'service-cidr')];
    });
    for (const range of ranges) expect(range).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
    const defined = ranges as string[];
    for (const [i, a] of defined.entries()) {
      for (const b of defined.slice(i + 1)) expect(overlaps(a, b), `${a} overlaps ${b}`).toBe(false);
    }
    expect(overlaps('10.42.0.0/16', '10.42.128.0/17')).toBe(true);
    for (const config of configs) {
      const args = serverArgs(config);
      const dns = argValue(args, 'cluster-dns');
      if (dns !== undefined) expect(overlaps(`${dns}/32`, argValue(args, 'service-cidr') ?? '')).toBe(true);
    }
  });

  it('istiod: the same meshID, each cluster its own clusterName and network', () => {
    const meshIDs = istiod.map((values) => values.global?.meshID);
    expect(meshIDs[0]).toBeTypeOf('string');
    expect(meshIDs[0]).not.toBe('');
    expect(meshIDs[1]).toBe(meshIDs[0]);
    const names = istiod.map((values) => values.global?.multiCluster?.clusterName);
    expect(names).toEqual(configs.map((config) => config.metadata.name));
    const networks = istiod.map((values) => values.global?.network);
    for (const network of networks) expect(network).toMatch(/^[a-z0-9-]+$/);
    expect(new Set(networks).size).toBe(2);
  });

  it.each(clusters)('cluster-%i istio-system namespace carries its network label', (n) => {
    const namespace = readYaml(`cluster-${n}/namespace-istio-system.yaml`);
    expect(namespace.kind).toBe('Namespace');
    expect(namespace.metadata.name).toBe('istio-system');
    expect(namespace.metadata.labels['topology.istio.io/network']).toBe(istiod[n]?.global.network);
  });

  it.each(clusters)(
    'cluster-%i east-west gateway is a network gateway and sets nothing networkGateway sets',
    (n) => {
      const values = gateways[n] as Doc;
      expect(values.name).toBe('istio-eastwestgateway');
      expect(values.labels?.istio).toBe('eastwestgateway');
      expect(values.networkGateway).toBe(istiod[n]?.global.network);
      expect(values.labels?.['topology.istio.io/network']).toBeUndefined();
      expect(values.env?.ISTIO_META_REQUESTED_NETWORK_VIEW).toBeUndefined();
      expect(values.service?.ports).toBeUndefined();
    },
  );

  it.each(clusters)(
    'cluster-%i cross-network Gateway: istio-system, 15443 TLS AUTO_PASSTHROUGH for *.local',
    (n) => {
      const gateway = readYaml(`cluster-${n}/gateway-istio-eastwestgateway.yaml`);
      expect(gateway.metadata.namespace).toBe('istio-system');
      expect(gateway.spec.selector).toEqual({ istio: gateways[n]?.labels.istio });
      const server = gateway.spec.servers.find((s: Doc) => s.port.number === 15443);
      expect(server).toMatchObject({ port: { protocol: 'TLS' }, tls: { mode: 'AUTO_PASSTHROUGH' } });
      expect(server.hosts).toContain('*.local');
    },
  );

  it('every file the runbook names exists relative to its cwd (steps/)', () => {
    const runbook = runbookCommands().join('\n');
    const named = [
      ...runbook.matchAll(/--(?:config|values|filename|kustomize)[= ](\.\/[^\s`'"]+)/g),
      ...runbook.matchAll(/^(?:source )?(\.\/[\w-]+\.sh)(?: (\.\/[^\s`'"]+))?/gm),
    ].flatMap((match) => match.slice(1).filter(Boolean) as string[]);
    expect(named).toEqual(
      expect.arrayContaining(['./k3d-cluster.sh', './k3d-cluster-0.yaml', './mesh-diagnosis.sh']),
    );
    expect(named.length).toBeGreaterThanOrEqual(15);
    for (const file of named) expect(existsSync(path.join(stepsDir, file)), file).toBe(true);
  });
});

describe('every image is pinned, and the runbook names them', () => {
  const runbook = readFileSync(path.join(repoRoot, 'runbook.md'), 'utf8');
  const stepImages = () => {
    const images = clusters.map((n) => k3dConfig(n).image as string);
    if (hasKubectl) {
      for (const n of clusters)
        for (const object of renderKustomize(`cluster-${n}/whoami`))
          for (const container of object.spec?.template?.spec?.containers ?? object.spec?.containers ?? [])
            images.push(container.image);
    }
    return [...new Set(images)];
  };

  it('each image of the steps has an exact version tag', () => {
    const images = stepImages();
    expect(images.length).toBeGreaterThanOrEqual(hasKubectl ? 3 : 1);
    for (const image of images) expect(image, image).toMatch(/:v?\d+\.\d+\.\d+(-k3s\d+)?$/);
  });

  it('each chart is installed at the version the runbook is about', () => {
    const installs = runbookCommands().filter((command) => command.startsWith('helm upgrade'));
    expect(installs).toHaveLength(6);
    for (const command of installs) {
      expect(command).toMatch(/^helm upgrade --install \S+ istio\/(base|istiod|gateway) /);
      expect(command).toContain('--version 1.23.2');
    }
  });

  it('the prose lists every image, and the k3d image import example imports the ones the charts and steps pull', () => {
    const istio = ['docker.io/istio/pilot:1.23.2', 'docker.io/istio/proxyv2:1.23.2'];
    for (const image of [...stepImages(), ...istio]) expect(runbook).toContain(`\`${image}\``);
    const imported = /k3d image import (.*) -c cluster-0 -c cluster-1/.exec(runbook)?.[1]?.split(' ') ?? [];
    const pulled = stepImages().filter((image) => !image.startsWith('rancher/k3s:'));
    expect(imported.sort()).toEqual([...istio, ...pulled].sort());
  });
});
