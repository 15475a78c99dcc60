// Shell options as a step leaves them: what carries, and what is the plain shell's.
import { describe, expect, it } from 'vitest';
import { OPTION_LINE, optionChanges, parseOptions } from '../../lib/core/shell-options.ts';

const plain = parseOptions(
  'shopt -u extglob\nshopt -u nullglob\nshopt -s login_shell\nshopt -u extdebug\nset +o nounset\nset -o monitor\nset +o xtrace\nset +o noclobber',
);

describe('shell options', () => {
  it.each([
    ['shopt -s extglob', 'shopt -s extglob'],
    ['shopt -s nullglob\nset -o nounset', 'shopt -s nullglob\nset -o nounset'],
    ['set -o noclobber', 'set -o noclobber'],
    ['shopt -u extglob', ''],
    // Not the runner's to carry: tracing, job control, read-only and function-changing options.
    ['set -o xtrace\nset +o monitor', ''],
    ['shopt -u login_shell\nshopt -s extdebug', ''],
    ['set -o posix', ''],
    ['junk\nshopt -s extglob; rm -rf /', ''],
  ])('%j changes %j', (now, changes) => {
    expect(optionChanges(plain, parseOptions(now))).toBe(changes);
  });

  it.each([
    ['shopt -s extglob', true],
    ['set -o nounset', true],
    ['set +o pipefail', true],
    ['shopt -s extglob; touch x', false],
    ['set -o $(id)', false],
    ['eval x', false],
  ])('%j is an option line: %s', (line, ok) => {
    expect(OPTION_LINE.test(line)).toBe(ok);
  });
});
