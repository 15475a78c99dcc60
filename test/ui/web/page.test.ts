// The web notebook as a person uses it: runbook serve started as a user would, the page opened in headless
// Chromium with the printed URL, buttons clicked, the page and the files on disk read.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, hasChromium, launch, type Served, serve } from '../../helpers/browser.ts';
import { alive, runCli, scratch, waitFor } from '../../helpers/cli.ts';

const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');
const record = (dir: string, name: string) => JSON.parse(read(dir, `.runbook/${name}.state.json`));

let browser: Browser;
const servers: Served[] = [];
const pages: Page[] = [];

async function open(fixture: string, args: string[] = []): Promise<{ dir: string; s: Served; page: Page }> {
  const dir = scratch(fixture);
  const s = await serve([...args, path.basename(fixture)], { cwd: dir });
  servers.push(s);
  const page = await browser.context.newPage();
  pages.push(page);
  page.on('pageerror', (e) => browser.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') browser.errors.push(`console: ${m.text()}`);
  });
  await page.goto(s.url);
  await page.waitForSelector('[data-connection="open"]');
  await page.waitForSelector('[data-step]');
  return { dir, s, page };
}

const cell = (page: Page, step: string) => page.locator(`[data-step="${step}"]`);
const button = (page: Page, step: string, action: string) =>
  page.locator(`[data-step="${step}"] [data-action="${action}"]`);
/** What the cell's terminal shows. */
const output = (page: Page, step: string) =>
  page.locator(`[data-step="${step}"] [data-output] .xterm-rows`).innerText();
/** Waits for the cell's terminal to show `text` (it draws a moment after the data came). */
const shows = (page: Page, step: string, text: string) =>
  expect.poll(() => output(page, step), { timeout: 30_000 }).toContain(text);
const status = (page: Page, step: string, value: string) =>
  page.waitForSelector(`[data-step="${step}"][data-status="${value}"]`, { timeout: 30_000 });

describe.skipIf(!hasChromium)('the web notebook in Chromium', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close();
    for (const s of servers.splice(0)) await s.stop();
    // No script error, and nothing the page's own policy refused (the terminal's styles included).
    expect(browser.errors.splice(0)).toEqual([]);
  });

  it('shows the runbook: title, prose sanitised, code highlighted, a cell per step, an outline', async () => {
    const { page } = await open('web/page.md');
    // The token went from the address bar into the tab's session storage: a reload still connects.
    expect(page.url()).not.toContain('token=');
    await page.reload();
    await page.waitForSelector('[data-connection="open"]');
    expect(await page.locator('[data-title]').innerText()).toBe('Web notebook fixture');
    expect(await page.title()).toBe('Web notebook fixture · runbook');
    const main = page.locator('[data-doc]');
    expect(await main.locator('h1').first().innerText()).toBe('Set up');
    expect(await main.locator('strong').first().innerText()).toBe('bold');
    // The runbook's own markup runs nothing and loads nothing.
    expect(await page.evaluate(() => (window as { __pwned?: string }).__pwned)).toBeUndefined();
    expect(await main.locator('script, [onerror], img').count()).toBe(0);
    expect(await main.locator('a', { hasText: 'a javascript link' }).getAttribute('href')).toBeNull();
    expect(await main.innerText()).toContain('[image: a remote diagram]');
    expect(await main.innerText()).toContain('[image: x]');
    expect(await main.locator('a', { hasText: 'a link' }).getAttribute('rel')).toBe('noopener noreferrer');
    // Documentation blocks are highlighted prose; steps are cells.
    expect(await main.locator('.prose pre code .hljs-attr').first().innerText()).toMatch(/^kind/);
    expect(await page.locator('[data-step]').count()).toBe(3);
    expect(await page.locator('[data-step][data-status="pending"]').count()).toBe(3);
    expect(await cell(page, 'greet').locator('.num').innerText()).toBe('Step 1/3');
    expect(await cell(page, 'greet').locator('[data-code] .hljs-string').count()).toBeGreaterThan(0);
    for (const action of ['run', 'run-all', 'skip', 'edit']) {
      expect(await button(page, 'greet', action).isVisible()).toBe(true);
    }
    const outline = page.locator('[data-outline] li');
    expect(await outline.allInnerTexts()).toEqual(['1 greet', '2 use', '3 later']);
  });

  it('runs a step: its output streams in colour, the next cell shows what it set, secrets masked; skips', async () => {
    const { dir, page } = await open('web/page.md');
    await button(page, 'greet', 'run').click();
    await status(page, 'greet', 'done');
    // A screen reader hears the step end, from a live region the page does not draw.
    const announced = page.locator('[data-announce]');
    expect(await announced.getAttribute('role')).toBe('status');
    await expect.poll(() => announced.textContent()).toBe('Step 1 greet: done');
    expect(await page.locator('[data-notices]').getAttribute('aria-live')).toBe('polite');
    await shows(page, 'greet', 'green text and plain');
    // ANSI colours drawn by the terminal, not shown as escapes.
    expect(await cell(page, 'greet').locator('[data-output] .xterm-fg-2').first().innerText()).toBe(
      'green text',
    );
    expect(await cell(page, 'greet').locator('[data-duration]').innerText()).toMatch(/^\d+ ms$/);
    expect(await button(page, 'greet', 'run').innerText()).toBe('Re-run');
    const vars = cell(page, 'use').locator('[data-vars]');
    await expect.poll(() => vars.innerText()).toContain('hello from greet');
    expect(await vars.locator('[data-var="API_TOKEN"] + dd').innerText()).toBe('****');
    // The code shows the secret as written; nothing the runner shows of its value does.
    expect(await page.locator('[data-vars]').allInnerTexts()).not.toContain(
      expect.stringContaining('s3cr3t'),
    );
    await button(page, 'use', 'run').click();
    await status(page, 'use', 'done');
    await shows(page, 'use', 'use sees hello from greet with 12 secret chars');
    await button(page, 'later', 'skip').click();
    await status(page, 'later', 'skipped');
    await expect.poll(() => announced.textContent()).toBe('Step 3 later: skipped');
    expect(await page.locator('[data-outline] li[data-status="done"]').count()).toBe(2);
    expect(read(dir, 'log.txt')).toBe('greet ran\nuse sees hello from greet with 12 secret chars\n');
    await waitFor(
      () =>
        record(dir, 'page')
          .steps.map((s: { status: string }) => s.status)
          .join() === 'done,done,skipped',
      5000,
      'the run record',
    );
    // The record never holds the secret.
    expect(read(dir, '.runbook/page.state.json')).not.toContain('s3cr3t-value');
  });

  it('a page past the sixteenth on one run says why it is not connected and how to go on', async () => {
    const { s, page } = await open('web/page.md');
    // Fifteen more live channels from the first page: sixteen in all.
    const opened = await page.evaluate(async (url) => {
      const token = new URL(url).searchParams.get('token') ?? '';
      const all = Array.from(
        { length: 15 },
        () => new WebSocket(`ws://${location.host}/live?token=${token}`),
      );
      (window as unknown as { kept: WebSocket[] }).kept = all;
      await Promise.all(all.map((ws) => new Promise((resolve) => ws.addEventListener('open', resolve))));
      return all.filter((ws) => ws.readyState === WebSocket.OPEN).length;
    }, s.url);
    expect(opened).toBe(15);
    const late = await browser.context.newPage();
    pages.push(late);
    await late.goto(s.url);
    const connection = late.locator('[data-connection="closed"]');
    await expect
      .poll(() => connection.innerText().catch(() => ''))
      .toBe('disconnected: 16 pages are open on this run already: close one, then reload');
    expect(await late.locator('[data-notice="warn"]').innerText()).toContain('close one, then reload');
    // The first page is still served.
    expect(await page.locator('[data-connection]').getAttribute('data-connection')).toBe('open');
  });

  it('a failure shows exit code, output tail and Retry / Edit / Skip; Retry after the fix runs it again', async () => {
    const { dir, page } = await open('web/fail.md');
    await button(page, 'check-flag', 'run').click();
    await status(page, 'check-flag', 'failed');
    expect(await cell(page, 'check-flag').locator('[data-failure]').innerText()).toContain(
      'Failed: exit code 3',
    );
    await shows(page, 'check-flag', 'flag.txt is missing');
    expect(await button(page, 'check-flag', 'run').innerText()).toBe('Retry');
    expect(await button(page, 'check-flag', 'edit').isVisible()).toBe(true);
    expect(await button(page, 'check-flag', 'skip').isVisible()).toBe(true);
    writeFileSync(path.join(dir, 'flag.txt'), 'here\n');
    await button(page, 'check-flag', 'run').click();
    await status(page, 'check-flag', 'done');
    await shows(page, 'check-flag', 'found the flag');
    expect(await output(page, 'check-flag')).not.toContain('flag.txt is missing');
    expect(await cell(page, 'check-flag').locator('[data-failure]').isVisible()).toBe(false);
    expect(await cell(page, 'after').getAttribute('data-status')).toBe('pending');
  });

  it('Run all from here pauses at a failure and goes on once it is retried', async () => {
    const { dir, page } = await open('web/fail.md');
    await button(page, 'check-flag', 'run-all').click();
    await status(page, 'check-flag', 'failed');
    expect(await cell(page, 'after').getAttribute('data-status')).toBe('pending');
    writeFileSync(path.join(dir, 'flag.txt'), 'here\n');
    await button(page, 'check-flag', 'run').click();
    await status(page, 'after', 'done');
    expect(read(dir, 'log.txt')).toBe('after ran\n');
  });

  it('Run all from here passes over done and skipped steps, and goes on after Run with these values', async () => {
    const { dir, page } = await open('web/run-all.md');
    await button(page, 'two', 'run').click();
    await status(page, 'two', 'done');
    await button(page, 'four', 'skip').click();
    await status(page, 'four', 'skipped');
    await button(page, 'one', 'run-all').click();
    const ask = cell(page, 'asks').locator('[data-ask]');
    await ask.waitFor();
    await ask.locator('[data-ask-name="WHO"]').fill('ada');
    await button(page, 'asks', 'run').click();
    await status(page, 'asks', 'done');
    // two was done and four skipped: passed over, as `a` does in the walkthrough.
    await page.locator('[data-notice]', { hasText: 'four is skipped; passed over' }).waitFor();
    expect(read(dir, 'log.txt')).toBe('two\none\nasked ada\n');
    expect(await cell(page, 'four').getAttribute('data-status')).toBe('skipped');
    // Drawn again from the record: nothing was dropped, and nothing says so.
    await page.reload();
    await page.waitForSelector('[data-connection="open"]');
    await status(page, 'asks', 'done');
    await shows(page, 'asks', 'asked ada');
    expect(await page.locator('body').innerText()).not.toContain('not shown');
  });

  it('asks for variables nothing has set before the step runs, a secret one masked', async () => {
    const { dir, page } = await open('web/needs.md');
    await button(page, 'uses-vars', 'run').click();
    const ask = cell(page, 'uses-vars').locator('[data-ask]');
    await ask.waitFor();
    expect(await ask.locator('[data-ask-name="REGION"]').getAttribute('type')).toBe('text');
    expect(await ask.locator('[data-ask-name="DB_PASSWORD"]').getAttribute('type')).toBe('password');
    await ask.locator('[data-ask-name="REGION"]').fill('eu-west-1');
    await ask.locator('[data-ask-name="DB_PASSWORD"]').fill('hunter22');
    await button(page, 'uses-vars', 'run').click();
    await status(page, 'uses-vars', 'done');
    expect(read(dir, 'log.txt')).toBe('region is eu-west-1 and the password has 8 characters\n');
    expect(await cell(page, 'uses-vars').locator('[data-var="DB_PASSWORD"] + dd').innerText()).toBe('****');
    expect(read(dir, '.runbook/needs.state.json')).not.toContain('hunter22');
  });

  it('one record: a run begun on the page resumes in the terminal, and one begun there resumes on the page', async () => {
    const { dir, s, page } = await open('web/page.md');
    await button(page, 'greet', 'run').click();
    await status(page, 'greet', 'done');
    await page.close();
    pages.splice(pages.indexOf(page), 1);
    expect((await s.stop()).code).toBe(0);
    // A secret is never written to the record: the resumed run is given it again.
    const terminal = await runCli(['--yes', '--resume', '--set', 'API_TOKEN=twelve-chars', 'page.md'], {
      cwd: dir,
    });
    expect(terminal.code).toBe(0);
    expect(read(dir, 'log.txt')).toBe(
      'greet ran\nuse sees hello from greet with 12 secret chars\nlater ran\n',
    );

    const failing = scratch('web/fail.md');
    expect((await runCli(['--yes', 'fail.md'], { cwd: failing })).code).toBe(1);
    const again = await serve(['--resume', 'fail.md'], { cwd: failing });
    servers.push(again);
    const resumed = await browser.context.newPage();
    pages.push(resumed);
    await resumed.goto(again.url);
    await status(resumed, 'check-flag', 'failed');
    await shows(resumed, 'check-flag', 'flag.txt is missing');
    writeFileSync(path.join(failing, 'flag.txt'), 'here\n');
    await button(resumed, 'check-flag', 'run-all').click();
    await status(resumed, 'after', 'done');
    expect(read(failing, 'log.txt')).toBe('after ran\n');
  });

  it('asks for the declared inputs in one form before any step runs, checking each', async () => {
    const { dir, page } = await open('web/inputs.md');
    const form = page.locator('[data-inputs]');
    await form.waitFor();
    expect(
      await form
        .locator('[data-input-name]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-input-name'))),
    ).toEqual(['REGION', 'DEPLOY_TOKEN', 'OWNER']);
    expect(await form.locator('[data-input-name="DEPLOY_TOKEN"]').getAttribute('type')).toBe('password');
    expect(await form.locator('[data-input-name="OWNER"]').getAttribute('placeholder')).toBe('ops');
    await button(page, 'deploy', 'run').click();
    await cell(page, 'deploy').locator('[data-note]', { hasText: 'inputs first' }).waitFor();
    expect(await cell(page, 'deploy').getAttribute('data-status')).toBe('pending');
    await form.locator('[data-input-name="REGION"]').fill('Europe');
    await form.locator('[data-input-name="DEPLOY_TOKEN"]').fill('tok-123456');
    await form.locator('[data-action="inputs"]').click();
    await form.locator('[data-problem]', { hasText: 'does not match' }).waitFor();
    expect(await form.locator('[data-input-name="DEPLOY_TOKEN"]').inputValue()).toBe('tok-123456');
    await form.locator('[data-input-name="REGION"]').fill('eu-west-1');
    await form.locator('[data-action="inputs"]').click();
    await form.waitFor({ state: 'hidden' });
    await button(page, 'deploy', 'run').click();
    await status(page, 'deploy', 'done');
    expect(read(dir, 'log.txt')).toBe('deploy to eu-west-1 for ops with a token of 10 characters\n');
    expect(read(dir, '.runbook/inputs.state.json')).not.toContain('tok-123456');
  });

  it('edits a step and saves it into its fence: the file changes only there; the new code runs', async () => {
    const { dir, page } = await open('web/edit.md');
    const before = read(dir, 'edit.md');
    await button(page, 'two', 'edit').click();
    const editor = cell(page, 'two').locator('[data-editor]');
    expect(await editor.inputValue()).toBe('echo two\necho "two again"');
    await editor.fill('echo two\necho "two, edited in the page"');
    await button(page, 'two', 'save').click();
    await waitFor(() => read(dir, 'edit.md') !== before, 10_000, 'the file to be saved');
    // Only that fence's content changed: the list item's indentation and the info string are kept.
    expect(read(dir, 'edit.md')).toBe(
      before.replace('  echo "two again"', '  echo "two, edited in the page"'),
    );
    await expect
      .poll(() => cell(page, 'two').locator('[data-code]').innerText())
      .toContain('edited in the page');
    expect(await editor.isVisible()).toBe(false);
    expect(await cell(page, 'two').locator('.badge.edited').count()).toBe(0);
    await button(page, 'two', 'run').click();
    await status(page, 'two', 'done');
    await shows(page, 'two', 'two, edited in the page');
  });

  it('a step changed on disk, or saved from another page, while it is edited: Save refused once, the text kept', async () => {
    const { dir, s, page } = await open('web/edit.md');
    const file = path.join(dir, 'edit.md');
    const other = await browser.context.newPage();
    pages.push(other);
    await other.goto(s.url);
    await other.waitForSelector('[data-step="three"]');
    await button(page, 'three', 'edit').click();
    const editor = cell(page, 'three').locator('[data-editor]');
    await editor.fill('echo "three, from this page"');
    // Another page saves the same step: this page's editor stays open with its text.
    await button(other, 'three', 'edit').click();
    await cell(other, 'three').locator('[data-editor]').fill('echo "three, from the other page"');
    await button(other, 'three', 'save').click();
    await waitFor(() => read(dir, 'edit.md').includes('from the other page'), 10_000, 'the other save');
    await cell(page, 'three')
      .locator('[data-notes]', { hasText: 'changed in the file while you were editing' })
      .waitFor({ timeout: 10_000 });
    expect(await editor.isVisible()).toBe(true);
    expect(await editor.inputValue()).toBe('echo "three, from this page"');
    // Then on disk too: the first Save is refused, and nothing is written.
    writeFileSync(file, read(dir, 'edit.md').replace('from the other page', 'from the disk'));
    await expect.poll(() => cell(page, 'three').locator('[data-notes]').innerText()).toContain('changed');
    await new Promise((r) => setTimeout(r, 1500));
    const onDisk = read(dir, 'edit.md');
    await button(page, 'three', 'save').click();
    await cell(page, 'three').locator('[data-notes]', { hasText: 'Not saved' }).waitFor();
    await new Promise((r) => setTimeout(r, 500));
    expect(read(dir, 'edit.md')).toBe(onDisk);
    expect(await editor.inputValue()).toBe('echo "three, from this page"');
    // A second Save replaces the file's new code, knowingly.
    await button(page, 'three', 'save').click();
    await waitFor(() => read(dir, 'edit.md').includes('from this page'), 10_000, 'the second save');
    expect(read(dir, 'edit.md')).not.toContain('from the disk');
  });

  it('an edit for this run only runs without touching the file', async () => {
    const { dir, page } = await open('web/edit.md');
    const before = read(dir, 'edit.md');
    await button(page, 'one', 'edit').click();
    await cell(page, 'one').locator('[data-editor]').fill('echo "one, just this once"');
    await button(page, 'one', 'use').click();
    await cell(page, 'one').locator('.badge.edited').waitFor();
    await button(page, 'one', 'run').click();
    await status(page, 'one', 'done');
    await shows(page, 'one', 'one, just this once');
    expect(read(dir, 'edit.md')).toBe(before);
  });

  it('shows an edit made on disk with what changed, and runs the new code', async () => {
    const { dir, page } = await open('web/edit.md');
    const file = path.join(dir, 'edit.md');
    const text = read(dir, 'edit.md');
    writeFileSync(
      file,
      `${text.replace('echo three', 'echo "three, from the editor"')}\n\`\`\`bash {name=four}\necho four\n\`\`\`\n`,
    );
    await page.locator('[data-notice]', { hasText: 'edit.md changed' }).waitFor({ timeout: 10_000 });
    const notice = await page.locator('[data-notice]', { hasText: 'edit.md changed' }).innerText();
    expect(notice).toMatch(/step 3 three edited/);
    expect(notice).toMatch(/step 4 four added/);
    expect(await cell(page, 'three').locator('[data-code]').innerText()).toContain('three, from the editor');
    expect(await page.locator('[data-outline] li').allInnerTexts()).toEqual([
      '1 one',
      '2 two',
      '3 three',
      '4 four',
    ]);
    await button(page, 'three', 'run').click();
    await status(page, 'three', 'done');
    await shows(page, 'three', 'three, from the editor');
    // A version that does not read is reported, and the last good one stays.
    writeFileSync(file, `${read(dir, 'edit.md')}\n\`\`\`bash {name=five timeout=soon}\necho five\n\`\`\`\n`);
    await page.locator('[data-notice]', { hasText: 'cannot be used' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-step]').count()).toBe(4);
  });

  it('a narrow window (360 px) does not scroll sideways: long lines scroll in their cell', async () => {
    const { page } = await open('web/page.md');
    await page.setViewportSize({ width: 360, height: 700 });
    await button(page, 'greet', 'run').click();
    await status(page, 'greet', 'done');
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth), { timeout: 10_000 })
      .toBeLessThanOrEqual(360);
  });

  it('a step reading input gets a terminal on the page to type into', async () => {
    const { dir, page } = await open('web/input.md');
    await button(page, 'ask-name', 'run').click();
    await shows(page, 'ask-name', 'your name?');
    // The step's terminal is as wide as the cell's.
    const cols = await cell(page, 'ask-name').locator('[data-output] [data-cols]').getAttribute('data-cols');
    await shows(page, 'ask-name', `on a terminal of ${cols} columns`);
    await cell(page, 'ask-name').locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('Ada Lovelace');
    await page.keyboard.press('Enter');
    await status(page, 'ask-name', 'done');
    await shows(page, 'ask-name', 'hello, Ada Lovelace');
    // Its step ended: Tab leaves the terminal (no keyboard trap) for the page's next control.
    await cell(page, 'ask-name').locator('.xterm-helper-textarea').focus();
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate(() => document.activeElement?.classList.contains('xterm-helper-textarea')),
    ).toBe(false);
    await button(page, 'after-input', 'run').click();
    await status(page, 'after-input', 'done');
    expect(read(dir, 'log.txt')).toBe('NAME is Ada Lovelace\n');
  });

  it('Stop ends the running step with its whole tree; every open page follows the run', async () => {
    const { dir, s, page } = await open('web/sleep.md');
    const other = await browser.context.newPage();
    pages.push(other);
    await other.goto(s.url);
    await other.waitForSelector('[data-step="long"]');
    await button(page, 'long', 'run').click();
    await waitFor(
      () => {
        try {
          return Number(read(dir, 'bg.pid')) > 0;
        } catch {
          return false;
        }
      },
      15_000,
      'the background sleep',
    );
    const bg = Number(read(dir, 'bg.pid'));
    await status(other, 'long', 'running');
    await shows(other, 'long', 'started');
    expect(await button(other, 'long', 'stop').isVisible()).toBe(true);
    await button(page, 'long', 'stop').click();
    await status(page, 'long', 'interrupted');
    await status(other, 'long', 'interrupted');
    await waitFor(() => !alive(bg), 10_000, 'the background sleep to be ended');
  });

  it('a step printing 300 MB leaves the server and the tab within a bound; the cell keeps the tail', {
    timeout: 300_000,
  }, async () => {
    const { s, page } = await open('web/big.md');
    await button(page, 'flood', 'run').click();
    // Through a terminal, 300 MB take a while on a busy machine.
    await page.waitForSelector('[data-step="flood"][data-status="done"]', { timeout: 240_000 });
    await shows(page, 'flood', 'the end of the flood');
    expect(await cell(page, 'flood').locator('[data-dropped]').innerText()).toMatch(
      /\d+(\.\d)? MiB of this step's output not shown/,
    );
    // Peak resident memory of the server over the whole run, and the tab's script heap now.
    const status_ = readFileSync(`/proc/${s.run.child.pid}/status`, 'utf8');
    const peakMiB = Number(/VmHWM:\s+(\d+) kB/.exec(status_)?.[1]) / 1024;
    expect(peakMiB).toBeLessThan(200);
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heapMiB = (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 1024 / 1024;
    expect(heapMiB).toBeLessThan(100);
  });

  it('a page of another server on 127.0.0.1 learns no token and cannot reach the server', async () => {
    const { s, page } = await open('web/sleep.md');
    // What the browser sends the other server: a host's cookies go to every port of it.
    const sent: string[] = [];
    const evil: Server = createServer((req, res) => {
      sent.push(JSON.stringify(req.headers));
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>elsewhere</title>');
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const address = evil.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const other = await browser.context.newPage();
      pages.push(other);
      await other.goto(`http://127.0.0.1:${port}/`);
      const attempt = await other.evaluate(
        async ({ target, token }) => {
          const channel = await new Promise<string>((resolve) => {
            const ws = new WebSocket(`ws://${target}/live`);
            ws.onopen = () => {
              ws.send(JSON.stringify({ t: 'run', step: 'long' }));
              resolve('open');
            };
            ws.onerror = () => resolve('refused');
          });
          const page = await fetch(`http://${target}/`, { credentials: 'include', mode: 'no-cors' })
            .then(() => 'fetched')
            .catch(() => 'failed');
          // Even with the token, a page of another origin is refused.
          const withToken = await new Promise<string>((resolve) => {
            const ws = new WebSocket(`ws://${target}/live?token=${token}`);
            ws.onopen = () => resolve('open');
            ws.onerror = () => resolve('refused');
          });
          return { channel, page, withToken };
        },
        { target: `127.0.0.1:${s.port}`, token: s.token },
      );
      expect(attempt.channel).toBe('refused');
      expect(attempt.withToken).toBe('refused');
      expect(sent.length).toBeGreaterThan(0);
      for (const headers of sent) expect(headers).not.toContain(s.token);
      // The browser's own refusal of the WebSocket is a console error on that page, not ours.
      browser.errors.splice(0);
      expect(await cell(page, 'long').getAttribute('data-status')).toBe('pending');
    } finally {
      evil.close();
    }
  });
});
