// Every way out removes the run's scratch directory and leaves no process: input errors, refusals, and
// a signal at any moment of the start, which also exits 130. What the runner writes is private: files 0600
// in 0700 directories.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli, waitFor } from '../helpers/cli.ts';
import { bashCli, expectNothingLeft, processesUsing, sandbox, tree } from '../helpers/sandbox.ts';

const steps = (...code: string[]) => `# E\n\n${code.map((c) => `\`\`\`bash\n${c}\n\`\`\``).join('\n\n')}\n`;

describe('early exits leave nothing', () => {
  const refusals: [string, string, string[]][] = [
    ['a missing variable', steps('echo "$NOT_GIVEN"'), ['--yes']],
    ['a missing tool', `---\nrequires: [no-such-tool-here]\n---\n${steps('true')}`, ['--yes']],
    ['a bad attribute', '```bash {timeout=soon}\ntrue\n```\n', ['--yes']],
    ['a bad --from', steps('true'), ['--yes', '--from', '9']],
    ['no terminal', steps('true'), []],
    ['nothing to resume', steps('true'), ['--yes', '--resume']],
  ];

  it.each(refusals)(
    'after %s, every time',
    async (_what, md, args) => {
      const box = sandbox();
      writeFileSync(path.join(box.dir, 'e.md'), md);
      // The race this guards against (the step shell writing into its directory as it is removed) is rare:
      // try it often.
      const runs = await Promise.all(
        Array.from({ length: 8 }, () => bashCli(box, `runbook ${args.join(' ')} e.md </dev/null`)),
      );
      for (const r of runs) {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/^runbook: /);
        expect(r.stderr).not.toMatch(/shell-init|server\.sh|internal error/);
      }
      await expectNothingLeft(box);
    },
    60_000,
  );

  it('after SIGTERM at any moment of the start: exit 130', async () => {
    const box = sandbox();
    writeFileSync(path.join(box.dir, 'e.md'), steps('echo "$NEEDED"; sleep 3.0137', 'touch ran.txt'));
    const env = { ...box.env, NEEDED: 'yes' };
    // At once; once the scratch directory exists; once the step shell runs; once the step does.
    const moments: ((runtime: string) => boolean)[] = [
      () => true,
      (runtime) => readdirCount(runtime) > 0,
      (runtime) => processesUsing(runtime).length > 0,
      () => processesUsing('3.0137').length > 0,
    ];
    for (const [i, ready] of moments.entries()) {
      const run = startCli(['--yes', 'e.md'], { cwd: box.dir, env });
      await waitFor(() => ready(box.runtime), 10_000, `moment ${i}`);
      run.child.kill('SIGTERM');
      const r = await run.done;
      // Only before node has run any of the runner's code can the signal's default action end it.
      const killedBeforeStart = i === 0 && r.signal === 'SIGTERM';
      if (!killedBeforeStart) expect([i, r.code, r.signal]).toEqual([i, 130, null]);
      expect(r.stderr).not.toMatch(/shell-init|server\.sh|internal error/);
      await expectNothingLeft(box);
    }
  }, 60_000);

  it('after SIGTERM while the variables are analysed (a new runbook): exit 130', async () => {
    const box = sandbox();
    // Many steps: the first analysis of them takes a moment, and the signal comes during it.
    const md = steps(...Array.from({ length: 400 }, (_, i) => `echo step ${i} "$HOME"`));
    writeFileSync(path.join(box.dir, 'e.md'), md);
    const run = startCli(['--yes', 'e.md'], { cwd: box.dir, env: box.env });
    await waitFor(() => readdirCount(box.runtime) > 0, 10_000, 'the scratch directory');
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(130);
    await expectNothingLeft(box);
  }, 30_000);
});

describe('a runner killed outright before its watch began', () => {
  it("leaves a scratch directory that the next run of any runbook removes, and none of another's", async () => {
    const box = sandbox();
    // One whose runner is gone (a pid that has ended), and one of a runner still alive (this test).
    const ended = spawnSync('true').pid;
    const orphan = path.join(box.runtime, `runbook-0123456789abcdef-p${ended}-AbC123`);
    const live = path.join(box.runtime, `runbook-fedcba9876543210-p${process.pid}-XyZ789`);
    for (const d of [orphan, live]) {
      mkdirSync(path.join(d, 'step'), { recursive: true });
      writeFileSync(path.join(d, 'server.sh'), '');
    }
    writeFileSync(path.join(box.dir, 'other.md'), steps('echo ran'));
    const r = await bashCli(box, 'runbook --yes other.md');
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(box.runtime)).toEqual([path.basename(live)]);
  }, 30_000);
});

describe('what the runner writes is private', () => {
  it('0600 files in 0700 directories: .runbook/, the scratch directory, --record', async () => {
    const box = sandbox();
    mkdirSync(path.join(box.dir, 'docs'));
    // The step reports the modes in the scratch directory while it runs, after an umask that would
    // make them world-readable.
    writeFileSync(
      path.join(box.dir, 'docs/p.md'),
      steps(
        'umask 000; X=1',
        'stat -c "%n %a" "$__RB_DIR" "$__RB_DIR/step" > "$OUT/modes.txt"; find "$__RB_DIR" -type f -exec stat -c "%n %a" {} + >> "$OUT/modes.txt"',
      ),
    );
    const out = path.join(box.dir, 'out');
    mkdirSync(out);
    const r = await bashCli(box, 'umask 022; runbook --yes --record rec docs/p.md', { env: { OUT: out } });
    expect(r.code).toBe(0);
    // The scratch directory and its step/ folder (the steps' scripts), then every file in them.
    const [dirMode, stepDir, ...files] = readFileSync(path.join(out, 'modes.txt'), 'utf8').trim().split('\n');
    expect(dirMode).toMatch(/ 700$/);
    expect(stepDir).toMatch(/ 700$/);
    expect(files.length).toBeGreaterThan(2);
    for (const line of files) expect(line).toMatch(/ 600$/);
    const listed = await bashCli(box, 'umask 022; runbook --list docs/p.md');
    expect(listed.code).toBe(0);
    const modes = { ...tree(path.join(box.dir, 'docs/.runbook')), ...tree(path.join(box.dir, 'rec')) };
    expect(Object.keys(modes).sort()).toEqual([
      'junit.xml',
      'p.analysis.json',
      'p.parse.json',
      'p.state.json',
      'run.json',
      'transcript.md',
    ]);
    expect(new Set(Object.values(modes))).toEqual(new Set(['600']));
    expect(tree(path.join(box.dir, 'docs'))['.runbook']).toBe('700');
    expect(tree(box.dir).rec).toBe('700');
    await expectNothingLeft(box);
  }, 30_000);
});

function readdirCount(dir: string): number {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}
