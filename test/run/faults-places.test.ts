// Runbooks whose directory cannot hold .runbook/: a pipe, a process substitution, /dev/stdin, a read-only
// mount, another user's directory. Each still lists, dry-runs and runs, keeping its record in the state
// home, or stops at once with exit 2 when there is nowhere to keep one. Never a loop.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bashCli,
  expectNothingLeft,
  isRoot,
  OTHER_USER,
  runnerLines,
  type Sandbox,
  sandbox,
  tree,
} from '../helpers/sandbox.ts';

/** One bash step per entry. */
const steps = (...code: string[]) =>
  `# Faults\n\n${code.map((c) => `\`\`\`bash\n${c}\n\`\`\``).join('\n\n')}\n`;
/** Step 1 leaves one.txt in $OUT; step 2 fails until $OUT/go exists. */
const TWO = steps('echo one > "$OUT/one.txt"', 'test -e "$OUT/go"\necho two > "$OUT/two.txt"');

/** The folders in the state home, each with the files in it. */
function stateFolders(box: Sandbox): Record<string, string[]> {
  const home = path.join(box.state, 'runbook');
  if (!existsSync(home)) return {};
  return Object.fromEntries(readdirSync(home).map((d) => [d, readdirSync(path.join(home, d)).sort()]));
}

function statuses(file: string): string[] {
  return JSON.parse(readFileSync(file, 'utf8')).steps.map((s: { status: string }) => s.status);
}

/** A directory for the steps' own files, which the runs may write whoever they run as. */
function outDir(box: Sandbox): string {
  const out = path.join(box.dir, 'out');
  mkdirSync(out, { mode: 0o777 });
  chmodSync(out, 0o777);
  return out;
}

describe('a runbook read from a pipe', () => {
  it('lists, dry-runs and runs a process substitution, and resumes it from the state home', async () => {
    const box = sandbox();
    const out = outDir(box);
    const src = path.join(box.dir, 'src.md');
    writeFileSync(src, TWO);
    const env = { OUT: out };
    const list = await bashCli(box, `runbook --list <(cat src.md)`, { env });
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toMatch(/^1 {2}faults +echo one[^\n]*\n2 {2}faults-2 +test -e/);
    const dry = await bashCli(box, `runbook --dry-run <(cat src.md)`, { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Dry run of 2 steps');
    const run = await bashCli(box, `runbook --yes <(cat src.md)`, { env });
    expect(run.code).toBe(1);
    expect(readFileSync(path.join(out, 'one.txt'), 'utf8')).toBe('one\n');
    // Nothing beside a runbook that has no directory; one folder in the state home, named for a stream.
    expect(readdirSync(box.dir).sort()).toEqual(['out', 'src.md']);
    const folders = stateFolders(box);
    expect(Object.keys(folders)).toEqual([expect.stringMatching(/^stream-[0-9a-f]{16}$/)]);
    const folder = path.join(box.state, 'runbook', Object.keys(folders)[0] as string);
    expect(statuses(path.join(folder, 'stream.state.json'))).toEqual(['done', 'failed']);
    writeFileSync(path.join(out, 'go'), '');
    const resumed = await bashCli(box, `runbook --yes --resume <(cat src.md)`, { env });
    expect(resumed.stderr).toContain('runbook: resuming at step 2 (1 done)');
    expect(resumed.code).toBe(0);
    expect(statuses(path.join(folder, 'stream.state.json'))).toEqual(['done', 'done']);
    for (const [file, mode] of Object.entries(tree(path.join(box.state, 'runbook')))) {
      expect([file, mode]).toEqual([file, file.includes('.') ? '600' : '700']);
    }
    await expectNothingLeft(box);
  }, 60_000);

  it('keeps two piped runbooks apart, and the same one piped from another directory', async () => {
    const box = sandbox();
    const out = outDir(box);
    writeFileSync(path.join(box.dir, 'a.md'), steps('echo a >> "$OUT/a.txt"'));
    writeFileSync(path.join(box.dir, 'b.md'), steps('echo b >> "$OUT/b.txt"'));
    mkdirSync(path.join(box.dir, 'elsewhere'));
    const env = { OUT: out };
    for (const line of [
      'runbook --yes <(cat a.md)',
      'runbook --yes <(cat b.md)',
      'cd elsewhere && runbook --yes <(cat ../a.md)',
    ]) {
      const r = await bashCli(box, line, { env });
      expect([line, r.code]).toEqual([line, 0]);
    }
    expect(Object.keys(stateFolders(box))).toHaveLength(3);
    // The same text from the same directory is the same runbook: nothing left to resume.
    const again = await bashCli(box, 'runbook --yes --resume <(cat a.md)', { env });
    expect(again.stderr).toMatch(/every step of .* is already done/);
    expect(again.code).toBe(0);
    await expectNothingLeft(box);
  }, 60_000);

  it('runs a runbook piped to /dev/stdin, its steps starting in the current directory', async () => {
    const box = sandbox();
    writeFileSync(path.join(box.dir, 'src.md'), steps('pwd > where.txt'));
    const r = await bashCli(box, 'cat src.md | runbook --yes /dev/stdin');
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(box.dir, 'where.txt'), 'utf8')).toBe(`${box.dir}\n`);
    expect(Object.keys(stateFolders(box))).toEqual([expect.stringMatching(/^stream-/)]);
    expect(existsSync(path.join(box.dir, '.runbook'))).toBe(false);
    await expectNothingLeft(box);
  }, 30_000);

  it('takes /dev/stdin redirected from a file as that file: its record beside it', async () => {
    const box = sandbox();
    mkdirSync(path.join(box.dir, 'docs'));
    writeFileSync(path.join(box.dir, 'docs/deploy.md'), steps('pwd > where.txt'));
    const r = await bashCli(box, 'runbook --yes /dev/stdin < docs/deploy.md');
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(box.dir, 'docs/where.txt'), 'utf8')).toBe(`${box.dir}/docs\n`);
    expect(statuses(path.join(box.dir, 'docs/.runbook/deploy.state.json'))).toEqual(['done']);
    expect(stateFolders(box)).toEqual({});
    await expectNothingLeft(box);
  }, 30_000);
});

describe('a runbook whose directory cannot hold .runbook/', () => {
  const canMount = isRoot && spawnSync('unshare', ['--mount', 'true']).status === 0;

  it.skipIf(!canMount)(
    'runs from a read-only mount, keeping its record in the state home',
    async () => {
      const box = sandbox();
      const out = outDir(box);
      const ro = path.join(box.dir, 'ro');
      mkdirSync(ro);
      writeFileSync(path.join(box.dir, 'deploy.md'), TWO);
      // A mount namespace of its own: the read-only file system exists for this script alone.
      const script = [
        `mount -t tmpfs -o size=1m tmpfs ro && cp deploy.md ro/ && mount -o remount,ro ro || exit 99`,
        'runbook --list ro/deploy.md; echo "list=$?"',
        'runbook --dry-run ro/deploy.md >/dev/null; echo "dry=$?"',
        'runbook --yes ro/deploy.md; echo "run=$?"',
        'touch "$OUT/go"; runbook --yes --resume ro/deploy.md; echo "resume=$?"',
        'ls -A ro',
      ].join('\n');
      const r = await bashCli(box, `exec unshare --mount --propagation private bash -c '${script}'`, {
        env: { OUT: out },
      });
      expect(r.stdout).toMatch(/list=0\ndry=0\n(.*\n)*run=1\n(.*\n)*resume=0\ndeploy\.md\n$/);
      expect(r.stderr).toContain('runbook: resuming at step 2 (1 done)');
      expect(r.stderr).not.toMatch(/internal error|EROFS/);
      const folders = stateFolders(box);
      expect(Object.keys(folders)).toEqual([expect.stringMatching(/^deploy-[0-9a-f]{16}$/)]);
      expect(Object.values(folders)[0]).toContain('deploy.state.json');
      await expectNothingLeft(box);
    },
    60_000,
  );

  it("runs from another user's directory, keeping its record in the state home", async () => {
    const box = sandbox(true);
    const out = outDir(box);
    mkdirSync(path.join(box.dir, 'theirs'));
    writeFileSync(path.join(box.dir, 'theirs/deploy.md'), TWO);
    // As root the runner runs as nobody; otherwise the directory is made read-only for its owner.
    const as = isRoot ? { uid: OTHER_USER, gid: OTHER_USER } : {};
    if (!isRoot) chmodSync(path.join(box.dir, 'theirs'), 0o555);
    const env = { OUT: out, HOME: box.state };
    const list = await bashCli(box, 'runbook --list theirs/deploy.md', { ...as, env });
    expect(list).toMatchObject({ code: 0, stderr: '' });
    const run = await bashCli(box, 'runbook --yes theirs/deploy.md', { ...as, env });
    expect(run.code).toBe(1);
    expect(runnerLines(run.stderr).join('\n')).not.toMatch(/internal error|EACCES/);
    writeFileSync(path.join(out, 'go'), '');
    const resumed = await bashCli(box, 'runbook --yes --resume theirs/deploy.md', { ...as, env });
    expect(resumed.stderr).toContain('runbook: resuming at step 2 (1 done)');
    expect(resumed.code).toBe(0);
    expect(readdirSync(path.join(box.dir, 'theirs'))).toEqual(['deploy.md']);
    expect(Object.keys(stateFolders(box))).toEqual([expect.stringMatching(/^deploy-[0-9a-f]{16}$/)]);
    chmodSync(path.join(box.dir, 'theirs'), 0o755);
    await expectNothingLeft(box);
  }, 60_000);

  it('uses the state home when .runbook is taken by a file, one folder per runbook path', async () => {
    const box = sandbox();
    const out = outDir(box);
    for (const d of ['one', 'two']) {
      mkdirSync(path.join(box.dir, d));
      writeFileSync(path.join(box.dir, d, '.runbook'), 'not a directory\n');
      writeFileSync(path.join(box.dir, d, 'deploy.md'), TWO);
    }
    // XDG_STATE_HOME unset: the default is ~/.local/state.
    const home = `unset XDG_STATE_HOME; export HOME=${JSON.stringify(box.state)};`;
    const env = { OUT: out };
    expect((await bashCli(box, `${home} runbook --yes one/deploy.md`, { env })).code).toBe(1);
    expect((await bashCli(box, `${home} runbook --yes two/deploy.md`, { env })).code).toBe(1);
    const folders = readdirSync(path.join(box.state, '.local/state/runbook'));
    expect(folders).toHaveLength(2);
    writeFileSync(path.join(out, 'go'), '');
    const resumed = await bashCli(box, `${home} runbook --yes --resume two/deploy.md`, { env });
    expect(resumed.stderr).toContain('runbook: resuming at step 2 (1 done)');
    expect(resumed.code).toBe(0);
    expect(readFileSync(path.join(box.dir, 'one/.runbook'), 'utf8')).toBe('not a directory\n');
    await expectNothingLeft(box);
  }, 60_000);

  it('lists and dry-runs, but refuses to run at once, when no place can hold its record', async () => {
    const box = sandbox();
    writeFileSync(path.join(box.dir, '.runbook'), '');
    writeFileSync(path.join(box.dir, 'deploy.md'), steps('touch ran.txt'));
    const nowhere = { XDG_STATE_HOME: path.join(box.dir, 'deploy.md') };
    const list = await bashCli(box, 'runbook --list deploy.md', { env: nowhere });
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect((await bashCli(box, 'runbook --dry-run deploy.md', { env: nowhere })).code).toBe(0);
    const run = await bashCli(box, 'runbook --yes deploy.md', { env: nowhere });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^runbook: nowhere to keep the run record of .*deploy\.md: .*\.runbook is not a directory; .*deploy\.md is not a directory \(set XDG_STATE_HOME to a writable directory\)\n$/,
    );
    expect(existsSync(path.join(box.dir, 'ran.txt'))).toBe(false);
    await expectNothingLeft(box);
  }, 30_000);
});

describe('never a loop', () => {
  it.each([['--list'], ['--dry-run'], ['--yes'], ['check']])(
    'runbook %s <(...) ends, whatever the directory of the path it is given',
    async (flag) => {
      const box = sandbox();
      writeFileSync(path.join(box.dir, 'src.md'), steps('echo hi'));
      const r = await bashCli(box, `runbook ${flag} <(cat src.md)`);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(0);
      await expectNothingLeft(box);
    },
    30_000,
  );
});
