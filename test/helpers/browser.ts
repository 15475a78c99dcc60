// The web notebook in a real browser: Debian's headless Chromium driven by playwright-core (no browser
// download), with a new empty profile each time; and `runbook serve` started as a user would, its URL read
// from what it prints. Tests that need the browser skip, saying why, where Chromium is not installed.

import type { SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { startCli, waitFor } from './cli.ts';

export const CHROMIUM = process.env.RUNBOOK_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors and console errors in the page, and policy violations. */
  errors: string[];
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'runbook-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface Served {
  url: string;
  port: number;
  token: string;
  origin: string;
  run: ReturnType<typeof startCli>;
  /** Ctrl-C in serve's terminal; resolves with how it ended. */
  stop(): Promise<Awaited<ReturnType<typeof startCli>['done']>>;
}

/** Every server a test started and did not stop: stopped when the test process ends, however it ends. */
const started = new Set<ReturnType<typeof startCli>['child']>();
process.once('exit', () => {
  for (const child of started) child.kill('SIGTERM');
});

/** `runbook serve ARGS` in `cwd`, once it has printed its URL. */
export async function serve(args: string[], opts: SpawnOptions = {}): Promise<Served> {
  const run = startCli(['serve', ...args], opts);
  started.add(run.child);
  run.child.once('exit', () => started.delete(run.child));
  let url = '';
  try {
    await waitFor(
      () => {
        url = /http:\/\/\S+\?token=\S+/.exec(run.output())?.[0] ?? '';
        return url !== '' || run.child.exitCode !== null;
      },
      30_000,
      'runbook serve to print its URL',
    );
  } catch (err) {
    run.child.kill('SIGTERM');
    throw err;
  }
  if (!url) throw new Error(`runbook serve did not start:\n${run.output()}`);
  const parsed = new URL(url);
  return {
    url,
    port: Number(parsed.port),
    token: parsed.searchParams.get('token') as string,
    origin: parsed.origin,
    run,
    async stop() {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGINT');
      return run.done;
    },
  };
}
