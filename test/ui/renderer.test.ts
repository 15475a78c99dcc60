// The walkthrough's renderer: what it gives is what render.ts renders, a runbook shown before comes back
// from its cache without loading the Markdown renderer at all, and the cache follows the options, the
// runbook as it is now and its own damage.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../lib/markdown/parse.ts';
import { renderedHere } from '../../lib/ui/render.ts';
import { Renderer } from '../../lib/ui/renderer.ts';
import type { Piece, RenderOptions } from '../../lib/ui/text.ts';
import { stepPieces, stepView } from '../../lib/ui/view.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const colored = { color: true, width: 60 };

const PROSE = [
  '# Install *it*',
  '',
  'Run it **now**, see [the guide](https://example.com/guide), and `kubectl`:',
  '',
  '- one **bold** item',
  '- two',
  '',
  '| a | b |',
  '| - | - |',
  '| 1 | 2 |',
  '',
].join('\n');
const PIECES: Piece[] = [
  { kind: 'prose', text: PROSE },
  { kind: 'code', text: 'echo "$HOME" | tr a-z A-Z # shout', lang: 'bash' },
  { kind: 'code', text: 'const x = await $`ls`;', lang: 'javascript' },
  { kind: 'code', text: 'plain text', lang: 'text' },
];

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) {
    chmodSync(d, 0o700);
    rmSync(d, { recursive: true, force: true });
  }
});
function cacheIn(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'renderer-test-'));
  dirs.push(dir);
  return path.join(dir, 'book.render.json');
}

async function expectAsHere(r: Renderer, opts: RenderOptions = colored): Promise<void> {
  const rendered = await r.render(PIECES);
  const here = renderedHere(opts);
  for (const p of PIECES) {
    const want = p.kind === 'prose' ? here.prose(p.text) : here.code(p.text, p.lang ?? 'text');
    const got = p.kind === 'prose' ? rendered.prose(p.text) : rendered.code(p.text, p.lang ?? 'text');
    expect(got).toBe(want);
  }
}

describe('Renderer', () => {
  it('gives what render.ts renders, and only what it was asked for', async () => {
    const r = new Renderer(colored);
    await expectAsHere(r);
    expect(r.count).toEqual({ cached: 0, rendered: PIECES.length });
    const rendered = await r.render(PIECES.slice(1, 2));
    expect(() => rendered.prose(PROSE)).toThrow(/did not list/);
  });

  it('gives back from its cache what an earlier walk showed, the same', async () => {
    const file = cacheIn();
    const first = new Renderer(colored, file);
    await expectAsHere(first);
    await first.save(PIECES);
    const again = new Renderer(colored, file);
    await expectAsHere(again);
    expect(again.count).toEqual({ cached: PIECES.length, rendered: 0 });
    const before = readFileSync(file, 'utf8');
    await again.save(PIECES);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('keeps only the runbook as it is now, and renders again for other options', async () => {
    const file = cacheIn();
    const first = new Renderer(colored, file);
    await first.render(PIECES);
    await first.save(PIECES.slice(0, 2));
    const again = new Renderer(colored, file);
    await again.render(PIECES);
    expect(again.count).toEqual({ cached: 2, rendered: 2 });
    const narrow = { color: true, width: 40 };
    const other = new Renderer(narrow, file);
    await expectAsHere(other, narrow);
    expect(other.count).toEqual({ cached: 0, rendered: PIECES.length });
  });

  it('renders when its cache is corrupt or cannot be written, and mends a corrupt one', async () => {
    const file = cacheIn();
    for (const junk of ['{not json', '{"key": 1, "texts": 5}', '[]', '{"texts": [["p\\u0000x", 3]]}']) {
      writeFileSync(file, junk);
      const r = new Renderer(colored, file);
      await expectAsHere(r);
      expect(r.count.cached).toBe(0);
    }
    const mended = new Renderer(colored, file);
    await mended.render(PIECES);
    await mended.save(PIECES);
    const after = new Renderer(colored, file);
    await expectAsHere(after);
    expect(after.count).toEqual({ cached: PIECES.length, rendered: 0 });
    const readOnly = cacheIn();
    chmodSync(path.dirname(readOnly), 0o500);
    const r = new Renderer(colored, readOnly);
    await expectAsHere(r);
    await expect(r.save(PIECES)).resolves.toBeUndefined();
  });

  it('lists every piece a step view shows', async () => {
    const rb = parseRunbook(
      'Some *prose*.\n\n```bash {name=go}\necho $IP\n```\n\n```text\nhi\n```\n\n```js {name=j}\n1\n```\n',
    );
    const r = new Renderer(colored);
    for (const step of rb.steps) {
      for (const parts of [
        { prose: true, code: step.code, vars: [] },
        { prose: false, code: 'echo edited', vars: [] },
      ]) {
        const view = stepView(step, 2, parts, await r.render(stepPieces(step, parts)), colored);
        expect(view).toBe(stepView(step, 2, parts, renderedHere(colored), colored));
      }
    }
  });

  it('draws from a warm cache without loading the Markdown renderer or highlight.js', () => {
    // The built module in a process of its own: what it loaded is in its require cache.
    const file = cacheIn();
    const script = (save: boolean) =>
      [
        "import { createRequire } from 'node:module';",
        `import { Renderer } from ${JSON.stringify(path.join(ROOT, 'dist/ui/renderer.js'))};`,
        `const r = new Renderer({ color: true, width: 60 }, ${JSON.stringify(file)});`,
        `const pieces = ${JSON.stringify(PIECES)};`,
        'const shown = await r.render(pieces);',
        save ? 'await r.save(pieces);' : '',
        'const loaded = Object.keys(createRequire(import.meta.url).cache);',
        "const names = ['highlight.js', 'cli-table3'].filter((n) => loaded.some((f) => f.includes(n)));",
        'console.log(JSON.stringify({ count: r.count, names, prose: shown.prose(pieces[0].text).length > 0 }));',
      ].join('\n');
    const run = (save: boolean) => {
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script(save)], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(child.stderr).toBe('');
      return JSON.parse(child.stdout);
    };
    const cold = run(true);
    expect(cold.count).toEqual({ cached: 0, rendered: PIECES.length });
    expect(cold.names).toEqual(['highlight.js', 'cli-table3']);
    expect(run(false)).toEqual({ count: { cached: PIECES.length, rendered: 0 }, names: [], prose: true });
  });
});

describe('Renderer, failing', () => {
  it('reports a rendering that fails when it is shown, never as an unhandled rejection ahead', async () => {
    const r = new Renderer(colored);
    const failing = { kind: 'code', text: 'x', lang: 'bash' } as const;
    // A renderer module that throws for this piece, as a broken install would.
    (r as unknown as { local: Promise<unknown> }).local = Promise.resolve({
      renderPiece: () => {
        throw new Error('no renderer');
      },
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      r.ahead([failing]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      await expect(r.render([failing])).rejects.toThrow('no renderer');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
