// A CommonJS module through V8's code cache (os/code-cache.ts): it loads and works the same with no cache,
// a good one, a corrupt one or nowhere to keep one, the cache is written once, privately, and the caller
// hears when V8 has judged the cache, before the module runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cacheHome, requireCached } from '../../lib/os/code-cache.ts';

/** The built module, for a process of its own. */
const BUILT = new URL('../../dist/os/code-cache.js', import.meta.url).href;

/** A directory with node_modules/fake (which requires a file of its own), and where its cache goes. */
function project(answer = 42) {
  const dir = mkdtempSync(path.join(tmpdir(), 'runbook-code-cache-'));
  const pkg = path.join(dir, 'node_modules/fake');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), '{"name":"fake","main":"index.js"}');
  writeFileSync(path.join(pkg, 'helper.js'), `exports.answer = () => ${answer};`);
  writeFileSync(
    path.join(pkg, 'index.js'),
    "const { answer } = require('./helper.js');\nexports.ask = (x) => `${x}: ${answer()}`;\nexports.file = __filename;",
  );
  return { dir, from: pathToFileURL(path.join(dir, 'main.js')), cache: path.join(dir, 'cache') };
}

type Fake = { ask(x: string): string; file: string };
const load = (p: ReturnType<typeof project>) => requireCached('fake', p.from, p.cache);
const caches = (p: ReturnType<typeof project>) => readdirSync(p.cache).filter((f) => f.endsWith('.v8'));

describe('requireCached', () => {
  it('loads the module as require does, and writes its cache only when kept', async () => {
    const p = project();
    const first = load(p);
    expect((first.exports as Fake).ask('q')).toBe('q: 42');
    expect((first.exports as Fake).file).toBe(path.join(p.dir, 'node_modules/fake/index.js'));
    expect(() => readdirSync(p.cache)).toThrow();
    await first.keep();
    expect(caches(p)).toEqual([expect.stringMatching(/^fake-[0-9a-f]{24}\.v8$/)]);
    expect(statSync(p.cache).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(p.cache, caches(p)[0] as string)).mode & 0o777).toBe(0o600);
  });

  it('uses a good cache and leaves it as it is', async () => {
    const p = project();
    await load(p).keep();
    const file = path.join(p.cache, caches(p)[0] as string);
    const before = statSync(file).mtimeMs;
    const again = load(p);
    expect((again.exports as Fake).ask('q')).toBe('q: 42');
    await again.keep();
    expect(statSync(file).mtimeMs).toBe(before);
    expect(caches(p)).toHaveLength(1);
  });

  it('loads past a corrupt cache and writes a good one over it', async () => {
    const p = project();
    await load(p).keep();
    const file = path.join(p.cache, caches(p)[0] as string);
    writeFileSync(file, 'not a code cache');
    // A process of its own: V8 keeps what it compiled, so this one would never look at the cache again.
    const script = `const { requireCached } = await import(${JSON.stringify(BUILT)});
      const loaded = requireCached('fake', ${JSON.stringify(p.from.href)}, ${JSON.stringify(p.cache)});
      await loaded.keep();
      console.log(loaded.exports.ask('q'));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out).toBe('q: 42\n');
    expect(readFileSync(file, 'utf8')).not.toBe('not a code cache');
    expect((load(p).exports as Fake).ask('q')).toBe('q: 42');
  });

  it('makes a changed module a cache of its own, in place of the old one', async () => {
    const p = project();
    await load(p).keep();
    const old = caches(p);
    writeFileSync(path.join(p.dir, 'node_modules/fake/index.js'), 'exports.ask = (x) => `${x}!`;');
    const changed = load(p);
    expect((changed.exports as Fake).ask('q')).toBe('q!');
    await changed.keep();
    expect(caches(p)).toHaveLength(1);
    expect(caches(p)).not.toEqual(old);
  });

  it('says when V8 has compiled the module, before the module runs', () => {
    const p = project();
    writeFileSync(
      path.join(p.dir, 'node_modules/fake/index.js'),
      'globalThis.fakeRan = (globalThis.fakeRan ?? 0) + 1;',
    );
    const seen: unknown[] = [];
    requireCached('fake', p.from, p.cache, () => seen.push((globalThis as { fakeRan?: number }).fakeRan));
    expect(seen).toEqual([undefined]);
    expect((globalThis as { fakeRan?: number }).fakeRan).toBe(1);
  });

  it('loads when there is nowhere to keep the cache', async () => {
    const p = project();
    writeFileSync(p.cache, 'a file, not a directory');
    const loaded = load(p);
    await expect(loaded.keep()).resolves.toBeUndefined();
    expect((loaded.exports as Fake).ask('q')).toBe('q: 42');
  });
});

describe('cacheHome', () => {
  it('is $XDG_CACHE_HOME/runbook', () => expect(cacheHome({ XDG_CACHE_HOME: '/c' })).toBe('/c/runbook'));
  it('ignores a relative $XDG_CACHE_HOME', () =>
    expect(cacheHome({ XDG_CACHE_HOME: 'c', HOME: '/h' })).toBe('/h/.cache/runbook'));
  it('defaults to ~/.cache/runbook', () => expect(cacheHome({ HOME: '/h' })).toBe('/h/.cache/runbook'));
});
