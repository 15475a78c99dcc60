// The federation runbook's waits fit their steps' timeouts, computed from the runbook's own text: the
// verification's worst case (rounds of bounded calls, then the diagnosis) and the sync wait's end inside
// their timeout=, so that the step, not the runner, says what is wrong; helm and kubectl give up before
// the runner would end them. The diagnosis is bounded in fact, not only on paper.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseRunbook } from '../../lib/markdown/parse.ts';
import { ROOT } from '../helpers/cli.ts';
import { engineBuilt, federationCopy, runFederation, scratchDir } from './harness.ts';

const runbook = parseRunbook(readFileSync(path.join(ROOT, 'runbook.md'), 'utf8'));
const diagnosis = readFileSync(path.join(ROOT, 'steps', 'mesh-diagnosis.sh'), 'utf8');

function step(name: string) {
  const found = runbook.steps.find((s) => s.name === name);
  if (!found) throw new Error(`no step ${name}`);
  return { ...found, timeout: Number(found.attributes.timeout) };
}

/** The number a step's code assigns to `name`, written `name=N` or `name=${VAR:-N}`. */
function assigned(code: string, name: string): number {
  const match = new RegExp(`^${name}=(?:\\$\\{\\w+:-(\\d+)\\}|(\\d+))`, 'm').exec(code);
  if (!match) throw new Error(`${name} is not assigned a number`);
  return Number(match[1] ?? match[2]);
}

/** Helm's duration flag (`8m`, `90s`, `1m30s`) in seconds; helm waits 5m when --wait has no --timeout. */
function helmTimeout(code: string): number {
  const value = /--timeout (\S+)/.exec(code)?.[1] ?? '5m';
  return [...value.matchAll(/(\d+)([hms])/g)].reduce(
    (sum, [, n, unit]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'],
    0,
  );
}

describe('the waits of the federation runbook fit their timeouts', () => {
  const diagnosisSeconds = (() => {
    const perCommand = Number(
      /^DIAGNOSIS_COMMAND_SECONDS=\$\{DIAGNOSIS_COMMAND_SECONDS:-(\d+)\}/m.exec(diagnosis)?.[1],
    );
    const commands = Number(/echo \$\(\((\d+) \* DIAGNOSIS_COMMAND_SECONDS\)\)/.exec(diagnosis)?.[1]);
    return { perCommand, commands, total: perCommand * commands };
  })();

  it('the diagnosis counts every bounded command it runs', () => {
    const body = diagnosis.slice(diagnosis.indexOf('diagnose_mesh() {'));
    // Three loops over the two clusters: addresses (1 each), istiod and endpoints (2 each), roots (1 each).
    const loops = body.split(/\n {2}for n in 0 1; do\n/).slice(1);
    expect(loops).toHaveLength(3);
    const bounded = loops.map(
      (loop) => (loop.split(/\n {2}done\n/)[0]?.match(/bounded "\$DIAGNOSIS_COMMAND_SECONDS"/g) ?? []).length,
    );
    expect(bounded).toEqual([1, 2, 1]);
    expect(diagnosisSeconds.commands).toBe(2 * (1 + 2 + 1));
    // No command of the tools runs unbounded.
    const code = body.replace(/echo "[^"]*"/g, '');
    const commands = code.match(/\b(kubectl|istioctl) (get|remote-clusters|proxy-config)\b/g) ?? [];
    const boundedCommands = code.match(/bounded "\$DIAGNOSIS_COMMAND_SECONDS" (kubectl|istioctl) /g) ?? [];
    expect(commands.length).toBe(4);
    expect(boundedCommands.length).toBe(commands.length);
  });

  it('verify-cross-cluster: rounds × (two bounded execs + pause) + diagnosis ≤ timeout=', () => {
    const verify = step('verify-cross-cluster');
    const rounds = assigned(verify.code, 'rounds');
    const pause = assigned(verify.code, 'pause');
    const calls = assigned(verify.code, 'calls');
    const callSeconds = assigned(verify.code, 'call_seconds');
    const execSeconds = assigned(verify.code, 'exec_seconds');
    // The numbers are the ones the commands use.
    expect(verify.code).toContain(
      '--max-time "$call_seconds" "http://whoami.whoami.svc.cluster.local/?call=[1-$calls]"',
    );
    expect(verify.code).toContain('bounded "$exec_seconds" kubectl exec client');
    expect(assigned(verify.code, 'step_seconds')).toBe(verify.timeout);
    // One exec makes `calls` requests of at most `call_seconds` each, and needs a margin of its own.
    expect(execSeconds).toBeGreaterThanOrEqual(calls * callSeconds + 5);
    const worst = rounds * (2 * execSeconds + pause) + diagnosisSeconds.total;
    expect(worst, `worst case ${worst}s`).toBeLessThanOrEqual(verify.timeout);
    // What the step itself computes is the same sum.
    expect(verify.code).toContain('worst=$((rounds * (2 * exec_seconds + pause) + $(diagnosis_seconds)))');
  });

  it('wait-remote-clusters: rounds × (two bounded questions + pause) + the last listings ≤ timeout=', () => {
    const wait = step('wait-remote-clusters');
    const rounds = assigned(wait.code, 'rounds');
    const pause = assigned(wait.code, 'pause');
    const ask = assigned(wait.code, 'ask_seconds');
    expect(wait.code).toContain('bounded "$ask_seconds" istioctl remote-clusters');
    expect(wait.code).not.toMatch(/^\s*istioctl /m);
    expect(assigned(wait.code, 'step_seconds')).toBe(wait.timeout);
    expect(rounds * (2 * ask + pause) + 2 * ask).toBeLessThanOrEqual(wait.timeout);
    expect(wait.code).toContain('worst=$((rounds * (2 * ask_seconds + pause) + 2 * ask_seconds))');
    // Long enough to outlast istiod's own 30 s before it calls a cluster `timeout`.
    expect(rounds * pause).toBeGreaterThan(30);
  });

  it('helm, kubectl wait and k3d give up before the runner ends their step', () => {
    for (const s of runbook.steps.filter((x) => /^helm upgrade/m.test(x.code))) {
      expect(s.code, s.name).toContain('--wait');
      expect(
        helmTimeout(s.code) + 60,
        `${s.name}: helm gives up and marks the release failed first`,
      ).toBeLessThanOrEqual(Number(s.attributes.timeout));
    }
    for (const s of runbook.steps.filter((x) => /kubectl wait/.test(x.code))) {
      const waits = [...s.code.matchAll(/kubectl wait .*--timeout (\d+)s/g)].map((m) => Number(m[1]));
      expect(waits.length).toBeGreaterThan(0);
      expect(waits.reduce((a, b) => a + b, 0) + 30, s.name).toBeLessThanOrEqual(Number(s.attributes.timeout));
    }
    for (const n of [0, 1]) {
      const config = parseYaml(readFileSync(path.join(ROOT, 'steps', `k3d-cluster-${n}.yaml`), 'utf8'));
      const k3dTimeout = Number(/^(\d+)s$/.exec(config.options.k3d.timeout)?.[1]);
      expect(k3dTimeout + 60).toBeLessThanOrEqual(step(`create-cluster-${n}`).timeout);
    }
  });

  it.skipIf(!engineBuilt)(
    'a VERIFY_ROUNDS that would not fit is refused by the step itself',
    { timeout: 60_000 },
    async () => {
      const dir = federationCopy();
      const run = await runFederation(dir, { VERIFY_ROUNDS: '100' }, [
        '--yes',
        '--no-preflight',
        '--only',
        'verify-cross-cluster',
        'runbook.md',
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /VERIFY_ROUNDS=100 and VERIFY_PAUSE_SECONDS=1 could take \d+s, more than this step's 600s\./,
      );
      expect(run.calls).toEqual([]);
      const fractional = await runFederation(dir, { SYNC_PAUSE_SECONDS: '0.5' }, [
        '--yes',
        '--no-preflight',
        '--only',
        'wait-remote-clusters',
        'runbook.md',
      ]);
      expect(fractional.stderr).toContain("SYNC_PAUSE_SECONDS whole seconds, not '20' and '0.5'");
    },
  );

  it('the diagnosis ends within its bound when every command hangs, and leaves nothing running', {
    timeout: 60_000,
  }, async () => {
    const dir = scratchDir('diagnosis-');
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    for (const name of ['kubectl', 'istioctl']) {
      writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\necho $$ >> "${dir}/pids"\nexec sleep 300\n`);
      chmodSync(path.join(bin, name), 0o755);
    }
    const child = spawn('bash', [path.join(ROOT, 'steps', 'mesh-diagnosis.sh')], {
      env: {
        ...process.env,
        PATH: `${bin}${path.delimiter}${process.env.PATH}`,
        DIAGNOSIS_COMMAND_SECONDS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    for (const heading of [
      'east-west gateway address',
      'istioctl remote-clusters',
      'Endpoints of whoami',
      'Root certificates',
    ])
      expect(out).toContain(heading);
    const pids = readFileSync(path.join(dir, 'pids'), 'utf8').trim().split('\n').map(Number);
    expect(pids).toHaveLength(8);
    for (const pid of pids) expect(() => process.kill(pid, 0), `command ${pid} still runs`).toThrow();
  });
});
