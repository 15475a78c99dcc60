// The walkthrough's first screen from its render cache (.runbook/<name>.render.json): the built CLI in a
// real pseudo-terminal, started again on the same runbook, on one whose prose changed, and at another width.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scratch } from '../helpers/cli.ts';
import { PtySession } from '../helpers/pty.ts';

const sessions: PtySession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose();
});

/** The walkthrough up to its first question, then quit: the screen it showed. */
async function firstScreen(dir: string, cols = 100): Promise<string> {
  const s = new PtySession(['walk.md'], { cwd: dir, cols });
  sessions.push(s);
  const screen = await s.waitFor('Step 1: run it?');
  s.write('q');
  await s.exit();
  return screen;
}

const cacheOf = (dir: string) => path.join(dir, '.runbook', 'walk.render.json');

/** The cached rendering of the fixture's first prose made into a text the renderer would never make. */
function doctorCache(dir: string): void {
  const cache = JSON.parse(readFileSync(cacheOf(dir), 'utf8')) as { key: string; texts: [string, string][] };
  const prose = cache.texts.find(([key]) => key.startsWith('p\0') && key.includes('Walk fixture'));
  expect(prose?.[1]).toContain('item with');
  if (prose) prose[1] = 'THE KEPT RENDERING\n';
  writeFileSync(cacheOf(dir), JSON.stringify(cache));
}

describe("the walkthrough's render cache", { timeout: 30_000 }, () => {
  it('draws the first screen from what the last walk rendered, and renders again what changed', async () => {
    const dir = scratch('interactive/walk.md');
    const first = await firstScreen(dir);
    expect(first).toContain('* item with strong and inline code');
    // What the next walk shows of that prose is what the cache says, not rendered again.
    doctorCache(dir);
    const again = await firstScreen(dir);
    expect(again).toContain('THE KEPT RENDERING');
    expect(again).not.toContain('item with strong');
    expect(again).toContain('│ VALUE=from-first');
    // The prose changed on disk: rendered from the file as it is now.
    const md = path.join(dir, 'walk.md');
    writeFileSync(md, readFileSync(md, 'utf8').replace('a list:', 'a *changed* list:'));
    const changed = await firstScreen(dir);
    expect(changed).toContain('Some bold prose and a changed list:');
    expect(changed).not.toContain('THE KEPT RENDERING');
    expect(changed).toContain('│ VALUE=from-first');
    // Another width is rendered for that width.
    doctorCache(dir);
    const narrow = await firstScreen(dir, 60);
    expect(narrow).not.toContain('THE KEPT RENDERING');
    expect(narrow).toContain('* item with strong and inline code');
  });
});
