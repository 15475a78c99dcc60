// The walkthrough as a notebook, in a real pseudo-terminal on the built CLI: going anywhere and back,
// running a step again, the outline, `o`, the file edited on disk while the walkthrough waits, and `e`
// saved into the fence.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scratch, waitFor } from '../helpers/cli.ts';
import { PtySession } from '../helpers/pty.ts';

const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');
const record = (dir: string, name: string) => JSON.parse(read(dir, `.runbook/${name}.state.json`));

const sessions: PtySession[] = [];
function start(args: string[], dir: string, env: Record<string, string | undefined> = {}): PtySession {
  const s = new PtySession(args, { cwd: dir, env: { NO_COLOR: '1', ...env } });
  sessions.push(s);
  return s;
}

afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose();
});

/** Saves the file as editors do: a new file renamed over the old one. */
function saveAsEditor(dir: string, file: string, text: string): void {
  const temporary = path.join(dir, `.${file}.swp`);
  writeFileSync(temporary, text);
  renameSync(temporary, path.join(dir, file));
}

/** What comes on screen after the last `marker`, once `expected` is there too. */
async function shownAfter(s: PtySession, marker: string, expected: string | RegExp): Promise<string> {
  await s.waitFor(() => {
    const tail = s.after(marker);
    return typeof expected === 'string' ? tail.includes(expected) : expected.test(tail);
  });
  return s.after(marker);
}

describe('the walkthrough as a notebook', { timeout: 60_000 }, () => {
  it('goes to a later step and back, and runs a done step again in the current context', async () => {
    const dir = scratch('notebook/count.md');
    const s = start(['count.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('Step 2: run it?');
    s.write('g');
    await s.waitFor('Go to which step?');
    s.write('3\r');
    await s.waitFor('Step 3: run it?');
    expect(s.after('▶ Step 3/3')).not.toContain('Step 2: run it?');
    s.write('b');
    await s.waitForCount('Step 2: run it?', 2);
    s.write('b');
    const back = await shownAfter(s, '▶ Step 1/3 · count', 'Step 1 is done: run it again?');
    // Going back shows the step again, its prose too.
    expect(s.screen().split('Counting prose.').length - 1).toBe(2);
    expect(back).toMatch(/▶ Step 1\/3 · count\s+✔ done/);
    s.write('r');
    await s.waitFor('count is 2');
    await s.waitForCount('Step 2: run it?', 3);
    expect(read(dir, 'log.txt')).toBe('count is 1\ncount is 2\n');
    s.write('r');
    await s.waitFor('show sees 2');
    // The record is written a moment after a step ends.
    await waitFor(() => record(dir, 'count').steps[1].status === 'done');
    const rec = record(dir, 'count');
    expect(rec.steps[0]).toMatchObject({ status: 'done', runs: 2 });
    expect(rec.steps[1]).toMatchObject({ status: 'done', runs: 1 });
    s.write('q');
    expect((await s.exit()).exitCode).toBe(130);
  });

  it('shows the outline with every status, filters it by name, and shows a step’s last output with o', async () => {
    const dir = scratch('notebook/count.md');
    const s = start(['count.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('Step 2: run it?');
    s.write('s');
    await s.waitFor('Step 3: run it?');
    s.write('g');
    const outline = await shownAfter(s, 'Go to which step?', '3 · last');
    expect(outline).toMatch(/1 ✔ count\s+done/);
    expect(outline).toMatch(/2 ↷ show\s+skipped/);
    expect(outline).toMatch(/▸ 3 · last\s+not run/);
    s.write('cou');
    await s.waitFor('(1 match)');
    s.write('\r');
    await s.waitFor('Step 1 is done: run it again?');
    s.write('o');
    const shown = await shownAfter(s, '── last output of step 1 count', '│ count is 1');
    expect(shown).toContain('(done, exit code 0)');
    s.write('n');
    await s.waitForCount('Step 2: run it?', 2);
    s.write('o');
    await s.waitFor('step 2 show has not run yet: no output to show');
    s.write('q');
    expect((await s.exit()).exitCode).toBe(130);
  });

  it('asks just in time for what a step reads when it is reached out of order', async () => {
    const dir = scratch('notebook/count.md');
    const s = start(['count.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('g');
    await s.waitFor('Go to which step?');
    s.write('show\r');
    await s.waitFor('Step 2: run it?');
    expect(s.after('▶ Step 2/3 · show')).toMatch(
      /N\s+not set \(step 1 \S+ sets it\); you will be asked before it runs/,
    );
    s.write('r');
    await s.waitFor('Step 2 reads N, which is not set. Value for N:');
    s.write('41\r');
    await s.waitFor('show sees 41');
    await s.waitFor('Step 3: run it?');
    s.write('q');
    expect((await s.exit()).exitCode).toBe(130);
  });

  it('after going back, a runs the step again and then passes over the steps already done', async () => {
    const dir = scratch('notebook/count.md');
    const s = start(['count.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('Step 2: run it?');
    s.write('r');
    await s.waitFor('Step 3: run it?');
    s.write('g');
    await s.waitFor('Go to which step?');
    s.write('1\r');
    await s.waitFor('Step 1 is done: run it again?');
    s.write('a');
    await s.waitFor('· 2 show is done; passed over');
    await s.waitFor('End of the runbook');
    expect(read(dir, 'log.txt')).toBe('count is 1\nshow sees 1\ncount is 2\nlast ran\n');
    s.write('q');
    expect((await s.exit()).exitCode).toBe(0);
  });

  it('after the last step shows the summary and waits: g goes back, q finishes with the exit code', async () => {
    const dir = scratch('notebook/count.md');
    const s = start(['count.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('a');
    const end = await shownAfter(s, 'The end of the count fixture.', 'End of the runbook (3 done)');
    expect(end).toMatch(/1\/3 count\s+✔ done/);
    expect(end).toMatch(/3\/3 last\s+✔ done/);
    s.write('g');
    await s.waitFor('Go to which step?');
    s.write('2\r');
    await s.waitFor('Step 2 is done: run it again?');
    s.write('r');
    // On to the next step, done already: n passes it.
    await s.waitFor('Step 3 is done: run it again?');
    s.write('n');
    await s.waitForCount('End of the runbook', 2);
    expect(read(dir, 'log.txt')).toBe('count is 1\nshow sees 1\nlast ran\nshow sees 1\n');
    s.write('\r');
    expect((await s.exit()).exitCode).toBe(0);
    expect(s.screen()).toContain('Finished: 3 done');
    expect(s.screen()).toMatch(/2\/3 show\s+✔ done \(ran 2 times\)/);
  });

  it('takes a step edited on disk while it waits at it, names the step, and runs the new code', async () => {
    const dir = scratch('notebook/count.md');
    const s = start(['count.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('Step 2: run it?');
    const text = read(dir, 'count.md');
    saveAsEditor(dir, 'count.md', text.replace('echo "show sees $N"', 'echo "show now says $N"'));
    const notice = await shownAfter(s, 'runbook: count.md changed', 'Step 2: run it?');
    expect(notice).toContain('runbook: count.md changed: step 2 show edited');
    expect(notice).toContain('│ echo "show now says $N" | tee -a log.txt');
    s.write('r');
    await s.waitFor('show now says 1');
    await s.waitFor('Step 3: run it?');
    // A done step whose code changes on disk is stale.
    writeFileSync(path.join(dir, 'count.md'), read(dir, 'count.md').replace('count is', 'the count is'));
    await s.waitFor('runbook: count.md changed: step 1 count edited');
    s.write('g');
    const outline = await shownAfter(s, 'Go to which step?', '3 · last');
    expect(outline).toMatch(/1 ✔ count\s+done \(stale\)/);
    s.write('\u001b');
    await s.waitForCount('Step 3: run it?', 3);
    s.write('q');
    expect((await s.exit()).exitCode).toBe(130);
  });

  it('follows a step added and one removed on disk', async () => {
    const dir = scratch('notebook/count.md');
    const s = start(['count.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('Step 2: run it?');
    const text = read(dir, 'count.md')
      .replace(/## Last\n\n```bash \{name=last\}\n[^`]*```\n/, '')
      .replace('The end of', '```bash {name=extra}\necho "extra ran" | tee -a log.txt\n```\n\nThe end of');
    saveAsEditor(dir, 'count.md', text);
    await s.waitFor('runbook: count.md changed: step 3 extra added, step 3 last removed');
    await s.waitForCount('Step 2: run it?', 2);
    s.write('r');
    await s.waitFor('Step 3: run it?');
    expect(s.after('▶ Step 3/3')).toContain('extra');
    s.write('r');
    const end = await shownAfter(s, 'extra ran', 'End of the runbook');
    expect(end).toMatch(/3\/3 extra\s+✔ done/);
    expect(end).not.toMatch(/\d\/3 last/);
    s.write('q');
    expect((await s.exit()).exitCode).toBe(0);
    expect(read(dir, 'log.txt')).toBe('count is 1\nshow sees 1\nextra ran\n');
    expect(record(dir, 'count').steps.map((r: { name: string }) => r.name)).toEqual([
      'count',
      'show',
      'extra',
    ]);
  });

  it('reports a broken edit and keeps the last good version until it is fixed', async () => {
    const dir = scratch('notebook/count.md');
    const s = start(['count.md'], dir);
    await s.waitFor('Step 1: run it?');
    const good = read(dir, 'count.md');
    writeFileSync(
      path.join(dir, 'count.md'),
      `${good.replace('echo "show sees $N"', 'echo "broken"')}\n\`\`\`bash\nnever closed\n`,
    );
    await s.waitFor(
      /count\.md changed but cannot be used \(line \d+: unterminated code fence .*\); the last good version stays in use/,
    );
    await s.waitForCount('Step 1: run it?', 2);
    s.write('r');
    await s.waitFor('Step 2: run it?');
    s.write('r');
    await s.waitFor('show sees 1');
    await s.waitFor('Step 3: run it?');
    writeFileSync(
      path.join(dir, 'count.md'),
      good
        .replace('last ran', 'last fixed')
        .replace('## Last\n', '## Last\n\nNew words before the last step.\n'),
    );
    await s.waitFor('runbook: count.md changed: step 3 last edited');
    await s.waitForCount('Step 3: run it?', 2);
    // The step is shown again as the file has it now, prose included.
    expect(s.after('runbook: count.md changed: step 3 last edited')).toContain(
      'New words before the last step.',
    );
    s.write('r');
    await s.waitFor('End of the runbook');
    s.write('q');
    expect((await s.exit()).exitCode).toBe(0);
    expect(read(dir, 'log.txt')).toBe('count is 1\nshow sees 1\nlast fixed\n');
  });

  for (const fixture of ['count.md', 'crlf.md']) {
    it(`saves an edit into its fence with e, changing nothing else in ${fixture}`, async () => {
      const dir = scratch(`notebook/${fixture}`);
      writeFileSync(
        path.join(dir, 'edit.sh'),
        'sed -i "s/show sees/show SAVED sees/" "$1"\nprintf "echo added\\n" >> "$1"\n',
      );
      const before = read(dir, fixture);
      const s = start([fixture], dir, { EDITOR: `sh ${path.join(dir, 'edit.sh')}` });
      await s.waitFor('Step 1: run it?');
      s.write('r');
      await s.waitFor('Step 2: run it?');
      s.write('e');
      await s.waitFor('Use the edited code how?');
      s.write('s');
      await s.waitFor(`saved into ${fixture}`);
      const eol = fixture === 'crlf.md' ? '\r\n' : '\n';
      expect(read(dir, fixture)).toBe(
        before.replace(
          `echo "show sees $N" | tee -a log.txt${eol}`,
          `echo "show SAVED sees $N" | tee -a log.txt${eol}echo added${eol}`,
        ),
      );
      await s.waitForCount('Step 2: run it?', 2);
      expect(s.screen()).not.toContain(`runbook: ${fixture} changed`);
      s.write('r');
      await s.waitFor('show SAVED sees 1');
      await s.waitFor('Step 3: run it?');
      s.write('q');
      expect((await s.exit()).exitCode).toBe(130);
      expect(record(dir, fixture.replace('.md', '')).steps[1].editedCode).toBeUndefined();
    });
  }

  it('after --resume, marks done steps edited since stale and follows added and removed steps', async () => {
    const dir = scratch('notebook/count.md');
    const first = start(['count.md'], dir);
    await first.waitFor('Step 1: run it?');
    first.write('r');
    await first.waitFor('Step 2: run it?');
    first.write('r');
    await first.waitFor('Step 3: run it?');
    first.write('q');
    expect((await first.exit()).exitCode).toBe(130);
    const text = read(dir, 'count.md')
      .replace('count is', 'the count is')
      .replace(/## Show\n\nShowing prose\.\n\n```bash \{name=show\}\n[^`]*```\n/, '')
      .replace('The end of', '```bash {name=extra}\necho "extra ran"\n```\n\nThe end of');
    writeFileSync(path.join(dir, 'count.md'), text);
    const again = start(['--resume', 'count.md'], dir);
    const screen = await again.waitFor('Step 2: run it?');
    expect(screen).toContain(
      'runbook: count.md changed since the last run: step 1 count edited, step 3 extra added, step 2 show removed',
    );
    expect(screen).toContain('step 1 count changed since it ran (stale)');
    expect(again.after('▶ Step 2/3')).toContain('last');
    again.write('g');
    const outline = await shownAfter(again, 'Go to which step?', '3 · extra');
    expect(outline).toMatch(/1 ✔ count\s+done \(stale\)/);
    expect(outline).toMatch(/▸ 2 · last\s+not run/);
    again.write('\u001b');
    await again.waitForCount('Step 2: run it?', 2);
    again.write('q');
    expect((await again.exit()).exitCode).toBe(130);
  });
});
