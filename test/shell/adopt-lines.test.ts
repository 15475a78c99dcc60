import { describe, expect, it } from 'vitest';
import type { CarriedVar } from '../../lib/core/types.ts';
import {
  declareAgain,
  functionNames,
  replaceFunctions,
  unsetLine,
  userFunctions,
} from '../../lib/shell/adopt-lines.ts';

const scalar = (value: string, attrs = ''): CarriedVar => ({ type: 'scalar', attrs, value });
const indexed = (attrs = ''): CarriedVar => ({ type: 'indexed', attrs, value: { 0: 'a' } });

describe('declareAgain', () => {
  it('a new plain scalar as an assignment', () =>
    expect(declareAgain('A', undefined, scalar('1'), 'declare -- A="1"')).toEqual(['A="1"']));
  it('a plain scalar changed in place', () =>
    expect(declareAgain('A', scalar('0'), scalar('1'), 'declare -- A="1"')).toEqual(['A="1"']));
  it('an attribute added: declared again, global', () =>
    expect(declareAgain('A', scalar('1'), scalar('1', 'x'), 'declare -x A="1"')).toEqual([
      'declare -gx A="1"',
    ]));
  it('an attribute taken away: unset first', () =>
    expect(declareAgain('A', scalar('1', 'x'), scalar('1'), 'declare -- A="1"')).toEqual([
      'builtin unset -v A',
      'A="1"',
    ]));
  it('an array become a scalar: unset first', () =>
    expect(declareAgain('A', indexed(), scalar('1'), 'declare -- A="1"')).toEqual([
      'builtin unset -v A',
      'A="1"',
    ]));
  it('readonly dropped', () =>
    expect(declareAgain('R', undefined, scalar('1', 'r'), 'declare -r R="1"')).toEqual(['declare -g R="1"']));
});

describe('unsetLine', () => {
  it('a plain variable', () => expect(unsetLine('A', scalar('1'))).toBe('builtin unset -v A'));
  it('a nameref itself, not its target', () =>
    expect(unsetLine('R', scalar('A', 'n'))).toBe('builtin unset -n R'));
});

describe('functions as declare -f prints them', () => {
  const text = 'f () \n{ \n    echo f\n}\n__rb_end () \n{ \n    :\n}\ng () \n{ \n    echo g\n}';
  it('the runner’s own left out', () => expect(functionNames(userFunctions(text))).toEqual(['f', 'g']));
  it('replaced by another set', () =>
    expect(replaceFunctions('f () \n{ \n    :\n}', 'h () \n{ \n    :\n}')).toEqual([
      'builtin unset -f -- f',
      'h () \n{ \n    :\n}',
    ]));
  it('none to drop', () => expect(replaceFunctions('', '')).toEqual([]));
});
