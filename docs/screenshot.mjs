// Takes docs/serve.png, the README's picture of `runbook serve`: the federation runbook served from a
// scratch copy, the cluster tools replaced by the test doubles, its first steps run from the page in
// headless Chromium. Run after `npm run build`: node docs/screenshot.mjs
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(import.meta.dirname, '..');
const dir = mkdtempSync(path.join(tmpdir(), 'runbook-shot-'));
cpSync(path.join(ROOT, 'runbook.md'), path.join(dir, 'runbook.md'));
cpSync(path.join(ROOT, 'steps'), path.join(dir, 'steps'), { recursive: true });
const env = {
  ...process.env,
  PATH: `${path.join(ROOT, 'test/doubles/bin')}${path.delimiter}${process.env.PATH}`,
  RUNBOOK_FAKE_STATE: path.join(dir, 'fake-state'),
  RUNBOOK_FAKE_LOG: path.join(dir, 'calls.log'),
  FORCE_COLOR: '1',
};
const server = spawn(process.execPath, [path.join(ROOT, 'bin/runbook.js'), 'serve', 'runbook.md'], {
  cwd: dir,
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /http:\/\/\S+\?token=\S+/.exec(out);
    if (m) resolve(m[0]);
  });
  server.once('exit', () => reject(new Error(`runbook serve ended:\n${out}`)));
});
const profile = mkdtempSync(path.join(tmpdir(), 'runbook-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  viewport: { width: 1360, height: 1000 },
  deviceScaleFactor: 1,
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  await page.waitForSelector('[data-step="helm-repo"]');
  for (const step of ['helm-repo', 'create-cluster-0', 'istio-system-cluster-0']) {
    await page.click(`[data-step="${step}"] [data-action="run"]`);
    await page.waitForSelector(`[data-step="${step}"][data-status="done"]`, { timeout: 60_000 });
  }
  await page.locator('[data-step="create-cluster-0"]').scrollIntoViewIfNeeded();
  await page.evaluate(() => {
    const cell = document.querySelector('[data-step="create-cluster-0"]');
    window.scrollTo(0, (cell?.getBoundingClientRect().top ?? 0) + window.scrollY - 120);
  });
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(ROOT, 'docs/serve.png') });
} finally {
  await context.close();
  server.kill('SIGINT');
  await new Promise((r) => server.once('exit', r));
  rmSync(profile, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
