// Preflight on its own: fixture tools on an otherwise empty PATH stand in for docker, k3d, helm, kubectl,
// jq and istioctl, printing their versions the way the real ones do.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Requirement } from '../../lib/core/types.ts';
import { checkRequirements, type PreflightProblem } from '../../lib/run/preflight.ts';
import { formatProblems, formatWarnings } from '../../lib/run/preflight-report.ts';
import { satisfies, versionIn } from '../../lib/run/version-range.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'preflight');
const toolsOk = path.join(fixtures, 'tools-ok');
const toolsStale = path.join(fixtures, 'tools-stale');
const toolsSlow = path.join(fixtures, 'tools-slow');
const emptyDir = mkdtempSync(path.join(os.tmpdir(), 'preflight-empty-'));
afterAll(() => rmSync(emptyDir, { recursive: true, force: true }));

/** The `requires:` of the fixture runbook, read the way the front matter parser reads YAML. */
function fixtureRequires(): Requirement[] {
  const text = readFileSync(path.join(fixtures, 'requires.md'), 'utf8');
  const frontMatter = /^---\n([\s\S]*?)\n---\n/.exec(text)?.[1] ?? '';
  return (parseYaml(frontMatter) as { requires: Requirement[] }).requires;
}

/** Alive means running: a killed grandchild may linger as a zombie until its new parent reaps it. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

const byName = (problems: PreflightProblem[]) => Object.fromEntries(problems.map((p) => [p.name, p]));

describe('checkRequirements', () => {
  it('finds nothing wrong when every tool is there, recent enough, and docker info succeeds', async () => {
    const problems = await checkRequirements(fixtureRequires(), { env: { PATH: toolsOk } });
    expect(problems).toEqual([]);
  });

  it('reads a YAML number (`version: 5`) like the string "5"', () => {
    const k3d = fixtureRequires().find((r) => typeof r === 'object' && r.name === 'k3d');
    expect(k3d).toEqual({ name: 'k3d', version: 5 });
  });

  it('lists every missing tool at once, in front matter order, each with how to get it', async () => {
    const problems = await checkRequirements(fixtureRequires(), { env: { PATH: emptyDir } });
    expect(problems.map((p) => p.name)).toEqual(['docker', 'k3d', 'helm', 'kubectl', 'jq', 'istioctl']);
    for (const problem of problems) expect(problem.reason).toBe('not found on PATH');
    const hints = byName(problems);
    expect(hints.docker?.hint).toMatch(/docs\.docker\.com/);
    expect(hints.k3d?.hint).toMatch(/k3d/);
    expect(hints.helm?.hint).toMatch(/helm\.sh/);
    expect(hints.kubectl?.hint).toMatch(/kubernetes\.io/);
    expect(hints.jq?.hint).toMatch(/jq/);
    expect(hints.istioctl?.hint).toMatch(/ISTIO_VERSION=1\.23/);
  });

  it('reports only what is missing when part of the toolset is there', async () => {
    const problems = await checkRequirements(['jq', { name: 'k3d', version: '5' }, 'terraform'], {
      env: { PATH: `${emptyDir}${path.delimiter}${toolsOk}` },
    });
    expect(problems).toEqual([
      {
        name: 'terraform',
        reason: 'not found on PATH',
        hint: 'Install terraform and make sure it is on PATH.',
      },
    ]);
  });

  it('checks versions against what each tool prints, and a failing check command', async () => {
    const problems = byName(await checkRequirements(fixtureRequires(), { env: { PATH: toolsStale } }));
    expect(problems.k3d?.reason).toBe('version 4.4.8 does not satisfy "5"');
    expect(problems.helm?.reason).toBe('version 4.0.0 does not satisfy ">=3.16 <4"');
    expect(problems.istioctl?.reason).toBe('version 1.22.3 does not satisfy "1.23"');
    expect(problems.docker?.reason).toMatch(
      /^the Docker engine is not running \(`docker info` failed \(exit 1\): .*Cannot connect to the Docker daemon/,
    );
    expect(problems.docker?.hint).toMatch(/systemctl start docker|Docker Desktop/);
    // kubectl has no version requirement in the fixture, so its broken version output does not matter.
    expect(problems.kubectl).toBeUndefined();
    expect(problems.jq?.reason).toBe('cannot tell its version: `jq --version` printed no version number');
  });

  it('says when a tool cannot tell its version', async () => {
    const [problem] = await checkRequirements([{ name: 'kubectl', version: '>=1.28' }], {
      env: { PATH: toolsStale },
    });
    expect(problem?.reason).toBe(
      'cannot tell its version: `kubectl version --client --output=json` failed (exit 1): error: unknown flag: --output=json',
    );
  });

  it('uses the entry’s own hint and a generic one for unknown tools', async () => {
    const problems = await checkRequirements(
      [
        { name: 'k3d', version: '5', hint: 'Use the k3d from the team toolbox.' },
        { name: 'mytool', check: 'exit 3' },
      ],
      { env: { PATH: `${toolsStale}${path.delimiter}${toolsOk}` } },
    );
    expect(problems[0]).toEqual({
      name: 'k3d',
      reason: 'version 4.4.8 does not satisfy "5"',
      hint: 'Use the k3d from the team toolbox.',
    });
    expect(problems[1]).toEqual({
      name: 'mytool',
      reason: 'not found on PATH',
      hint: 'Install mytool and make sure it is on PATH.',
    });
  });

  it('runs a check command of a found tool and reports its failure generically', async () => {
    const [problem] = await checkRequirements(
      [{ name: 'jq', check: 'echo first; echo "jq cannot parse" >&2; exit 3' }],
      {
        env: { PATH: toolsOk },
      },
    );
    expect(problem).toEqual({
      name: 'jq',
      reason: '`echo first; echo "jq cannot parse" >&2; exit 3` failed (exit 3): jq cannot parse',
      hint: 'Make `echo first; echo "jq cannot parse" >&2; exit 3` succeed, then run again.',
    });
  });

  it('reports a malformed entry or version requirement instead of crashing', async () => {
    const problems = await checkRequirements(
      [{ version: '5' } as unknown as Requirement, { name: 'k3d', version: 'five' }],
      {
        env: { PATH: toolsOk },
      },
    );
    expect(problems[0]?.reason).toMatch(/has no name/);
    expect(problems[1]?.reason).toBe(
      'the runbook asks for version "five", which is not a version requirement',
    );
  });

  it('gives every command its own deadline, runs them in parallel and kills what hangs', async () => {
    const pidFile = path.join(emptyDir, 'pid');
    const started = Date.now();
    const problems = await checkRequirements(
      [
        { name: 'k3d', version: '5' },
        { name: 'docker', check: 'docker info' },
      ],
      { env: { PATH: toolsSlow, PREFLIGHT_PIDFILE: pidFile }, timeoutMs: 600 },
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(1100); // two 600 ms deadlines in sequence would take longer
    expect(byName(problems).k3d?.reason).toBe(
      'cannot tell its version: `k3d version` did not finish within 0.6 s',
    );
    expect(byName(problems).docker?.reason).toBe(
      'the Docker engine is not running (`docker info` did not finish within 0.6 s)',
    );
    for (const tool of ['k3d', 'docker']) {
      const pid = Number(readFileSync(`${pidFile}.${tool}`, 'utf8'));
      expect(isRunning(pid), `${tool} (pid ${pid}) still running`).toBe(false);
    }
  });

  it('resolves a path-like name against cwd and needs nothing for an empty list', async () => {
    expect(await checkRequirements(undefined)).toEqual([]);
    expect(await checkRequirements([])).toEqual([]);
    expect(await checkRequirements(['./tools-ok/jq'], { env: { PATH: emptyDir }, cwd: fixtures })).toEqual(
      [],
    );
    const [problem] = await checkRequirements(['./tools-ok/nope'], {
      env: { PATH: emptyDir },
      cwd: fixtures,
    });
    expect(problem?.reason).toBe('not found on PATH');
  });
});

describe('checks: bash in the runbook directory, required or only a warning', () => {
  it('runs a check with bash in the given directory', async () => {
    expect(
      await checkRequirements([{ name: 'jq', check: '[[ -d tools-ok && $PWD == */preflight ]]' }], {
        env: { PATH: toolsOk },
        cwd: fixtures,
      }),
    ).toEqual([]);
  });

  it('marks what warn: true makes a warning, and nothing else', async () => {
    const problems = await checkRequirements(
      [
        { name: 'jq', check: 'exit 1', warn: true },
        { name: 'nowhere-tool', warn: true },
        { name: 'jq', check: 'exit 1' },
      ],
      { env: { PATH: toolsOk } },
    );
    expect(problems.map((p) => [p.name, p.warn === true])).toEqual([
      ['jq', true],
      ['nowhere-tool', true],
      ['jq', false],
    ]);
  });

  it('takes a script’s last output line as the reason, and names a one-line check', async () => {
    const script =
      'limit=128\nif [ "$limit" -lt 512 ]; then\n  echo "limit is $limit, below 512"; exit 1\nfi\n';
    const [fromScript, fromLine, silent] = await checkRequirements(
      [
        { name: 'jq', check: script, hint: 'raise it' },
        { name: 'jq', check: 'echo nope; exit 4' },
        { name: 'jq', check: 'true\nfalse\n' },
      ],
      { env: { PATH: toolsOk } },
    );
    expect(fromScript).toEqual({ name: 'jq', reason: 'limit is 128, below 512', hint: 'raise it' });
    expect(fromLine?.reason).toBe('`echo nope; exit 4` failed (exit 4): nope');
    expect(silent?.reason).toBe('`true ...` failed (exit 1)');
    expect(silent?.hint).toBe('Make `true ...` succeed, then run again.');
  });

  it('says the Docker engine is down only for docker’s own health check', async () => {
    const problems = byName(
      await checkRequirements([{ name: 'docker', check: 'echo "Docker has 2000 MB of memory"; exit 1' }], {
        env: { PATH: toolsOk },
      }),
    );
    expect(problems.docker?.reason).toBe(
      '`echo "Docker has 2000 MB of memory"; exit 1` failed (exit 1): Docker has 2000 MB of memory',
    );
    expect(problems.docker?.hint).toMatch(/^Make `/);
  });
});

describe('formatWarnings', () => {
  it('is one runbook: warning line per warning, with its fix', () => {
    expect(formatWarnings([])).toBe('');
    expect(formatWarnings([{ name: 'docker', reason: 'only 4 GB', hint: 'give it 8 GB', warn: true }])).toBe(
      'runbook: warning: docker: only 4 GB\n    how to fix: give it 8 GB\n',
    );
  });
});

describe('formatProblems', () => {
  it('is empty without problems', () => {
    expect(formatProblems([])).toBe('');
  });

  it('lists every problem on its own lines with how to fix it', async () => {
    const problems = await checkRequirements(fixtureRequires(), { env: { PATH: emptyDir } });
    const text = formatProblems(problems);
    expect(text.split('\n')[0]).toBe('6 requirements are not met:');
    for (const problem of problems) {
      expect(text).toContain(`  - ${problem.name}: ${problem.reason}\n    how to fix: ${problem.hint}\n`);
    }
    expect(formatProblems([{ name: 'jq', reason: 'not found on PATH', hint: 'Install jq.' }])).toBe(
      '1 requirement is not met:\n  - jq: not found on PATH\n    how to fix: Install jq.\n',
    );
  });
});

describe('version requirements', () => {
  it.each([
    ['5.7.4', '5', true],
    ['4.4.8', '5', false],
    ['6.0.0', '5', false],
    ['3.16.2', 'v3', true],
    ['1.23.2', '1.23', true],
    ['1.24.0', '1.23', false],
    ['1.23.2', '>=1.23 <1.24', true],
    ['1.23.2', '>= 1.23 < 1.24', true],
    ['1.24.0', '>=1.23 <1.24', false],
    ['3.19.0', '>=3.16 <4', true],
    ['3.15.4', '>=3.16 <4', false],
    ['1.23.9', '<=1.23', true],
    ['1.24.0', '<=1.23', false],
    ['1.24.0', '>1.23', true],
    ['1.23.9', '>1.23', false],
    ['1.23.3', '>1.23.2', true],
    ['3.99.0', '^3.16', true],
    ['4.0.0', '^3.16', false],
    ['0.3.0', '^0.2.1', false],
    ['1.23.5', '~1.23.2', true],
    ['1.24.0', '~1.23.2', false],
    ['1.23.7', '1.23.x', true],
    ['1.6', '1.6 || >=1.7', true],
    ['1.7.1', '1.6 || >=1.7', true],
    ['1.5', '1.6 || >=1.7', false],
    ['1.32.4-dispatcher', '>=1.28', true],
    ['9.9.9', '*', true],
  ])('%s against "%s" is %s', (version, spec, expected) => {
    expect(satisfies(version, spec)).toBe(expected);
  });

  it.each(['five', '', '>=', '1.2.3.4', '1.x.3x'])('"%s" is not a requirement', (spec) => {
    expect(satisfies('1.0.0', spec)).toBe('invalid');
  });

  it('finds the version in what the real tools print', () => {
    expect(versionIn('k3d version v5.7.4\nk3s version v1.30.4-k3s1 (default)')).toBe('5.7.4');
    expect(versionIn('v3.16.2+g13654a5')).toBe('3.16.2');
    expect(versionIn('Docker version 27.3.1, build ce12230')).toBe('27.3.1');
    expect(versionIn('jq-1.6')).toBe('1.6');
    expect(versionIn('1.23.2')).toBe('1.23.2');
    expect(versionIn('no version')).toBeUndefined();
  });
});
