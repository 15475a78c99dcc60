// The walkthrough's rendering, kept beside the run record: the prose and code of a runbook that did not
// change come back as the terminal text they were, so a walkthrough's first question is drawn without
// loading marked, marked-terminal and highlight.js (start-up is a measured goal). What the cache lacks is
// rendered here, those modules loaded on first use, and kept for next time. The cache is keyed by the
// renderer's build and the options; a missing, corrupt or unwritable one only means rendering.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { replaceFile } from '../os/replace-file.ts';
import type { Piece, Rendered, RenderOptions } from './text.ts';

type RenderModule = typeof import('./render.ts');

function keyOf(kind: Piece['kind'], text: string, lang?: string): string {
  return kind === 'prose' ? `p\0${text}` : `c\0${lang ?? 'text'}\0${text}`;
}

const keyOfPiece = (piece: Piece) => keyOf(piece.kind, piece.text, piece.lang);

function changedAt(file: string | URL): string {
  try {
    return String(statSync(file).mtimeMs);
  } catch {
    return '-';
  }
}

/** What a rendering depends on besides its text: this renderer's code, the packages it uses, the options. */
function buildKey(opts: RenderOptions): string {
  const require = createRequire(import.meta.url);
  const hash = createHash('sha256').update(JSON.stringify(opts));
  for (const file of [new URL('./render.js', import.meta.url), new URL('./highlight.js', import.meta.url)])
    hash.update(`\0${changedAt(file)}`);
  for (const id of ['marked', 'marked-terminal', 'highlight.js/lib/core']) {
    let file = '-';
    try {
      file = require.resolve(id);
    } catch {
      // Not there: rendering will say so.
    }
    hash.update(`\0${file}\0${changedAt(file)}`);
  }
  return hash.digest('hex');
}

function readKept(file: string, key: string): Map<string, string> {
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { key?: unknown; texts?: unknown };
    if (cached.key === key && Array.isArray(cached.texts)) {
      return new Map(
        cached.texts.filter(
          (e): e is [string, string] =>
            Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'string',
        ),
      );
    }
  } catch {
    // No cache yet, or an unreadable one: render.
  }
  return new Map();
}

export class Renderer {
  /** What the cache file held when the walk started. */
  private readonly kept: Map<string, string>;
  /** Every piece asked for this walk, rendered or being rendered: what the cache keeps next. */
  private readonly texts = new Map<string, Promise<string>>();
  private readonly key: string;
  private local?: Promise<RenderModule>;
  /** How many pieces came from the cache and how many were rendered. */
  readonly count = { cached: 0, rendered: 0 };

  /** `file`: the cache (os/state-dir.ts cacheFile); none renders every time. */
  constructor(
    readonly opts: RenderOptions,
    private readonly file?: string,
  ) {
    this.key = buildKey(opts);
    this.kept = file ? readKept(file, this.key) : new Map();
  }

  /** Starts rendering `pieces` (those not kept), to be ready when they are shown. */
  ahead(pieces: Piece[]): void {
    const missing = new Map<string, Piece>();
    for (const piece of pieces) {
      const key = keyOfPiece(piece);
      if (this.texts.has(key)) continue;
      const kept = this.kept.get(key);
      if (kept !== undefined) {
        this.count.cached++;
        this.texts.set(key, Promise.resolve(kept));
      } else missing.set(key, piece);
    }
    if (missing.size === 0) return;
    const batch = this.renderHere([...missing.values()]);
    [...missing.keys()].forEach((key, i) => {
      const text = batch.then((texts) => texts[i] as string);
      // Rendered ahead, a failure is the view's to report when it is shown, not an unhandled rejection.
      text.catch(() => {});
      this.texts.set(key, text);
    });
  }

  /** `pieces` rendered; the answer gives exactly those. */
  async render(pieces: Piece[]): Promise<Rendered> {
    this.ahead(pieces);
    const done = new Map<string, string>();
    for (const piece of pieces) {
      const key = keyOfPiece(piece);
      done.set(key, await (this.texts.get(key) as Promise<string>));
    }
    const get = (key: string): string => {
      const text = done.get(key);
      if (text === undefined) throw new Error('internal: a view asked for a piece it did not list');
      return text;
    };
    return {
      prose: (text) => get(keyOf('prose', text)),
      code: (text, lang) => get(keyOf('code', text, lang)),
    };
  }

  /**
   * Keeps the renderings of `current` (the runbook's pieces as it is now) that this walk made or the cache
   * had, for the next walk; nothing else, so the cache never outgrows the runbook.
   */
  async save(current: Piece[]): Promise<void> {
    if (!this.file) return;
    const texts = new Map<string, string>();
    for (const piece of current) {
      const key = keyOfPiece(piece);
      const text = await this.texts.get(key)?.catch(() => undefined);
      const kept = text ?? this.kept.get(key);
      if (kept !== undefined) texts.set(key, kept);
    }
    if (texts.size === this.kept.size && [...texts].every(([key, text]) => this.kept.get(key) === text))
      return;
    try {
      await replaceFile(this.file, JSON.stringify({ key: this.key, texts: [...texts] }));
    } catch {
      // A read-only checkout still walks; it renders again next time.
    }
  }

  private async renderHere(pieces: Piece[]): Promise<string[]> {
    this.local ??= import('./render.ts');
    const { renderPiece } = await this.local;
    this.count.rendered += pieces.length;
    return pieces.map((piece) => renderPiece(piece, this.opts));
  }
}
