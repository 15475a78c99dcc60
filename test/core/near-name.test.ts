// The known name a typo meant, or none.
import { describe, expect, it } from 'vitest';
import { nearestName } from '../../lib/core/near-name.ts';

describe('nearestName', () => {
  it.each([
    ['timout', ['timeout', 'retries'], 'timeout'],
    ['secret', ['secrets', 'shell'], 'secrets'],
    ['Retries', ['timeout', 'retries'], 'retries'],
    ['cwdd', ['cwd'], 'cwd'],
    ['author', ['title', 'cwd', 'shell', 'secrets'], undefined],
    ['cwd', ['cwd'], undefined],
    ['xy', ['title'], undefined],
  ])('%s among %j: %s', (name, known, expected) => {
    expect(nearestName(name, known)).toBe(expected);
  });
});
