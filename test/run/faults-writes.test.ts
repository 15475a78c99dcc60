// Every place a run will write is checked before step 1; a write that fails after the steps ran says which
// file and why, and the exit code still tells how the steps went. A refused run under --record still
// leaves its records (every step not run), so CI has a junit.xml to upload.
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
  sandbox,
  tree,
} from '../helpers/sandbox.ts';

const steps = (...code: string[]) => `# W\n\n${code.map((c) => `\`\`\`bash\n${c}\n\`\`\``).join('\n\n')}\n`;

describe('--record DIR, checked before step 1', () => {
  it.each([
    [
      'an existing file',
      (rec: string) => writeFileSync(rec, 'mine\n'),
      /^runbook: --record .*rec is not a directory\n$/,
    ],
    [
      'a directory whose junit.xml is a directory',
      (rec: string) => mkdirSync(path.join(rec, 'junit.xml'), { recursive: true }),
      /^runbook: --record: cannot write .*rec\/junit\.xml: it is a directory\n$/,
    ],
    [
      'a path under a file',
      (rec: string) => writeFileSync(rec, ''),
      /^runbook: --record .*rec\/sub: .*rec is not a directory\n$/,
      'sub',
    ],
  ])(
    'pointing at %s is refused with exit 2, nothing run',
    async (_what, make, message, below = '') => {
      const box = sandbox();
      writeFileSync(path.join(box.dir, 'w.md'), steps('touch ran.txt'));
      const rec = path.join(box.dir, 'rec');
      make(rec);
      const r = await bashCli(box, `runbook --yes --record ${path.join(rec, below)} w.md`);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(path.join(box.dir, 'ran.txt'))).toBe(false);
      await expectNothingLeft(box);
    },
    30_000,
  );

  it('pointing at a directory the runner may not write is refused with exit 2, nothing run', async () => {
    const box = sandbox(true);
    writeFileSync(path.join(box.dir, 'w.md'), steps('touch "$OUT/ran.txt"'));
    const out = path.join(box.dir, 'out');
    mkdirSync(out);
    chmodSync(out, 0o777);
    const rec = path.join(box.dir, 'rec');
    mkdirSync(rec);
    // As root the runner runs as nobody; otherwise the directory is read-only for its owner.
    const as = isRoot ? { uid: OTHER_USER, gid: OTHER_USER } : {};
    if (!isRoot) chmodSync(rec, 0o555);
    const r = await bashCli(box, `runbook --yes --record rec w.md`, { ...as, env: { OUT: out } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^runbook: --record .*rec is not writable \(permission denied\)\n$/);
    expect(existsSync(path.join(out, 'ran.txt'))).toBe(false);
    await expectNothingLeft(box);
  }, 30_000);
});

describe('a write that fails after steps ran', () => {
  it('names the record file and why; the exit code is the steps’ own when one failed', async () => {
    const box = sandbox();
    // The first step takes the records' place; the second fails on its own.
    const md = steps('rm -rf rec && mkdir -p rec/run.json', 'exit 3');
    writeFileSync(path.join(box.dir, 'w.md'), md);
    const r = await bashCli(box, 'runbook --yes --record rec w.md');
    expect(r.code).toBe(1);
    expect(runnerLines(r.stderr).at(-1)).toMatch(
      /^runbook: cannot write the records: .*rec\/run\.json: it is a directory \(the steps: step 2 w-2 failed\)$/,
    );
    // The other two are written all the same.
    expect(readdirSync(path.join(box.dir, 'rec')).sort()).toEqual(['junit.xml', 'run.json', 'transcript.md']);
    await expectNothingLeft(box);
  }, 30_000);

  it('is exit 2 when every step was done, saying so', async () => {
    const box = sandbox();
    writeFileSync(path.join(box.dir, 'w.md'), steps('rm -rf rec && touch rec'));
    const r = await bashCli(box, 'runbook --yes --record rec w.md');
    expect(r.code).toBe(2);
    expect(runnerLines(r.stderr).at(-1)).toMatch(
      /^runbook: cannot write the records: .*rec is not a directory \(the steps: all done\)$/,
    );
    await expectNothingLeft(box);
  }, 30_000);

  it('of the run record warns at once, lets the steps go on, and says so at the end with exit 2', async () => {
    const box = sandbox();
    const md = steps('rm -rf .runbook && touch .runbook', 'touch second.txt');
    writeFileSync(path.join(box.dir, 'w.md'), md);
    const r = await bashCli(box, 'runbook --yes w.md');
    expect(r.code).toBe(2);
    const lines = runnerLines(r.stderr);
    expect(lines.at(-1)).toMatch(
      /^runbook: cannot write the run record .*\.runbook\/w\.state\.json: not a directory; --resume cannot continue this run \(the steps: all done\)$/,
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^runbook: warning: cannot write the run record .*: not a directory; the run goes on/,
      ),
    );
    expect(existsSync(path.join(box.dir, 'second.txt'))).toBe(true);
    expect(r.stderr).not.toMatch(/internal error/);
    await expectNothingLeft(box);
  }, 30_000);

  const canMount = isRoot && spawnSync('unshare', ['--mount', 'true']).status === 0;
  it.skipIf(!canMount)(
    'of the run record on a full disk leaves no temporary file',
    async () => {
      const box = sandbox();
      const small = path.join(box.dir, 'small');
      mkdirSync(small);
      writeFileSync(
        path.join(box.dir, 'w.md'),
        steps('head -c 2M /dev/zero > fill || true', 'touch after.txt'),
      );
      const script = [
        'mount -t tmpfs -o size=256k tmpfs small && cp w.md small/ || exit 99',
        'runbook --yes small/w.md; echo "run=$?"',
        'rm -f small/fill; ls -A small small/.runbook',
      ].join('\n');
      const r = await bashCli(box, `exec unshare --mount --propagation private bash -c '${script}'`);
      expect(r.stdout).toMatch(/run=2\n/);
      expect(runnerLines(r.stderr).at(-1)).toMatch(
        /^runbook: cannot write the run record .*w\.state\.json: no space left on device; --resume cannot continue this run \(the steps: all done\)$/,
      );
      expect(r.stdout).not.toMatch(/\.tmp/);
      await expectNothingLeft(box);
    },
    30_000,
  );
});

describe('a refused run under --record', () => {
  it('writes its records, every step not run, with the reason', async () => {
    const box = sandbox();
    writeFileSync(path.join(box.dir, 'w.md'), steps('echo "$NOT_GIVEN"', 'true'));
    const r = await bashCli(box, 'runbook --yes --record rec w.md');
    expect(r.code).toBe(2);
    const junit = readFileSync(path.join(box.dir, 'rec/junit.xml'), 'utf8');
    expect(junit).toContain('tests="2" failures="0" errors="0" skipped="2"');
    expect(junit).toMatch(/<skipped message="not run: 1 variable is needed but never set[^"]*"\/>/);
    const run = JSON.parse(readFileSync(path.join(box.dir, 'rec/run.json'), 'utf8'));
    expect(run.exitCode).toBe(2);
    expect(run.error).toMatch(/^1 variable is needed/);
    expect(run.steps.map((s: { status: string }) => s.status)).toEqual(['pending', 'pending']);
    expect(tree(path.join(box.dir, 'rec'))).toEqual({
      'junit.xml': '600',
      'run.json': '600',
      'transcript.md': '600',
    });
    await expectNothingLeft(box);
  }, 30_000);

  it.each([
    ['a missing runbook', 'gone.md'],
    ['a runbook with bad front matter', 'bad.md'],
  ])(
    'of %s writes a junit.xml with the reason as an error',
    async (_what, file) => {
      const box = sandbox();
      writeFileSync(path.join(box.dir, 'bad.md'), '---\ntitle: [unclosed\n---\n\n```bash\ntrue\n```\n');
      const r = await bashCli(box, `runbook --yes --record rec ${file}`);
      expect(r.code).toBe(2);
      expect(runnerLines(r.stderr)).toHaveLength(2);
      const junit = readFileSync(path.join(box.dir, 'rec/junit.xml'), 'utf8');
      expect(junit).toContain('tests="1" failures="0" errors="1" skipped="0"');
      expect(junit).toMatch(/<error message="[^"]+" type="refused"\/>/);
      await expectNothingLeft(box);
    },
    30_000,
  );
});
