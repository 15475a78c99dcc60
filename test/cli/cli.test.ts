// The command line itself: --help, --version, --list and its JSON contract, and what start-up loads.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serve } from '../helpers/browser.ts';
import { BIN, ROOT, runCli, scratch } from '../helpers/cli.ts';
import { PtySession } from '../helpers/pty.ts';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

describe('runbook --help and --version', () => {
  it('--help lists every flag and the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--yes',
      '--resume',
      '--from',
      '--to',
      '--only',
      '--set',
      '--dry-run',
      '--record',
      '--list',
      '--json',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toMatch(/Exit codes:[\s\S]*0 [\s\S]*1 [\s\S]*2 [\s\S]*130 /);
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.stdout).toBe(`runbook ${pkg.version}\n`);
  });
});

describe('runbook --list', () => {
  it('prints one line per step: number, name, first line of code', async () => {
    const dir = scratch('run/select.md');
    const r = await runCli(['--list', 'select.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^1 {2}first +echo first >> order\.log$/);
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
  });

  it('--json follows the contract: code exactly, line of the fence, attributes', async () => {
    const dir = scratch('run/select.md');
    writeFileSync(
      path.join(dir, 'contract.md'),
      '---\ntitle: t\n---\r\n\r\n~~~~Bash {name=made timeout=600 flag}\r\nline one\r\n\r\n  indented\r\n~~~~\r\n\r\n```sh\n```\n',
    );
    const r = await runCli(['--list', '--json', 'contract.md'], { cwd: dir });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).steps;
    expect(rows[0]).toMatchObject({
      index: 1,
      name: 'made',
      lang: 'bash',
      line: 5,
      code: 'line one\n\n  indented',
      attributes: { name: 'made', timeout: '600', flag: true },
    });
    expect(rows[1]).toMatchObject({ index: 2, name: 'step-2', lang: 'sh', line: 11, code: '' });
  });

  it('a file with no steps says so', async () => {
    const dir = scratch('run/select.md');
    writeFileSync(path.join(dir, 'empty.md'), '# Nothing to run\n\n```yaml\na: 1\n```\n');
    const r = await runCli(['--list', 'empty.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/has no steps/);
  });

  it('malformed front matter is one line naming the line, exit 2', async () => {
    const dir = scratch('run/select.md');
    writeFileSync(path.join(dir, 'bad.md'), '---\ntitle: ok\nrequires: [a\n---\n\n```sh\ntrue\n```\n');
    const r = await runCli(['--list', 'bad.md'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/line \d+/);
  });
});

describe('start-up stays light', () => {
  const heavy = /node_modules\/(zx|@clack|marked-terminal|cli-highlight)\//;
  // The web notebook's server, channel and page: only `runbook serve` loads them.
  const web = /node_modules\/(ws|@xterm|dompurify|highlight\.js|esbuild|playwright-core)\/|\/dist\/ui\/web\//;
  const trace = path.join(ROOT, 'test/helpers/trace-imports.mjs');
  it.each([['--help'], ['--version'], ['--list', 'runbook.md']])(
    '%s loads no zx, clack, marked-terminal or web code',
    (...args) => {
      const r = spawnSync(process.execPath, ['--import', trace, BIN, ...args], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      const loaded = r.stderr.split('\n').filter((l) => l.startsWith('IMPORT '));
      expect(loaded.some((l) => l.includes('/dist/cli/cli.js'))).toBe(true);
      expect(loaded.filter((l) => heavy.test(l) || web.test(l))).toEqual([]);
    },
  );

  it('runbook serve is what loads it', async () => {
    const dir = scratch('web/page.md');
    const log = path.join(dir, 'imports.log');
    const s = await serve(['page.md'], {
      cwd: dir,
      env: { ...process.env, NODE_OPTIONS: `--import ${trace}`, TRACE_IMPORTS_TO: log },
    });
    await s.stop();
    const loaded = readFileSync(log, 'utf8').split('\n');
    expect(loaded.filter((l) => web.test(l)).length).toBeGreaterThan(0);
  });

  it('a --yes run loads no web code', () => {
    const dir = scratch('run/context.md');
    const r = spawnSync(process.execPath, ['--import', trace, BIN, '--yes', 'context.md'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    const loaded = r.stderr.split('\n').filter((l) => l.startsWith('IMPORT '));
    expect(loaded.some((l) => l.includes('/dist/engine/engine.js'))).toBe(true);
    expect(loaded.filter((l) => web.test(l))).toEqual([]);
  });

  it('the walkthrough loads no web code', { timeout: 30_000 }, async () => {
    const dir = scratch('interactive/walk.md');
    const log = path.join(dir, 'imports.log');
    const s = new PtySession(['walk.md'], {
      cwd: dir,
      env: { NODE_OPTIONS: `--import ${trace}`, TRACE_IMPORTS_TO: log },
    });
    try {
      await s.waitFor('Step 1: run it?');
      s.write('a');
      expect((await s.finish()).exitCode).toBe(0);
    } finally {
      s.dispose();
    }
    const loaded = readFileSync(log, 'utf8').split('\n');
    expect(loaded.some((l) => l.includes('/dist/ui/walkthrough.js'))).toBe(true);
    expect(loaded.filter((l) => web.test(l))).toEqual([]);
  });
});
