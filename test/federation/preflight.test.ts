// The federation runbook's preflight on machines that would break the run: refused before step 1 (exit 2
// under --yes) with the command that fixes it, or warned about and run anyway. The checks are the front
// matter's own, run by the runner against the doubles and, for what is the machine's (host ports,
// inotify limits), against the machine.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../helpers/cli.ts';
import {
  editFile,
  engineBuilt,
  federationCopy,
  type Json,
  runFederation,
  scratchDir,
  tool,
} from './harness.ts';

/** The front matter's `requires:` of runbook.md. */
function requires(): Json[] {
  const text = readFileSync(path.join(ROOT, 'runbook.md'), 'utf8');
  return parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(text)?.[1] ?? '').requires;
}

const ONLY_STEP_1 = ['--yes', '--to', 'helm-repo', 'runbook.md'];
/** A step of the runbook ran: step 1 adds the repository. */
const ranStep1 = (calls: Json[]) => calls.some((c) => c.tool === 'helm' && c.args[1] === 'add');

describe.skipIf(!engineBuilt)('the federation preflight', { timeout: 60_000 }, () => {
  it.concurrent('refuses a KUBECONFIG of several files, which would leave k3d without a context', async () => {
    const dir = federationCopy();
    const run = await runFederation(dir, { KUBECONFIG: `${dir}/a:${dir}/b` }, ONLY_STEP_1);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `  - kubectl: KUBECONFIG names several files (${dir}/a:${dir}/b): k3d then writes no context for the clusters\n    how to fix: Run with one kubeconfig file, e.g. \`KUBECONFIG=$HOME/.kube/config npx runbook\`, or \`unset KUBECONFIG\`.`,
    );
    expect(ranStep1(run.calls)).toBe(false);
    // What it saves the person from: k3d warns, writes no context, and the step fails on the next line.
    const unchecked = await runFederation(dir, { KUBECONFIG: `${dir}/a:${dir}/b` }, [
      '--yes',
      '--no-preflight',
      '--to',
      'create-cluster-0',
      'runbook.md',
    ]);
    expect(unchecked.code).toBe(1);
    expect(unchecked.stderr).toContain(
      'WARN[0000] failed to get default kubeconfig path: multiple kubeconfigs specified via KUBECONFIG env var',
    );
    expect(unchecked.stderr).toContain('error: context "k3d-cluster-0" does not exist');
  });

  it.concurrent('refuses a host port another cluster’s container holds', async () => {
    const dir = federationCopy();
    const config = readFileSync(path.join(dir, 'steps', 'k3d-cluster-1.yaml'), 'utf8')
      .replace('name: cluster-1', 'name: old')
      .replace('hostPort: "6551"', 'hostPort: "6550"');
    writeFileSync(path.join(dir, 'steps', 'old.yaml'), config);
    expect(tool(dir, 'k3d', ['cluster', 'create', '--config', './old.yaml']).code).toBe(0);
    const run = await runFederation(dir, {}, ONLY_STEP_1);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "  - docker: host port 6550, which cluster-0's API needs, is taken by container k3d-old-serverlb\n    how to fix: Stop what holds the port",
    );
    expect(ranStep1(run.calls)).toBe(false);
  });

  it.concurrent('refuses a host port a program listens on', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      // The runbook's check, aimed at the port this test holds instead of 6551.
      const dir = federationCopy((copy) =>
        editFile(path.join(copy, 'runbook.md'), (text) =>
          text.replace('cluster-1:6551', `cluster-1:${port}`),
        ),
      );
      const run = await runFederation(dir, {}, ONLY_STEP_1);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`  - docker: host port ${port}, which cluster-1's API needs, is taken\n`);
    } finally {
      server.close();
    }
  });

  it.concurrent('refuses a Helm repository named istio that points elsewhere', async () => {
    const dir = federationCopy();
    mkdirSync(path.join(dir, 'fake-state'), { recursive: true });
    writeFileSync(
      path.join(dir, 'fake-state', 'helm-repos.json'),
      JSON.stringify({ istio: { url: 'https://charts.example.com/istio' } }),
    );
    const run = await runFederation(dir, {}, ONLY_STEP_1);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "  - helm: the Helm repository named istio points at https://charts.example.com/istio, not Istio's chart repository\n    how to fix: `helm repo remove istio`",
    );
    expect(ranStep1(run.calls)).toBe(false);
  });

  it.concurrent('warns about Docker memory below 8 GB and goes on', async () => {
    const dir = federationCopy();
    const run = await runFederation(dir, { RUNBOOK_FAKE_DOCKER_MEMORY: '4000000000' }, ONLY_STEP_1);
    expect(run.code, run.output).toBe(0);
    expect(run.stderr).toContain(
      'runbook: warning: docker: Docker has 4000 MB of memory; two istiods request 2 GiB each, the clusters need 8 GB\n    how to fix: Give Docker 8 GB or more',
    );
    expect(ranStep1(run.calls)).toBe(true);
    const enough = await runFederation(dir, { RUNBOOK_FAKE_DOCKER_MEMORY: '16000000000' }, ONLY_STEP_1);
    expect(enough.stderr).not.toContain('MB of memory');
  });

  it.concurrent('teardown.md warns about a KUBECONFIG of several files and deletes anyway', async () => {
    const dir = federationCopy((copy) =>
      cpSync(path.join(ROOT, 'teardown.md'), path.join(copy, 'teardown.md')),
    );
    const run = await runFederation(dir, { KUBECONFIG: '/tmp/a:/tmp/b' }, ['--yes', 'teardown.md']);
    expect(run.code, run.output).toBe(0);
    expect(run.stderr).toContain(
      'runbook: warning: kubectl: KUBECONFIG names several files (/tmp/a:/tmp/b): k3d will leave the k3d-cluster-0 and k3d-cluster-1 contexts behind',
    );
    expect(run.calls.some((c) => c.tool === 'k3d' && c.args[1] === 'delete')).toBe(true);
  });

  it.concurrent('warns about this machine’s inotify limits exactly when they are below what two k3s nodes need', async () => {
    const dir = federationCopy();
    const run = await runFederation(dir, {}, ONLY_STEP_1);
    expect(run.code, run.output).toBe(0);
    const read = (name: string) => Number(readFileSync(`/proc/sys/fs/inotify/${name}`, 'utf8'));
    const low =
      process.platform === 'linux' && (read('max_user_instances') < 512 || read('max_user_watches') < 524288);
    expect(run.stderr.includes('runbook: warning: docker: inotify limits too low for two k3s nodes')).toBe(
      low,
    );
  });
});

describe('the inotify check', () => {
  const check = requires().find((r) => typeof r === 'object' && String(r.check).includes('inotify')) as Json;

  it('warns (it does not refuse) and says the sysctl that fixes it', () => {
    expect(check.warn).toBe(true);
    expect(check.hint).toContain(
      'sudo sysctl -w fs.inotify.max_user_instances=512 fs.inotify.max_user_watches=524288',
    );
  });

  it.skipIf(process.platform !== 'linux')(
    'passes at 512 instances and 524288 watches, fails below either',
    () => {
      const proc = scratchDir('inotify-');
      const run = (instances: number, watches: number, os = 'Ubuntu 24.04.1 LTS') => {
        writeFileSync(path.join(proc, 'max_user_instances'), `${instances}\n`);
        writeFileSync(path.join(proc, 'max_user_watches'), `${watches}\n`);
        // The check as written, reading these files instead of /proc, with a docker that reports `os`.
        const script = String(check.check).replaceAll('/proc/sys/fs/inotify/', `${proc}/`);
        const docker = `docker() { echo '${os}'; }\n`;
        return spawnSync('bash', ['-c', docker + script], { encoding: 'utf8' });
      };
      expect(run(512, 524288).status).toBe(0);
      const low = run(128, 524288);
      expect(low.status).toBe(1);
      expect(low.stdout).toBe(
        'inotify limits too low for two k3s nodes: max_user_instances=128, max_user_watches=524288 (k3s-io/k3s#10020)\n',
      );
      expect(run(8192, 8192).status).toBe(1);
      // Docker Desktop runs its engine in a VM of its own: the host's limits are not the ones that matter.
      expect(run(128, 8192, 'Docker Desktop').status).toBe(0);
    },
  );

  it('checks the host ports the k3d configs publish', () => {
    const ports = requires()
      .map((r) => /for pair in (.*); do/.exec(String(r.check ?? ''))?.[1])
      .find(Boolean);
    const configs = [0, 1].map((n) =>
      parseYaml(readFileSync(path.join(ROOT, 'steps', `k3d-cluster-${n}.yaml`), 'utf8')),
    );
    expect(ports).toBe(configs.map((c) => `${c.metadata.name}:${c.kubeAPI.hostPort}`).join(' '));
  });
});
