// A step's exit status as bash gives a script's: its last command's, errexit on or off.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, scratch } from '../helpers/cli.ts';

describe("a step's status", () => {
  it('is its last command’s with errexit off; a failure before the last command does not fail it', async () => {
    const dir = scratch('status/errexit-off.md');
    const r = await runCli(['--yes', 'errexit-off.md'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(readFileSync(path.join(dir, '.runbook/errexit-off.state.json'), 'utf8'));
    const by = (name: string) => record.steps.find((s: { name: string }) => s.name === name);
    expect([by('grep-fails').status, by('grep-fails').exitCode]).toEqual(['failed', 1]);
    expect([by('exit-five').status, by('exit-five').exitCode]).toEqual(['failed', 5]);
    expect(by('failed-earlier').status).toBe('done');
    expect(readFileSync(path.join(dir, 'log.txt'), 'utf8')).toBe('went on\n');
  });
});
