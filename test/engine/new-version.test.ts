import { describe, expect, it } from 'vitest';
import { placeIn, readVersion } from '../../lib/engine/new-version.ts';
import { diffRunbooks } from '../../lib/engine/step-match.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';

const doc = (...codes: string[]) => `# T\n\n${codes.map((c) => `\`\`\`bash\n${c}\n\`\`\``).join('\n\n')}\n`;
const old = parseRunbook(doc('echo a', 'echo b', 'echo c'));

describe('readVersion', () => {
  it('a good version', async () => expect('fresh' in (await readVersion(doc('echo a'), old))).toBe(true));
  it('no steps', async () =>
    expect(await readVersion('# T\n\nprose\n', old)).toEqual({ why: 'it has no steps' }));
  it('a new unterminated fence', async () =>
    expect(await readVersion(`${doc('echo a')}\n\`\`\`bash\necho b\n`, old)).toEqual({
      why: expect.stringMatching(/^line 7: unterminated code fence/),
    }));
  it('the run’s own check', async () =>
    expect(await readVersion(doc('echo a'), old, () => 'bad attribute')).toEqual({ why: 'bad attribute' }));
});

describe('placeIn', () => {
  const walkOf = (...names: string[]) => new Set(names);
  const place = (
    fresh: ReturnType<typeof parseRunbook>,
    current: number,
    walk: Set<string>,
    edits = new Map(),
  ) => placeIn(fresh, diffRunbooks(old, fresh).oldOf, { current: old.steps[current - 1], walk, edits });
  const all = walkOf(...old.steps.map((s) => s.name));

  it('the current step followed when one is inserted before it', () => {
    expect(place(parseRunbook(doc('echo new', 'echo a', 'echo b', 'echo c')), 2, all).at).toBe(3);
  });
  it('a step inserted inside the walk joins it', () => {
    const fresh = parseRunbook(doc('echo a', 'echo new', 'echo b', 'echo c'));
    expect(place(fresh, 1, all).walk.has(fresh.steps[1]?.name as string)).toBe(true);
  });
  it('a step inserted past the walk’s end stays out', () => {
    const fresh = parseRunbook(doc('echo a', 'echo b', 'echo c', 'echo new'));
    const walk = walkOf(old.steps[0]?.name as string);
    expect(place(fresh, 1, walk).walk.has(fresh.steps[3]?.name as string)).toBe(false);
  });
  it('the current step removed: the walk stays at its place', () => {
    expect(place(parseRunbook(doc('echo a', 'echo c')), 2, all).at).toBe(2);
  });
  it('past the end stays past the end', () => {
    expect(placeIn(old, diffRunbooks(old, old).oldOf, { walk: all, edits: new Map() }).at).toBe(4);
  });
  it('an edit kept while the file’s code is unchanged, dropped when it changed', () => {
    const [a, b] = old.steps.map((s) => s.name) as [string, string];
    const edits = new Map([
      [a, 'echo A'],
      [b, 'echo B'],
    ]);
    const fresh = parseRunbook(doc('echo a', 'echo b2', 'echo c'));
    const kept = place(fresh, 1, all, edits).edits;
    expect([...kept.values()]).toEqual(['echo A']);
  });
});
