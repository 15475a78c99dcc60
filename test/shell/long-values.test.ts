// Long values handed to bash: kept in a file of their own that bash reads whole, byte for byte, with the
// trailing newlines `$(<file)` would drop put back; through the restore function in real bash, and end to
// end through steps and --resume.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeContext, FILE_VALUE } from '../../lib/core/context.ts';
import type { Context } from '../../lib/core/types.ts';
import { RESTORE_FUNCTION } from '../../lib/shell/restore-script.ts';
import { runCli, scratch, writeSteps } from '../helpers/cli.ts';

const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('long values in files of their own', () => {
  it('are restored by bash exactly, attributes and trailing newlines included; short ones stay in the data', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'long-values-'));
    dirs.push(dir);
    const line = `ünïcode "quoted" $(touch ${dir}/ran) \`x\` \\ 'single'\r\n`;
    const long = line.repeat(Math.ceil(FILE_VALUE / line.length) + 1);
    const values: Record<string, string> = {
      NONE: long.replace(/\n+$/, ''),
      ONE: `${long}`,
      THREE: `${long}\n\n`,
      ONLY_NEWLINES: '\n'.repeat(FILE_VALUE + 5),
      SHORT: 'short\n\n',
    };
    const ctx: Context = {
      vars: {
        ...Object.fromEntries(
          Object.entries(values).map(([name, value]) => [name, { type: 'scalar', attrs: '', value }]),
        ),
        EXPORTED: { type: 'scalar', attrs: 'x', value: long },
      },
      unset: [],
      functions: '',
      cwd: dir,
    };
    const files: string[] = [];
    const data = encodeContext(ctx, (value) => {
      const file = path.join(dir, `val.${files.length}`);
      writeFileSync(file, value);
      files.push(file);
      return file;
    });
    expect(files).toHaveLength(5);
    expect(data.length).toBeLessThan(2000);
    writeFileSync(path.join(dir, 'ctx.in'), data);
    const script = `${RESTORE_FUNCTION}\n__rb_restore "$1"\nfor n in NONE ONE THREE ONLY_NEWLINES SHORT EXPORTED; do printf '%s ' "$(printf %s "\${!n}" | sha256sum | cut -d' ' -f1)"; done\ndeclare -p EXPORTED | cut -c1-14\n`;
    const run = spawnSync('bash', ['-c', script, 'restore', path.join(dir, 'ctx.in')], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const want = [...Object.values(values), long].map(sha).join(' ');
    expect(run.stdout).toBe(`${want} declare -x EXP\n`);
    expect(() => readFileSync(path.join(dir, 'ran'))).toThrow();
  });
});

describe('long values carried by a run', { timeout: 60_000 }, () => {
  it('reach later steps and a resumed run exactly', async () => {
    const dir = scratch();
    const steps = [
      // 300,000 characters of random text with two newlines at its end, and its hash as bash makes it.
      'BIG="$(head -c 225000 /dev/urandom | base64 -w0)"$\'\\n\\n\'\nprintf %s "$BIG" | sha256sum > made.txt',
      'printf %s "$BIG" | sha256sum > seen.txt\nBIG+=more$\'\\n\'\nprintf %s "$BIG" | sha256sum > changed.txt',
      '[[ -e go ]]\nprintf %s "$BIG" | sha256sum > resumed.txt',
    ];
    writeSteps(dir, 'long.md', steps);
    const first = await runCli(['--yes', 'long.md'], { cwd: dir });
    expect(first.code).toBe(1);
    const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
    expect(read('seen.txt')).toBe(read('made.txt'));
    writeFileSync(path.join(dir, 'go'), '');
    const again = await runCli(['--yes', '--resume', 'long.md'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('resuming at step 3');
    expect(read('resumed.txt')).toBe(read('changed.txt'));
    expect(read('changed.txt')).not.toBe(read('made.txt'));
  });
});
