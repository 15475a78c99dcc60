// What a bash step can change in its shell: the names the runner asks bash about after it, or "open"
// when only comparing everything is safe.
import { describe, expect, it } from 'vitest';
import { analyzeShell } from '../../lib/analysis/analyze.ts';
import type { StepChanges } from '../../lib/analysis/step-changes.ts';

const changes = async (code: string): Promise<StepChanges | undefined> => (await analyzeShell(code)).changes;
const vars = async (code: string) => {
  const c = await changes(code);
  if (!c || 'open' in c) throw new Error(`open: ${JSON.stringify(c)}`);
  return c.vars;
};
const open = async (code: string) => {
  const c = await changes(code);
  return c !== undefined && 'open' in c;
};

describe('stepChanges: the names a step may change', () => {
  it.each([
    ['shopt -s extglob', true],
    ['set -u', true],
    ['builtin set -o noclobber', true],
    ['f() { shopt -s nullglob; }; f', true],
    ['set', false],
    ['echo set -u', false],
    ['A=1', false],
  ])('%j may change the shell options: %s', async (code, options) => {
    const c = await changes(code);
    if (!c || 'open' in c) throw new Error(`open: ${JSON.stringify(c)}`);
    expect(c.options === true).toBe(options);
  });

  it('finds assignments, appends, elements and declarations', async () => {
    expect(await vars('A=1; B+=x; C[2]=y; D=(a b); E+=(c)')).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(await vars('declare -A M=([k]=v); export P=1 Q; readonly R; local -i S; typeset T')).toEqual([
      'M',
      'P',
      'Q',
      'R',
      'S',
      'T',
    ]);
    expect(await vars('X=1 cmd arg')).toEqual(['X']);
  });

  it('finds what builtins assign through their arguments', async () => {
    expect(await vars('read -r a b; read -ra arr; read; read -p "say" -t 5 c')).toEqual([
      'REPLY',
      'a',
      'arr',
      'b',
      'c',
    ]);
    expect(await vars('mapfile -t lines < f; readarray -d "" parts; mapfile')).toEqual([
      'MAPFILE',
      'lines',
      'parts',
    ]);
    expect(await vars('printf -v out "%s" x; printf -v"in" x; getopts "ab:" opt; wait -p pid')).toEqual([
      'in',
      'opt',
      'out',
      'pid',
    ]);
    expect(await vars('unset -v gone "arr[1]"; unset other')).toEqual(['arr', 'gone', 'other']);
    expect(await vars('builtin declare x=1; command read y')).toEqual(['x', 'y']);
    // Quote removal first, as bash does: an escaped or quoted builtin is the builtin.
    expect(await vars('\\export E=1; b\\uiltin export B=2; "read" R; \\unset U')).toEqual([
      'B',
      'E',
      'R',
      'U',
    ]);
  });

  it('reads a word that expands as an operand where it cannot be an option', async () => {
    expect(await vars('read -r -- line; printf -v out -- "$fmt" x; printf "at $fmt" x')).toEqual([
      'line',
      'out',
    ]);
    expect(await vars("read $'name'")).toEqual(['name']);
  });

  it('finds a subscripted target whose subscript is computed', async () => {
    expect(await vars('printf -v "out[$i]" x; read -r "m[$k]"; unset "a[$j]"')).toEqual(['a', 'm', 'out']);
  });

  it('finds loop variables, arithmetic and default assignments, fd variables and coprocesses', async () => {
    expect(await vars('for f in *; do :; done; select s in a; do break; done')).toEqual(['REPLY', 'f', 's']);
    expect(await vars('for ((i = 0; i < n; i++)); do (( total += i )); done; let j=1')).toEqual([
      'i',
      'j',
      'total',
    ]);
    expect(await vars(': ${D:=x} ${E=y} "${F:-not assigned}"; echo $(( a[k]++ ))')).toEqual(['D', 'E', 'a']);
    expect(await vars('exec {fd}> log; coproc WORKER { cat; }')).toEqual(['WORKER', 'WORKER_PID', 'fd']);
  });

  it('leaves out subshells, substitutions, pipelines and background jobs', async () => {
    expect(await vars('( A=1 ); B=$(C=2; echo); echo x | read D; E=3 &')).toEqual(['B']);
  });

  it('counts a function it defines where the step calls it, and says functions change', async () => {
    const c = await changes('f() { X=1; g; }\ng() { Y=2; }\nh() { Z=3; eval "$1"; }\nf');
    expect(c).toEqual({ vars: ['X', 'Y'], functions: true, calls: ['f', 'g'] });
    expect(await open('h() { eval "$1"; }\nh')).toBe(true);
  });

  it('lists the commands it calls, which may be functions of earlier steps', async () => {
    expect(await changes('kubectl get pods\nhelper arg')).toEqual({
      vars: [],
      functions: false,
      calls: ['helper', 'kubectl'],
    });
  });

  it('adds the target of a nameref it makes from a literal', async () => {
    expect(await vars('declare -n ref=TARGET; ref=1')).toEqual(['TARGET', 'ref']);
  });

  it('says functions may change when it unsets', async () => {
    expect(await changes('unset thing')).toEqual({ vars: ['thing'], functions: true, calls: ['unset'] });
  });

  it('treats EXIT and reset traps as changing nothing carried', async () => {
    expect(await open('trap "rm -f $tmp" EXIT; trap - INT; trap "" TERM; trap -p')).toBe(false);
  });

  it('is open for code it cannot see or names it cannot know', async () => {
    for (const code of [
      'eval "$cmd"',
      'source ./env.sh',
      '. "$HOME/env"',
      'printf -v "$name" x',
      'read -r "$var"',
      'declare "$n=1"',
      'export $VARS',
      'declare -n ref="$1"',
      '"$tool" arg',
      '$cmd',
      'trap "X=1" ERR',
      'shopt -s lastpipe',
      'let "x = 1"',
      ': ${!ref:=v}',
      'enable -f ./x.so x',
      'read $opts x',
      'printf "$fmt" x',
      'mapfile "$@"',
      'unset "${names[@]}"',
    ]) {
      expect([code, await open(code)]).toEqual([code, true]);
    }
  });

  it('is absent when the step does not parse', async () => {
    expect(await changes('if then fi (')).toBeUndefined();
  });
});
