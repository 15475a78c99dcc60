// The layering rule of ARCHITECTURE.md is enforced by dependency-cruiser: this proves the rule bites, on a
// copy of lib/ with a cycle and an upward import planted in it (`npm test` runs the rule on lib/ itself).
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';

const CRUISER = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

function cruise(dir: string) {
  return spawnSync(process.execPath, [CRUISER, 'lib', '--config', '.dependency-cruiser.cjs'], {
    cwd: dir,
    encoding: 'utf8',
  });
}

const copies: string[] = [];
function copyOfLib(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'runbook-layers-'));
  copies.push(dir);
  for (const f of ['lib', '.dependency-cruiser.cjs', 'tsconfig.json'])
    cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

describe('the layers of lib/', { timeout: 30_000 }, () => {
  it('fail the check on a planted upward import, naming the edge', () => {
    const dir = copyOfLib();
    appendFileSync(path.join(dir, 'lib/core/errors.ts'), "\nimport '../ui/view.ts';\n");
    const r = cruise(dir);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('error core-imports-upward: lib/core/errors.ts → lib/ui/view.ts');
  });

  it('fail the check on a planted cycle inside one layer', () => {
    const dir = copyOfLib();
    appendFileSync(path.join(dir, 'lib/core/errors.ts'), "\nimport './context.ts';\n");
    const r = cruise(dir);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/error no-cycle: lib\/core\/(errors|context)\.ts/);
  });
});
