// The walkthrough as a person uses it: the built CLI in a real pseudo-terminal, keys pressed, the screen read.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, ROOT, runCli, scratch, waitFor } from '../helpers/cli.ts';
import { PtySession } from '../helpers/pty.ts';

const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');
const record = (dir: string, name: string) => JSON.parse(read(dir, `.runbook/${name}.state.json`));
const statuses = (dir: string, name: string) =>
  record(dir, name).steps.map((s: { status: string }) => s.status) as string[];
// biome-ignore lint/suspicious/noControlCharactersInRegex: colour escapes are what is looked for
const SGR = /\u001b\[[0-9;]*m/;

const sessions: PtySession[] = [];
function start(args: string[], dir: string, env: Record<string, string | undefined> = {}): PtySession {
  const s = new PtySession(args, { cwd: dir, env });
  sessions.push(s);
  return s;
}

afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose();
});

/** Past the last step the walkthrough shows the summary and waits: `q` finishes. */
async function finish(s: PtySession) {
  await s.waitFor('End of the runbook');
  s.write('q');
  return s.exit();
}

// Each test drives the CLI through several keys and runs; other tests share the cores, so each gets time.
describe('the interactive walkthrough', { timeout: 30_000 }, () => {
  it('shows prose, code and carried values, runs and skips on one key, and ends with a summary', async () => {
    const dir = scratch('interactive/walk.md');
    const s = start(['walk.md'], dir);
    const first = await s.waitFor('Step 1: run it?');
    expect(first).toContain('┌  Walk fixture');
    expect(first).toContain('3 steps');
    // List items with inline formatting are rendered, not shown as written.
    expect(first).toContain('* item with strong and inline code');
    expect(first).toContain('see the docs (https://example.com/docs)');
    expect(first).not.toMatch(/\*\*|`/);
    expect(first).toContain('▶ Step 1/3 · first');
    expect(first).toContain('│ VALUE=from-first');
    s.write('r');
    const second = await s.waitFor('Step 2: run it?');
    expect(second).toContain('✔ first done in');
    expect(second).toContain('The second step reads what the first one set.');
    expect(s.after('▶ Step 2/3 · second')).toContain('VALUE = from-first');
    s.write('s');
    await s.waitFor('Step 3: run it?');
    expect(s.screen()).toContain('↷ second skipped');
    s.write('\r'); // Enter runs
    const { exitCode } = await finish(s);
    expect(exitCode).toBe(0);
    const end = s.after('All done.');
    expect(end).toMatch(/1\/3 first\s+✔ done\s+\d+ ms/);
    expect(end).toMatch(/2\/3 second\s+↷ skipped/);
    expect(end).toMatch(/3\/3 third\s+✔ done/);
    expect(end).toContain('Finished: 2 done, 1 skipped');
    expect(read(dir, 'log.txt')).toBe('first ran\nthird ran\n');
    expect(statuses(dir, 'walk')).toEqual(['done', 'skipped', 'done']);
  });

  it('edits a step in $EDITOR for this run, shows it again, and records the code that ran', async () => {
    const dir = scratch('interactive/walk.md');
    writeFileSync(path.join(dir, 'edit.sh'), 'sed -i "s/second sees/second EDITED sees/" "$1"\n');
    // An editor setting with arguments, as in EDITOR="code --wait".
    const s = start(['walk.md'], dir, { EDITOR: `sh ${path.join(dir, 'edit.sh')}` });
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('Step 2: run it?');
    s.write('e');
    await s.waitFor('Use the edited code how?');
    s.write('r'); // for this run only
    await s.waitForCount('Step 2: run it?', 2);
    expect(s.after('▶ Step 2/3 · second')).toMatch(
      /second \(edited\)\n\s+│ echo "second EDITED sees \$VALUE"/,
    );
    s.write('r');
    await s.waitFor('Step 3: run it?');
    s.write('r');
    expect((await finish(s)).exitCode).toBe(0);
    expect(read(dir, 'log.txt')).toBe('first ran\nsecond EDITED sees from-first\nthird ran\n');
    const rec = record(dir, 'walk');
    expect(rec.steps[1].editedCode).toBe('echo "second EDITED sees $VALUE" >> log.txt');
    expect(rec.steps[0].editedCode).toBeUndefined();
    expect(s.after('All done.')).toMatch(/2\/3 second\s+✔ done \(edited\)/);
  });

  it('keeps the code when the editor fails', async () => {
    const dir = scratch('interactive/walk.md');
    const s = start(['walk.md'], dir, { EDITOR: 'false' });
    await s.waitFor('Step 1: run it?');
    s.write('e');
    await s.waitFor('the editor (false) exited with 1; the code is unchanged');
    await s.waitForCount('Step 1: run it?', 2);
    s.write('a');
    expect((await finish(s)).exitCode).toBe(0);
    expect(record(dir, 'walk').steps[0].editedCode).toBeUndefined();
  });

  it('runs every remaining step without asking after `a`', async () => {
    const dir = scratch('interactive/walk.md');
    const s = start(['walk.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('a');
    expect((await finish(s)).exitCode).toBe(0);
    const screen = s.screen();
    expect(screen).not.toContain('Step 2: run it?');
    expect(screen).toContain('✔ third done');
    expect(read(dir, 'log.txt')).toBe('first ran\nsecond sees from-first\nthird ran\n');
  });

  it('shows a failure with its exit code and output, and retries after the cause is fixed outside', async () => {
    const dir = scratch('interactive/fail.md');
    const s = start(['fail.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    const failed = await s.waitFor('Step 1 failed: what now?');
    expect(failed).toContain('✖ needs-flag failed (exit code 4)');
    expect(failed).toContain('Step 1/2 needs-flag failed: exit code 4');
    expect(failed).toMatch(/│ no flag yet/);
    writeFileSync(path.join(dir, 'flag'), '');
    s.write('r');
    await s.waitFor('Step 2: run it?');
    expect(s.screen()).toContain('✔ needs-flag done');
    s.write('r');
    expect((await finish(s)).exitCode).toBe(0);
    expect(read(dir, 'attempts.txt')).toBe('attempt\nattempt\n');
    expect(read(dir, 'log.txt')).toBe('flag found\nafter ran\n');
    expect(record(dir, 'fail').steps[0].attempts).toBe(2);
    expect(s.after('Step ')).toBeTruthy();
    // Retrying after a failure runs the step again: the record counts both runs.
    expect(s.screen()).toMatch(/1\/2 needs-flag\s+✔ done \(ran 2 times\)/);
    expect(record(dir, 'fail').steps[0].runs).toBe(2);
  });

  it('offers the failure choices when continue-on-error=false, and does not carry on', async () => {
    const dir = scratch('attrs/continue-false.md');
    const s = start(['continue-false.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('a');
    const failed = await s.waitFor('Step 1 failed: what now?');
    expect(failed).not.toContain('continuing (continue-on-error)');
    expect(existsSync(path.join(dir, 'after.txt'))).toBe(false);
    s.write('q');
    expect((await s.exit()).exitCode).toBe(1);
    expect(existsSync(path.join(dir, 'after.txt'))).toBe(false);
  });

  it('after `a`, stops at a failure for the person, then carries on unasked', async () => {
    const dir = scratch('interactive/fail.md');
    const s = start(['fail.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('a');
    await s.waitFor('Step 1 failed: what now?');
    expect(existsSync(path.join(dir, 'log.txt'))).toBe(false);
    writeFileSync(path.join(dir, 'flag'), '');
    s.write('r');
    expect((await finish(s)).exitCode).toBe(0);
    expect(s.screen()).not.toContain('Step 2: run it?');
    expect(read(dir, 'log.txt')).toBe('flag found\nafter ran\n');
  });

  it('asks again, without rerunning, when the editor fails after a failure', async () => {
    const dir = scratch('interactive/fail.md');
    const s = start(['fail.md'], dir, { EDITOR: 'false' });
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('Step 1 failed: what now?');
    s.write('e');
    await s.waitForCount('Step 1 failed: what now?', 2);
    expect(s.screen()).toContain('the editor (false) exited with 1; the code is unchanged');
    s.write('q');
    expect((await s.exit()).exitCode).toBe(1);
    expect(read(dir, 'attempts.txt')).toBe('attempt\n');
  });

  it('quits with exit code 1 when the person quits after a failure', async () => {
    const dir = scratch('interactive/fail.md');
    const s = start(['fail.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('Step 1 failed: what now?');
    s.write('q');
    expect((await s.exit()).exitCode).toBe(1);
    expect(s.screen()).toContain('stopped at step 1 needs-flag; continue with: runbook --resume');
    expect(statuses(dir, 'fail')).toEqual(['failed', 'pending']);
  });

  it('stops a running step and its whole process tree on Ctrl-C, then offers the failure choices', async () => {
    const dir = scratch('interactive/interrupt.md');
    const s = start(['interrupt.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('long step started');
    const pidFiles = ['bg.pid', 'child.pid', 'grandchild.pid'].map((f) => path.join(dir, f));
    await waitFor(() => pidFiles.every((f) => existsSync(f) && readFileSync(f, 'utf8').trim() !== ''));
    const pids = pidFiles.map((f) => Number(readFileSync(f, 'utf8')));
    expect(pids.every(alive)).toBe(true);
    s.write('\x03');
    const screen = await s.waitFor('Step 1 interrupted: what now?');
    expect(screen).toContain('■ long interrupted after');
    await waitFor(() => !pids.some(alive), 10_000, 'the step processes to end');
    // Saves close together are written as one, a moment after the screen says it.
    await waitFor(() => statuses(dir, 'interrupt')[0] === 'interrupted', 5000, 'the record to say so');
    expect(statuses(dir, 'interrupt')).toEqual(['interrupted', 'pending']);
    s.write('q');
    expect((await s.exit()).exitCode).toBe(130);
    expect(existsSync(path.join(dir, 'log.txt'))).toBe(false);
  });

  it('quitting at a done step says where --resume continues, which is not there', async () => {
    const dir = scratch('interactive/walk.md');
    const s = start(['walk.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('Step 2: run it?');
    s.write('b');
    await s.waitFor('Step 1 is done');
    s.write('q');
    await s.exit();
    expect(s.screen()).toContain(
      'stopped at step 1 first; --resume continues at step 2 second; continue with: runbook --resume walk.md',
    );
  });

  it('quits on Ctrl-C at a prompt with 130, and --resume continues at that step with the values carried', async () => {
    const dir = scratch('interactive/walk.md');
    const s = start(['walk.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('Step 2: run it?');
    s.write('\x03');
    expect((await s.exit()).exitCode).toBe(130);
    expect(s.screen()).toContain('stopped at step 2 second; continue with: runbook --resume walk.md');
    expect(statuses(dir, 'walk')).toEqual(['done', 'pending', 'pending']);

    const again = start(['--resume', 'walk.md'], dir);
    const resumed = await again.waitFor('Step 2: run it?');
    expect(resumed).toContain('from step 2 of 3');
    expect(resumed).not.toContain('Step 1: run it?');
    expect(again.after('▶ Step 2/3 · second')).toContain('VALUE = from-first');
    again.write('r');
    await again.waitFor('Step 3: run it?');
    again.write('q');
    expect((await again.exit()).exitCode).toBe(130);
    expect(statuses(dir, 'walk')).toEqual(['done', 'done', 'pending']);

    const last = start(['--resume', 'walk.md'], dir);
    await last.waitFor('Step 3: run it?');
    last.write('r');
    expect((await finish(last)).exitCode).toBe(0);
    expect(read(dir, 'log.txt')).toBe('first ran\nsecond sees from-first\nthird ran\n');
  });

  it('lets a step read the keyboard, and asks for unset variables just before the step that needs them', async () => {
    const dir = scratch('interactive/ask.md');
    const s = start(['ask.md'], dir, { REGION: undefined, API_TOKEN: undefined });
    await s.waitFor('Step 1: run it?');
    s.write('r');
    // The prompt comes from the running step (the code shown above it contains the words too).
    await s.waitFor(() => s.after('── read-name is running').includes('Your name?'));
    s.write('Ada Lovelace\r');
    await s.waitFor('Step 2: run it?');
    expect(s.screen()).toContain('✔ read-name done');
    const view = s.after('▶ Step 2/3 · use-inputs');
    expect(view).toMatch(/REGION\s+not set; you will be asked before it runs/);
    expect(view).toContain('NAME      = Ada Lovelace');
    s.write('r');
    await s.waitFor('Value for REGION:');
    s.write('eu-west-1\r');
    await s.waitFor('Value for API_TOKEN:');
    s.write('hunter2-secret\r');
    await s.waitFor('Step 3: run it?');
    // Values carried from answers; the secret one shown masked.
    const third = s.after('▶ Step 3/3 · check-token');
    expect(third).toMatch(/API_TOKEN = \*\*\*\*/);
    expect(third).toMatch(/REGION\s+= eu-west-1/);
    s.write('r');
    expect((await finish(s)).exitCode).toBe(0);
    expect(read(dir, 'token.txt')).toBe('token seen in eu-west-1\n');
    expect(read(dir, 'name.txt')).toBe('hello Ada Lovelace\n');
    expect(read(dir, 'inputs.txt')).toBe('region=eu-west-1 token=hunter2-secret name=Ada Lovelace\n');
    // The secret was typed behind a mask.
    expect(s.screen()).not.toContain('hunter2-secret');
  });

  it('--resume asks for a secret a step run again to remake a value needs, before running it', async () => {
    const dir = scratch('interactive/resume-ask.md');
    writeFileSync(path.join(dir, 'fail-once'), '');
    const first = await runCli(['--yes', '--set', 'API_TOKEN=abc', 'resume-ask.md'], { cwd: dir });
    expect(first.code, first.stderr).toBe(1);
    const s = start(['--resume', 'resume-ask.md'], dir, { API_TOKEN: undefined });
    await s.waitFor('Value for API_TOKEN:');
    expect(s.screen()).toContain('Step 1 reads API_TOKEN, which is not set.');
    s.write('abcdef\r');
    await s.waitFor('Step 2: run it?');
    s.write('r');
    expect((await finish(s)).exitCode).toBe(0);
    // "Bearer abcdef": made again with the token typed, not with none.
    expect(read(dir, 'log.txt')).toBe('auth of 10 characters\nauth of 13 characters\n');
    expect(s.screen()).not.toContain('abcdef');
  });

  it('starts its own line after a step whose output did not end its last one', async () => {
    const dir = scratch('interactive/no-newline.md');
    const s = start(['no-newline.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('nonl done');
    expect(s.screen()).toMatch(/^no newline at end\s*\n✔ nonl done/m);
    s.write('q');
    await s.exit();
  });

  it('warns, when a step is skipped, about the variables later steps needed from it', async () => {
    const dir = scratch('interactive/walk.md');
    const s = start(['walk.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('s');
    await s.waitFor('Step 2: run it?');
    expect(s.screen()).toContain(
      'first would have set VALUE, which step 2 second reads; you will be asked for it',
    );
    expect(s.after('▶ Step 2/3 · second')).toMatch(
      /VALUE\s+not set \(step 1 first sets it\); you will be asked before it runs/,
    );
    s.write('q');
    expect((await s.exit()).exitCode).toBe(130);
  });

  it('ends a running step and exits 130 on SIGTERM, without asking anything', async () => {
    const dir = scratch('interactive/interrupt.md');
    const s = start(['interrupt.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('long step started');
    await waitFor(() => existsSync(path.join(dir, 'grandchild.pid')));
    await waitFor(() => readFileSync(path.join(dir, 'grandchild.pid'), 'utf8').trim() !== '');
    const grandchild = Number(read(dir, 'grandchild.pid'));
    s.proc.kill('SIGTERM');
    expect((await s.exit()).exitCode).toBe(130);
    expect(s.screen()).not.toContain('what now?');
    expect(s.screen()).toContain('stopped at step 1 long');
    await waitFor(() => !alive(grandchild), 10_000, 'the step processes to end');
    expect(statuses(dir, 'interrupt')).toEqual(['interrupted', 'pending']);
  });

  it('takes a waiting prompt off the screen and exits 130 on SIGTERM', async () => {
    const dir = scratch('interactive/walk.md');
    const s = start(['walk.md'], dir);
    await s.waitFor('Step 1: run it?');
    s.write('r');
    await s.waitFor('Step 2: run it?');
    s.proc.kill('SIGTERM');
    expect((await s.exit()).exitCode).toBe(130);
    expect(statuses(dir, 'walk')).toEqual(['done', 'pending', 'pending']);
  });

  it('asks whether to go on when required tools are missing: yes walks on, Enter (no) exits 2', async () => {
    const dir = scratch('interactive/requires.md');
    const yes = start(['requires.md'], dir);
    await yes.waitFor('Continue anyway?');
    expect(yes.screen()).toContain('no-such-tool-for-runbook-tests: not found on PATH');
    yes.write('y');
    await yes.waitFor('Step 1: run it?');
    yes.write('r');
    expect((await finish(yes)).exitCode).toBe(0);
    expect(read(dir, 'ran.txt')).toBe('ran anyway\n');

    const other = scratch('interactive/requires.md');
    const no = start(['requires.md'], other);
    await no.waitFor('Continue anyway?');
    no.write('\r');
    expect((await no.exit()).exitCode).toBe(2);
    expect(existsSync(path.join(other, 'ran.txt'))).toBe(false);
  });

  it('uses colour on a terminal, and none with NO_COLOR', async () => {
    for (const noColor of [undefined, '1']) {
      const dir = scratch('interactive/walk.md');
      const s = start(['walk.md'], dir, { NO_COLOR: noColor });
      await s.waitFor('Step 1: run it?');
      s.write('a');
      expect((await finish(s)).exitCode).toBe(0);
      expect(s.screen()).toContain('Finished: 3 done');
      expect(SGR.test(s.raw)).toBe(noColor === undefined);
    }
  });
});

describe('examples/tour.md', { timeout: 30_000 }, () => {
  it('runs as its prose says: a carried value, going back, a step that fails until a file exists, a question, an edit of the file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'runbook-tour-test-'));
    cpSync(path.join(ROOT, 'examples/tour.md'), path.join(dir, 'tour.md'));
    const tmp = path.join(dir, 'tmp');
    mkdirSync(tmp);
    const s = start(['tour.md'], dir, { TMPDIR: tmp });
    for (const n of [1, 2]) {
      await s.waitFor(`Step ${n}: run it?`);
      s.write('r');
    }
    // Back one step, run it again, and on from there.
    await s.waitFor('Step 3: run it?');
    s.write('b');
    await s.waitFor('Step 2 is done: run it again?');
    s.write('r');
    await s.waitForCount('Step 3: run it?', 2);
    expect(s.screen().match(/^Tour started at \d\d:\d\d:\d\d$/gm)).toHaveLength(2);
    s.write('r');
    await s.waitFor('Step 3 failed: what now?');
    const touch = /touch (\S+\/ready)/.exec(s.after('── wait-for-ready-file is running'))?.[1];
    expect(touch).toMatch(new RegExp(`^${tmp}/runbook-tour\\.`));
    writeFileSync(touch as string, '');
    s.write('r');
    await s.waitFor('Step 4: run it?');
    s.write('r');
    await s.waitFor(() => s.after('── ask-your-name is running').includes('What should I call you?'));
    s.write('Grace\r');
    await s.waitFor('Step 5: run it?');
    // The file edited while the tour waits: the walkthrough names the step and runs the new line.
    const file = path.join(dir, 'tour.md');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('This line is what the file says.', 'Edited in my editor.'),
    );
    await s.waitFor('runbook: tour.md changed: step 5 edit-me edited');
    await s.waitForCount('Step 5: run it?', 2);
    s.write('r');
    await s.waitFor(/^Edited in my editor\. Change it, save, and run this step\.$/m);
    await s.waitFor('Step 6: run it?');
    s.write('r');
    expect((await finish(s)).exitCode).toBe(0);
    expect(s.screen()).toMatch(/Goodbye, Grace\. The tour started at \d\d:\d\d:\d\d\./);
    expect(s.screen()).toContain('Finished: 6 done');
    // The last step removed the scratch directory.
    expect(readdirSync(tmp).filter((f) => f.startsWith('runbook-tour.'))).toEqual([]);
  });

  it('stops at the third step under --yes, as its last paragraph says', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'runbook-tour-test-'));
    cpSync(path.join(ROOT, 'examples/tour.md'), path.join(dir, 'tour.md'));
    const r = await runCli(['--yes', 'tour.md'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Step 3/6 wait-for-ready-file failed');
  });
});

describe('--dry-run', () => {
  it('renders every step, its prose and the variables it would use, runs nothing, and needs no terminal', async () => {
    const dir = scratch('interactive/walk.md');
    const r = await runCli(['--dry-run', 'walk.md'], { cwd: dir, env: { NO_COLOR: undefined } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Dry run of 3 steps; nothing is run.');
    expect(r.stdout).toContain('* item with strong and inline code');
    expect(r.stdout).not.toMatch(/\*\*|`/);
    expect(r.stdout).toMatch(/▶ Step 2\/3 · second\n\s+│ echo "second sees \$VALUE" >> log.txt/);
    expect(r.stdout).toMatch(/VALUE\s+set by step 1 first/);
    expect(r.stdout).toContain('Sets: VALUE');
    expect(r.stdout).toContain('All done.');
    // Not a terminal: no colour even without NO_COLOR.
    expect(SGR.test(r.stdout)).toBe(false);
    expect(existsSync(path.join(dir, 'log.txt'))).toBe(false);
    expect(existsSync(path.join(dir, '.runbook/walk.state.json'))).toBe(false);
  });

  it('shows the values --set gives', async () => {
    const dir = scratch('interactive/walk.md');
    const r = await runCli(['--dry-run', '--from', '2', '--set', 'VALUE=given', 'walk.md'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Dry run of 2 of 3 steps');
    expect(r.stdout).toContain('VALUE = given');
    expect(r.stdout).not.toContain('Step 1/3');
  });

  it('masks secret values', async () => {
    const dir = scratch('interactive/ask.md');
    const r = await runCli(['--dry-run', '--set', 'API_TOKEN=hunter2', '--set', 'REGION=eu', 'ask.md'], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/API_TOKEN = \*\*\*\*/);
    expect(r.stdout).toMatch(/REGION\s+= eu/);
    expect(r.stdout).toMatch(/NAME\s+set by step 1 read-name/);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  });
});
