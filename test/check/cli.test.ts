// `runbook check` from the command line: findings one per line, exit 1 on errors, nothing run.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, scratch } from '../helpers/cli.ts';

describe('runbook check', () => {
  it('reports a missing values file and an unknown attribute with runbook lines, running nothing', async () => {
    const dir = scratch('attrs/cwd-attr.md');
    writeFileSync(
      path.join(dir, 'bad.md'),
      '# Bad\n\n```bash {name=install timout=60}\ntouch ran.txt\nhelm install x chart --values ./missing/values.yaml\n```\n',
    );
    const r = await runCli(['check', 'bad.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^bad\.md:3: error: unknown attribute timout \(did you mean timeout\?\) \(install\)$/m,
    );
    expect(r.stdout).toMatch(/^bad\.md:5: error: .*missing\/values\.yaml.*\(install\)$/m);
    expect(r.stderr).toMatch(/2 errors/);
    expect(existsSync(path.join(dir, 'ran.txt'))).toBe(false);
  });

  it('passes a clean runbook with exit 0', async () => {
    const dir = scratch('run/select.md');
    const r = await runCli(['check', 'select.md'], { cwd: dir });
    expect(r.stderr).toMatch(/looks good/);
    expect(r.code).toBe(0);
  });
});
