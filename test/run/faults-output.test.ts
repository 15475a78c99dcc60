// A reader that stops reading (`| head`) is a normal way to end: the runner exits quietly with 141, as a
// program ended by SIGPIPE does; a run is recorded as interrupted, --resume continues, nothing is left.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
