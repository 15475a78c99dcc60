// The doubles of k3d and docker behave like the real tools where the runbook depends on it: their output
// formats (k3d's log order, its JSON, docker's inspect and ps), their refusals (a second create), their
// failures and rollbacks (a clashing port, a KUBECONFIG of several files), and node addresses that change
// on a restart.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { federationCopy, type Json, readCalls, readState, tool, withCluster0 } from './harness.ts';

describe('k3d', { timeout: 60_000 }, () => {
  it('refuses a second create, prints k3d v5’s JSON as ClusterGet rebuilds it, logs in k3d’s order', () => {
    const dir = federationCopy();
    expect(tool(dir, 'k3d', ['cluster', 'get', 'cluster-0', '--output', 'json'])).toMatchObject({
      code: 1,
      stderr: 'FATA[0000] No nodes found for given cluster\n',
    });
    const created = tool(dir, 'k3d', ['cluster', 'create', '--config', './k3d-cluster-0.yaml']);
    expect(created.code).toBe(0);
    const log = created.stderr.trim().split('\n');
    // The kubeconfig update is a debug line after "created successfully"; then the usage hint.
    expect(log.slice(-2)).toEqual([
      "INFO[0000] Cluster 'cluster-0' created successfully!",
      'INFO[0000] You can now use it like this:',
    ]);
    expect(created.stderr).not.toContain('Updating default kubeconfig');
    expect(created.stdout).toBe('kubectl config use-context k3d-cluster-0\nkubectl cluster-info\n');
    const again = tool(dir, 'k3d', ['cluster', 'create', '--config', './k3d-cluster-0.yaml']);
    expect(again).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        "FATA[0000] Failed to create cluster 'cluster-0' because a cluster with that name already exists",
      ),
    });

    const [cluster] = JSON.parse(
      tool(dir, 'k3d', ['cluster', 'get', 'cluster-0', '--output', 'json']).stdout,
    );
    expect(cluster).toMatchObject({
      name: 'cluster-0',
      network: { name: 'k3d-federation', isExternal: true, ipam: { ipPrefix: '', Managed: false } },
      serversCount: 1,
      serversRunning: 1,
      hasLoadbalancer: true,
    });
    // ipsUsed is omitempty in k3d's IPAM; the node's extraArgs are empty (Cmd holds every flag).
    expect(cluster.network.ipam).not.toHaveProperty('ipsUsed');
    const server = cluster.nodes.find((node: Json) => node.role === 'server');
    expect(server).toMatchObject({
      name: 'k3d-cluster-0-server-0',
      image: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      IP: { IP: expect.stringMatching(/^172\./), Static: false },
      serverOpts: { kubeAPI: { Binding: { HostIp: '127.0.0.1', HostPort: '6550' } } },
    });
    expect(server).not.toHaveProperty('extraArgs');
    expect(server.Cmd).toEqual([
      'server',
      '--disable=traefik',
      '--cluster-cidr=10.10.0.0/16',
      '--service-cidr=10.11.0.0/16',
      '--cluster-dns=10.11.0.10',
      '--tls-san',
      '127.0.0.1',
      '--tls-san',
      'k3d-cluster-0-serverlb',
    ]);
    expect(cluster.nodes.map((node: Json) => node.role)).toEqual(['server', 'loadbalancer']);
  });

  it('a clashing host port: ERRO, Rolling Back, FATA rolled back, and nothing left of the cluster', () => {
    const dir = withCluster0();
    const config = readFileSync(path.join(dir, 'steps', 'k3d-cluster-0.yaml'), 'utf8');
    writeFileSync(path.join(dir, 'steps', 'clash.yaml'), config.replace('name: cluster-0', 'name: clash'));
    const failed = tool(dir, 'k3d', ['cluster', 'create', '--config', './clash.yaml']);
    expect(failed.code).toBe(1);
    const levels = failed.stderr
      .trim()
      .split('\n')
      .map((line) => line.slice(0, 4))
      .join(' ');
    expect(levels.endsWith('ERRO ERRO INFO INFO FATA')).toBe(true);
    expect(failed.stderr).toMatch(
      /ERRO\[0000\] Failed Cluster Start: .*Bind for 127\.0\.0\.1:6550 failed: port is already allocated\nERRO\[0000\] Failed to create cluster >>> Rolling Back\n/,
    );
    expect(failed.stderr.trim().split('\n').at(-1)).toBe(
      'FATA[0000] Cluster creation FAILED, all changes have been rolled back!',
    );
    expect(tool(dir, 'k3d', ['cluster', 'get', 'clash']).code).toBe(1);
    expect(Object.keys(readState(dir, 'networks')['k3d-federation'].containers).sort()).toEqual([
      'k3d-cluster-0-server-0',
      'k3d-cluster-0-serverlb',
    ]);
  });

  it('with a KUBECONFIG of several files it warns and writes no context, as k3d does', () => {
    const dir = withCluster0({ KUBECONFIG: '/tmp/a:/tmp/b' });
    expect(existsSync(path.join(dir, 'fake-state', 'kubeconfig.json'))).toBe(false);
    expect(tool(dir, 'kubectl', ['get', 'nodes', '--context', 'k3d-cluster-0']).stderr).toBe(
      'error: context "k3d-cluster-0" does not exist\n',
    );
    const merged = tool(dir, 'k3d', ['kubeconfig', 'merge', 'cluster-0', '--kubeconfig-merge-default']);
    expect(merged.code).toBe(0);
    expect(tool(dir, 'kubectl', ['config', 'get-contexts', 'k3d-cluster-0']).stdout).toMatch(
      /^CURRENT\s+NAME\s+CLUSTER\s+AUTHINFO\s+NAMESPACE\n\*\s+k3d-cluster-0\s+k3d-cluster-0\s+admin@k3d-cluster-0$/m,
    );
  });
});

describe('docker', { timeout: 60_000 }, () => {
  it('info (with --format), ps, inspect, and containers that get new addresses when restarted', () => {
    const dir = withCluster0();
    expect(
      tool(dir, 'docker', ['info', '--format', '{{.MemTotal}}'], undefined, {
        RUNBOOK_FAKE_DOCKER_MEMORY: '4000000000',
      }).stdout,
    ).toBe('4000000000\n');
    expect(tool(dir, 'docker', ['ps', '--format', '{{.Names}} {{.Ports}}']).stdout).toBe(
      'k3d-cluster-0-server-0 \nk3d-cluster-0-serverlb 127.0.0.1:6550->6443/tcp\n',
    );
    const inspect = (name: string) =>
      JSON.parse(tool(dir, 'docker', ['container', 'inspect', name]).stdout)[0];
    const before = inspect('k3d-cluster-0-server-0');
    expect(before).toMatchObject({
      Name: '/k3d-cluster-0-server-0',
      Config: { Image: 'rancher/k3s:v1.30.4-k3s1', Labels: { 'k3d.server.api.port': '6550' } },
      State: { Running: true, Status: 'running' },
    });
    const ip = before.NetworkSettings.Networks['k3d-federation'].IPAddress;
    expect(tool(dir, 'docker', ['restart', 'k3d-cluster-0-server-0']).stdout).toBe(
      'k3d-cluster-0-server-0\n',
    );
    const after = inspect('k3d-cluster-0-server-0').NetworkSettings.Networks['k3d-federation'].IPAddress;
    expect(after).toMatch(/^172\./);
    expect(after).not.toBe(ip);
    expect(tool(dir, 'docker', ['stop', 'k3d-cluster-0-serverlb']).code).toBe(0);
    expect(tool(dir, 'kubectl', ['get', 'nodes', '--context', 'k3d-cluster-0']).stderr).toBe(
      'The connection to the server 127.0.0.1:6550 was refused - did you specify the right host or port?\n',
    );
    expect(tool(dir, 'docker', ['container', 'inspect', 'nope'])).toMatchObject({
      code: 1,
      stderr: 'Error response from daemon: No such container: nope\n',
    });
  });

  it('info fails without an engine; every call is logged with its exit code', () => {
    const dir = federationCopy();
    expect(tool(dir, 'docker', ['info']).code).toBe(0);
    const down = tool(dir, 'docker', ['info'], undefined, { RUNBOOK_FAKE_DOCKER_DOWN: '1' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('Cannot connect to the Docker daemon');
    expect(readCalls(dir).map((call) => [call.tool, call.args, call.exit])).toEqual([
      ['docker', ['info'], 0],
      ['docker', ['info'], 1],
    ]);
  });
});
