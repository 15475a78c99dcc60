import { describe, expect, it } from 'vitest';
import { describeChanges, diffRunbooks, pairSteps } from '../../lib/engine/step-match.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';

const key = (name: string, hash: string, explicit = false) => ({ name, hash, explicit });
const pairs = (old: ReturnType<typeof key>[], fresh: ReturnType<typeof key>[]) => {
  const p = pairSteps(old, fresh);
  return {
    pairs: fresh.map((n) => p.pairs.get(n)?.name ?? null),
    removed: p.removed.map((o) => o.name),
  };
};
const changes = (before: string, after: string) =>
  describeChanges('runbook.md', diffRunbooks(parseRunbook(before), parseRunbook(after)).changes);

describe('pairing the steps of two versions', () => {
  it('pairs by name and code', () =>
    expect(pairs([key('a', '1'), key('b', '2')], [key('b', '2'), key('a', '1')])).toEqual({
      pairs: ['b', 'a'],
      removed: [],
    }));
  it('pairs a written-out name whatever its code', () =>
    expect(pairs([key('a', '1')], [key('a', '9', true)])).toEqual({ pairs: ['a'], removed: [] }));
  it('pairs by code when a default name shifted', () =>
    expect(pairs([key('h', '1')], [key('h', '9'), key('h-2', '1')])).toEqual({
      pairs: [null, 'h'],
      removed: [],
    }));
  it('pairs by name when the code of a default-named step changed', () =>
    expect(pairs([key('h', '1')], [key('h', '2')])).toEqual({ pairs: ['h'], removed: [] }));
  it('leaves what matches nothing as added and removed', () =>
    expect(pairs([key('a', '1')], [key('b', '2')])).toEqual({ pairs: [null], removed: ['a'] }));
});

describe('what changed in the file', () => {
  const base =
    '# A\n\n```sh {name=one}\necho 1\n```\n\n# B\n\n```sh {name=two}\necho 2\n```\n\n# C\n\n```sh {name=three}\necho 3\n```\n';
  it('names an edited step', () =>
    expect(changes(base, base.replace('echo 2', 'echo two'))).toBe('runbook.md changed: step 2 two edited'));
  it('names an added and a removed step', () =>
    expect(changes(base, `${base.replace(/# B[^#]*/, '')}\n\`\`\`sh {name=four}\necho 4\n\`\`\`\n`)).toBe(
      'runbook.md changed: step 3 four added, step 2 two removed',
    ));
  it('names a renamed heading', () =>
    expect(changes('# Old\n\n```sh\nx\n```\n', '# New\n\n```sh\nx\n```\n')).toBe(
      'runbook.md changed: step 1 old renamed new',
    ));
  it('names prose edits', () =>
    expect(changes(base, base.replace('# C', '# C\n\nMore words.'))).toBe(
      'runbook.md changed: text before step 3 three edited',
    ));
  it('says front matter settings wait for the next run', () =>
    expect(
      changes('---\nshell: bash {0}\n---\n```sh\nx\n```\n', '---\nshell: sh {0}\n---\n```sh\nx\n```\n'),
    ).toBe('runbook.md changed: front matter edited (its settings take effect on the next run)'));
  it('names an edited attribute', () =>
    expect(changes(base, base.replace('{name=one}', '{name=one timeout=5}'))).toBe(
      'runbook.md changed: step 1 one edited',
    ));
  it('keeps a step inserted above others under one heading apart from them', () =>
    expect(changes('# H\n\n```sh\na\n```\n', '# H\n\n```sh\nnew\n```\n\n```sh\na\n```\n')).toBe(
      'runbook.md changed: step 1 h added',
    ));
});
