// A reader that stops reading (`| head`) is a normal way to end: the runner exits quietly with 141, as a
// program ended by SIGPIPE does; a run is recorded as interrupted, --resume continues, nothing is left.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/cli.ts';
import { PtySession } from '../helpers/pty.ts';
import { bashCli, expectNothingLeft, runnerLines, type Sandbox, sandbox } from '../helpers/sandbox.ts';

const fence = (lang: string, code: string) => `\`\`\`${lang}\n${code}\n\`\`\``;
/** More than a pipe holds (64 KiB) of --list, --dry-run and check output: a reader that stops gets EPIPE. */
function manySteps(): string {
  const long = 'x'.repeat(120);
  const blocks = Array.from({ length: 700 }, (_, i) => fence('bash', `echo "$NEEDED_${i}_${long}"`));
  return `# Many\n\n${blocks.join('\n\n')}\n`;
}

const statuses = (box: Sandbox, name: string) =>
  JSON.parse(readFileSync(path.join(box.dir, `.runbook/${name}.state.json`), 'utf8')).steps.map(
    (s: { status: string }) => s.status,
  );

describe('a closed output pipe', () => {
  it.each([
    ['runbook --list many.md | head -2'],
    ['runbook --list --json many.md | head -2'],
    ['runbook --dry-run many.md | head -2'],
    ['PATH=/nonexistent runbook check many.md | head -2'],
  ])(
    '%s exits quietly',
    async (line) => {
      const box = sandbox();
      writeFileSync(path.join(box.dir, 'many.md'), manySteps());
      const r = await bashCli(box, `${line}; echo "\${PIPESTATUS[0]}" >&2`);
      expect(r.stdout.split('\n')).toHaveLength(3);
      // --dry-run notes the variables it would ask for first; nothing else is said.
      expect(r.stderr).toMatch(line.includes('--dry-run') ? /^runbook: note: [\s\S]*\n141\n$/ : /^141\n$/);
      expect(r.stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
      await expectNothingLeft(box);
    },
    30_000,
  );

  it.each([
    ['a shell step', 'bash', 'seq 1 100000\necho after > after.txt'],
    [
      'a JavaScript step',
      'js',
      "for (let i = 1; i <= 100000; i++) console.log(i);\nfs.writeFileSync('after.txt', '');",
    ],
  ])(
    'in %s ends the run as interrupted, and --resume continues there',
    async (_what, lang, code) => {
      const box = sandbox();
      const md = `# Piped\n\n${fence('bash', 'echo first')}\n\n${fence(lang, code)}\n\n${fence('bash', 'touch third.txt')}\n`;
      writeFileSync(path.join(box.dir, 'piped.md'), md);
      const r = await bashCli(box, 'runbook --yes piped.md | head -3; echo "${PIPESTATUS[0]}" >&2');
      expect(r.stdout).toBe('first\n1\n2\n');
      expect(r.stderr).toMatch(/\n141\n$/);
      expect(r.stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
      expect(runnerLines(r.stderr)).toEqual([
        'runbook: output closed; stopped at step 2 piped-2; run again with --resume',
      ]);
      expect(statuses(box, 'piped')).toEqual(['done', 'interrupted', 'pending']);
      await expectNothingLeft(box);
      const again = await bashCli(box, 'runbook --yes --resume piped.md >/dev/null');
      expect(again.stderr).toContain('runbook: resuming at step 2 (1 done)');
      expect(again.code).toBe(0);
      expect(statuses(box, 'piped')).toEqual(['done', 'done', 'done']);
      await expectNothingLeft(box);
    },
    60_000,
  );

  it('with both streams closed still ends the run, records it and cleans up', async () => {
    const box = sandbox();
    writeFileSync(
      path.join(box.dir, 'both.md'),
      `${fence('bash', 'seq 1 100000')}\n\n${fence('bash', 'true')}\n`,
    );
    const r = await bashCli(box, 'runbook --yes both.md 2>&1 | head -2; echo "${PIPESTATUS[0]}" >&2');
    expect(r.stderr).toBe('141\n');
    expect(statuses(box, 'both')).toEqual(['interrupted', 'pending']);
    await expectNothingLeft(box);
  }, 30_000);
});

const read = (box: Sandbox, f: string) => readFileSync(path.join(box.dir, f), 'utf8');

/** The command names of a process's children. */
function childNames(pid: number): string[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    return kids.map((k) => {
      try {
        return readFileSync(`/proc/${k}/comm`, 'utf8').trim();
      } catch {
        return '';
      }
    });
  } catch {
    return [];
  }
}

/** After the runner's exit, the pseudo-terminal's own shell says the exit code and the terminal's modes. */
const AFTER = `echo "rc=\${PIPESTATUS[0]}"; stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '`;

describe('a closed output in the walkthrough (a real terminal, stdout piped)', () => {
  const runbook = (box: Sandbox) =>
    writeFileSync(
      path.join(box.dir, 'wt.md'),
      `# Walk\n\n${fence('bash', 'echo first')}\n\n${fence('bash', 'echo "GO""NE"; while :; do echo more; sleep 0.01; done')}\n\n${fence('bash', 'touch third.txt')}\n`,
    );

  it('while a step writes: ends its tree, records it interrupted, exits 141 saying so on stderr; --resume continues', async () => {
    const box = sandbox();
    runbook(box);
    // The reader keeps what it read, and goes once the second step has started.
    const reader = `{ while IFS= read -r l; do printf '%s\\n' "$l" >> seen.txt; [[ $l == GONE ]] && break; done; }`;
    const s = new PtySession([], {
      cwd: box.dir,
      env: box.env,
      script: `runbook wt.md | ${reader}; ${AFTER}`,
    });
    try {
      const seen = () => (existsSync(path.join(box.dir, 'seen.txt')) ? read(box, 'seen.txt') : '');
      const until = (text: string) => waitFor(() => seen().includes(text), 15_000, text);
      await until('Step 1: run it?');
      s.write('r');
      await until('Step 2: run it?');
      s.write('r');
      await s.exit(20_000);
      const screen = await s.waitFor(/rc=\d+[\s\S]*echo/);
      expect(screen).toContain(
        'runbook: output closed; stopped at step 2 walk-2; continue with: runbook --resume wt.md',
      );
      expect(screen).toContain('rc=141');
      // The terminal is as the runner found it.
      expect(screen).toMatch(/^icanon echo$/m);
      expect(screen).not.toMatch(/EPIPE|Error|\n\s+at /);
      expect(statuses(box, 'wt')).toEqual(['done', 'interrupted', 'pending']);
      await expectNothingLeft(box);
    } finally {
      s.dispose();
    }
    writeFileSync(path.join(box.dir, 'wt.md'), read(box, 'wt.md').replace('while :;', 'for _ in 1 2;'));
    const again = await bashCli(box, 'runbook --yes --resume wt.md >/dev/null');
    expect(again.stderr).toContain('runbook: resuming at step 2 (1 done)');
    expect(statuses(box, 'wt')).toEqual(['done', 'done', 'done']);
    await expectNothingLeft(box);
  }, 60_000);

  it('at a question: the next key ends the walkthrough with 141, nothing run, the terminal restored', async () => {
    const box = sandbox();
    runbook(box);
    const s = new PtySession([], { cwd: box.dir, env: box.env, script: `runbook wt.md | head -1; ${AFTER}` });
    try {
      await s.waitFor('┌  Walk');
      // head has gone: what the walkthrough writes next finds the pipe closed.
      await waitFor(() => !childNames(s.proc.pid).includes('head'), 10_000, 'head to exit');
      s.write('r');
      const screen = await s.waitFor(/rc=\d+[\s\S]*echo/, 20_000);
      expect(screen).toContain(
        'runbook: output closed; stopped at step 1 walk; continue with: runbook --resume wt.md',
      );
      expect(screen).toContain('rc=141');
      // The terminal as it was (the key may come through the restored terminal's echo, unread).
      expect(screen).toMatch(/^r?icanon echo$/m);
      expect(statuses(box, 'wt')[1]).toBe('pending');
      await expectNothingLeft(box);
    } finally {
      s.dispose();
    }
  }, 60_000);
});

describe('a closed output under runbook serve', () => {
  it('before the URL is read: stops the server, exit 141, says so on stderr, nothing left', async () => {
    const box = sandbox();
    writeFileSync(path.join(box.dir, 's.md'), `# Served\n\n${fence('bash', 'touch ran.txt')}\n`);
    const r = await bashCli(box, 'runbook serve s.md | true; echo "${PIPESTATUS[0]}" >&2');
    // The words around the URL are on stderr already (stdout holds the URL alone).
    expect(r.stderr).toBe(
      'runbook: Served is served at\nrunbook: Ctrl-C stops the server and any step it runs\nrunbook: output closed: stopping the server\n141\n',
    );
    expect(existsSync(path.join(box.dir, 'ran.txt'))).toBe(false);
    await expectNothingLeft(box);
  }, 30_000);
});
