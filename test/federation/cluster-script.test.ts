// steps/k3d-cluster.sh reads a k3d config with sed; these tests prove it reads what a YAML parser reads (the
// k3d double builds the cluster from the same file with one), in the layouts a person may write, and that
// it stops rather than guess when it cannot read a key.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { doublesEnv, federationCopy, tool } from './harness.ts';

function script(dir: string, config: string) {
  const result = spawnSync('./k3d-cluster.sh', [config], {
    cwd: path.join(dir, 'steps'),
    env: doublesEnv(dir),
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('steps/k3d-cluster.sh', { timeout: 60_000 }, () => {
  it.each([0, 1])(
    'creates cluster-%i from its config, then finds it exactly as the config describes',
    (n) => {
      const dir = federationCopy();
      const first = script(dir, `./k3d-cluster-${n}.yaml`);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toContain(`Cluster 'cluster-${n}' created successfully!`);
      const second = script(dir, `./k3d-cluster-${n}.yaml`);
      expect(second).toMatchObject({
        code: 0,
        stdout: `cluster cluster-${n} already exists as ./k3d-cluster-${n}.yaml describes it; nothing to create\n`,
      });
    },
  );

  it('reads quoted and unquoted values and trailing comments as YAML does', () => {
    const dir = federationCopy();
    const file = path.join(dir, 'steps', 'styled.yaml');
    const text = readFileSync(path.join(dir, 'steps', 'k3d-cluster-0.yaml'), 'utf8')
      .replace('  name: cluster-0', '  name: "styled"  # another name')
      .replace('image: rancher/k3s:v1.30.4-k3s1', 'image: "rancher/k3s:v1.30.4-k3s1" # pinned')
      .replace('hostPort: "6550"', 'hostPort: 6560')
      .replace('- arg: --cluster-cidr=10.10.0.0/16', '- arg: "--cluster-cidr=10.10.0.0/16" # pods');
    writeFileSync(file, text);
    expect(tool(dir, 'k3d', ['cluster', 'create', '--config', './styled.yaml']).code).toBe(0);
    expect(script(dir, './styled.yaml')).toMatchObject({
      code: 0,
      stdout: 'cluster styled already exists as ./styled.yaml describes it; nothing to create\n',
    });
    // The same file with one value changed after the cluster was made: the difference is named.
    writeFileSync(file, text.replace('--cluster-cidr=10.10.0.0/16', '--cluster-cidr=10.30.0.0/16'));
    const changed = script(dir, './styled.yaml');
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain('  - k3s runs without --cluster-cidr=10.30.0.0/16\n');
  });

  it('stops with the key it cannot read instead of guessing', () => {
    const dir = federationCopy();
    const file = path.join(dir, 'steps', 'flow.yaml');
    const text = readFileSync(path.join(dir, 'steps', 'k3d-cluster-0.yaml'), 'utf8').replace(
      /kubeAPI:\n {2}hostIP: 127\.0\.0\.1\n(?: {2}#.*\n)* {2}hostPort: "6550"\n/,
      'kubeAPI: { hostIP: 127.0.0.1, hostPort: "6550" }\n',
    );
    expect(text).toContain('kubeAPI: {');
    writeFileSync(file, text);
    expect(script(dir, './flow.yaml')).toMatchObject({
      code: 2,
      stderr: 'cannot read kubeAPI.hostPort from ./flow.yaml\n',
    });
  });
});
