// What the runner says about bad input: one line each, the same words for the same fault whatever the
// command, counts that add up, and flags that do not apply to a command refused rather than ignored.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PtySession } from '../helpers/pty.ts';
import { bashCli, expectNothingLeft, isRoot, OTHER_USER, sandbox } from '../helpers/sandbox.ts';

const steps = (...code: string[]) => `# M\n\n${code.map((c) => `\`\`\`bash\n${c}\n\`\`\``).join('\n\n')}\n`;

/** Exit 2 and exactly one line on stderr, matching `message`. */
function expectOneLine(r: { code: number | null; stderr: string }, message: RegExp) {
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.code).toBe(2);
}

describe('options without their value', () => {
  it.each([
    ['--record', /^runbook: --record needs a value: --record DIR \(see runbook --help\)\n$/],
    ['--record --yes m.md', /^runbook: --record needs a value: --record DIR \(see runbook --help\)\n$/],
    ['--yes m.md --from', /^runbook: --from needs a value: --from N\|NAME \(see runbook --help\)\n$/],
    ['--from -1 m.md', /^runbook: --from needs a value; for one that starts with "-", write --from=-1\n$/],
    ['--set', /^runbook: --set needs a value: --set NAME=VALUE \(see runbook --help\)\n$/],
    ['--yes=3 m.md', /^runbook: --yes takes no value \(see runbook --help\)\n$/],
  ])(
    'runbook %s',
    async (args, message) => {
      const box = sandbox();
      writeFileSync(path.join(box.dir, 'm.md'), steps('touch ran.txt'));
      expectOneLine(await bashCli(box, `runbook ${args}`), message);
    },
    30_000,
  );
});

describe('a runbook that cannot be read is named, in the same words by every command', () => {
  const commands = ['--yes', '--list', '--dry-run', 'check'];

  it.each(commands)(
    'runbook %s of a missing file',
    async (command) => {
      const box = sandbox();
      expectOneLine(
        await bashCli(box, `runbook ${command} gone.md`),
        /^runbook: cannot read runbook .*\/gone\.md: no such file\n$/,
      );
    },
    30_000,
  );

  it.each(commands)(
    'runbook %s of a directory',
    async (command) => {
      const box = sandbox();
      mkdirSync(path.join(box.dir, 'docs.md'));
      expectOneLine(
        await bashCli(box, `runbook ${command} docs.md`),
        /^runbook: cannot read runbook .*\/docs\.md: it is a directory\n$/,
      );
    },
    30_000,
  );

  it.each(commands)(
    'runbook %s of a binary file',
    async (command) => {
      const box = sandbox();
      writeFileSync(path.join(box.dir, 'blob.md'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0]));
      expectOneLine(
        await bashCli(box, `runbook ${command} blob.md`),
        /^runbook: .*\/blob\.md is not a text file \(it holds NUL bytes\)\n$/,
      );
    },
    30_000,
  );

  it.each(['--list', 'check'])(
    'runbook %s of a paragraph too long for the Markdown parser',
    async (command) => {
      const box = sandbox();
      const paragraph = 'lorem ipsum dolor sit amet\n'.repeat(600_000);
      writeFileSync(path.join(box.dir, 'long.md'), `# Long\n${paragraph}\n\`\`\`bash\ntrue\n\`\`\`\n`);
      const r = await bashCli(box, `runbook ${command} long.md`);
      expect(r.code).toBe(command === 'check' ? 1 : 2);
      expect(r.stderr + r.stdout).toMatch(/the Markdown parser ran out of stack on this runbook/);
    },
    30_000,
  );

  it.each(commands)(
    'runbook %s of a file it may not read',
    async (command) => {
      const box = sandbox(true);
      writeFileSync(path.join(box.dir, 'secret.md'), steps('true'));
      chmodSync(path.join(box.dir, 'secret.md'), isRoot ? 0o600 : 0o000);
      const as = isRoot ? { uid: OTHER_USER, gid: OTHER_USER } : {};
      expectOneLine(
        await bashCli(box, `runbook ${command} secret.md`, as),
        /^runbook: cannot read runbook .*\/secret\.md: permission denied\n$/,
      );
    },
    30_000,
  );
});

describe('flags that do not apply are refused', () => {
  it.each([
    ['check --resume', /^runbook: check does not take --resume\n$/],
    ['check --list', /^runbook: check does not take --list\n$/],
    ['check --yes', /^runbook: check does not take --yes\n$/],
    ['check --record rec', /^runbook: check does not take --record\n$/],
    ['check --from 1', /^runbook: check does not take --from\n$/],
    ['check --dry-run', /^runbook: check does not take --dry-run\n$/],
    ['--list --resume', /^runbook: --list does not take --resume\n$/],
    ['--list --record rec', /^runbook: --list does not take --record\n$/],
    ['--list --only 1', /^runbook: --list does not take --only\n$/],
    ['--list --set X=1', /^runbook: --list does not take --set\n$/],
    ['--list --dry-run', /^runbook: --list does not take --dry-run\n$/],
    ['--dry-run --record rec', /^runbook: --dry-run does not take --record\n$/],
    ['--yes --resume --only 1', /^runbook: --only cannot be combined with --resume\n$/],
  ])(
    'runbook %s m.md',
    async (args, message) => {
      const box = sandbox();
      writeFileSync(path.join(box.dir, 'm.md'), steps('touch ran.txt'));
      expectOneLine(await bashCli(box, `runbook ${args} m.md`), message);
    },
    30_000,
  );

  it.each([
    ['check --set X=1'],
    ['--list --json'],
    ['--dry-run --yes --no-preflight'],
    ['--dry-run --from 1'],
  ])(
    'runbook %s m.md is fine',
    async (args) => {
      const box = sandbox();
      writeFileSync(path.join(box.dir, 'm.md'), steps('touch ran.txt'));
      expect((await bashCli(box, `runbook ${args} m.md`)).code).toBe(0);
    },
    30_000,
  );
});

describe('counts that add up', () => {
  const sessions: PtySession[] = [];
  afterEach(() => {
    for (const s of sessions.splice(0)) s.dispose();
  });

  it('says a single step in the singular', async () => {
    const box = sandbox();
    writeFileSync(path.join(box.dir, 'm.md'), steps('true', 'true'));
    const one = await bashCli(box, 'runbook --yes --only 2 m.md');
    expect(one.stderr).toContain('runbook: passing over step 1 m\n');
    expect(one.stderr).toContain('runbook: 1 step done\n');
    const both = await bashCli(box, 'runbook --yes m.md');
    expect(both.stderr).toContain('runbook: all 2 steps done\n');
  }, 30_000);

  it('counts a skipped step as skipped when resuming, and a done one as done', async () => {
    const box = sandbox();
    writeFileSync(path.join(box.dir, 'm.md'), steps('echo first', 'echo second', 'test -e go', 'true'));
    const s = new PtySession(['m.md'], { cwd: box.dir, env: box.env });
    sessions.push(s);
    await s.waitFor('Step 1: run it?');
    s.write('s');
    await s.waitFor('Step 2: run it?');
    s.write('r');
    await s.waitFor('Step 3: run it?');
    s.write('r');
    await s.waitFor('Step 3 failed: what now?');
    s.write('q');
    expect((await s.exit()).exitCode).toBe(1);
    writeFileSync(path.join(box.dir, 'go'), '');
    const resumed = await bashCli(box, 'runbook --yes --resume m.md');
    expect(resumed.stderr).toContain('runbook: resuming at step 3 (1 done, 1 skipped)\n');
    expect(resumed.code).toBe(0);
    // Passing over a step that failed says so, rather than calling it done.
    writeFileSync(path.join(box.dir, 'm.md'), steps('echo first', 'false', 'true'));
    await bashCli(box, 'runbook --yes m.md');
    const past = await bashCli(box, 'runbook --yes --resume --from 3 m.md');
    expect(past.stderr).toContain('runbook: resuming at step 3 (1 done, 1 failed)\n');
    await expectNothingLeft(box);
  }, 60_000);
});
