// What a step sets without a plain assignment, and which reads bash defines for an unset variable: the
// analysis may only call a read a certain need when its absence certainly breaks the step.
import { describe, expect, it } from 'vitest';
import { analyzeShell } from '../../lib/analysis/analyze.ts';

/** Certain needs, uncertain reads and sets of one step, in the order they occur. */
async function vars(code: string) {
  const r = await analyzeShell(code);
  return { sets: r.sets, needs: r.needs, mayNeed: Object.keys(r.mayNeed ?? {}) };
}

const sets = async (code: string) => (await analyzeShell(code)).sets;
const needs = async (code: string) => (await analyzeShell(code)).needs;
const mayNeed = async (code: string) => Object.keys((await analyzeShell(code)).mayNeed ?? {});
const maySetAny = async (code: string) => Boolean((await analyzeShell(code)).maySetAny);

describe('sets without a plain assignment', () => {
  it('read, mapfile, printf -v, getopts, wait -p', async () => {
    expect(await sets('read -r FIRST REST <<< "a b"')).toEqual(['FIRST', 'REST']);
    expect(await sets('IFS=, read -ra FIELDS <<< "a,b"')).toEqual(['FIELDS']);
    expect(await sets('read -r <<< x')).toEqual(['REPLY']);
    expect(await sets('read -t 5 -p "? " -n 1 ANSWER')).toEqual(['ANSWER']);
    expect(await sets('mapfile -t LINES < f; readarray -d , -n 3 PARTS < f')).toEqual(['LINES', 'PARTS']);
    expect(await sets('mapfile < f')).toEqual(['MAPFILE']);
    expect(await sets("printf -v STAMP '%05d' 42; printf -v 'PAD[1]' x")).toEqual(['STAMP', 'PAD']);
    expect(await sets('getopts "k:" OPTION')).toEqual(['OPTION']);
    expect(await sets('wait -n -p DONE_PID')).toEqual(['DONE_PID']);
  });

  it('exec {fd}>file and {fd} redirections of any command', async () => {
    expect(await sets('exec {LOG_FD}>"$PWD/fd.log"')).toEqual(['LOG_FD']);
    expect(await sets('exec {IN}<input {OUT}>>log')).toEqual(['IN', 'OUT']);
    expect(await vars('exec {FD}>f; echo x >&"$FD"')).toEqual({ sets: ['FD'], needs: [], mayNeed: [] });
  });

  it('coproc NAME sets NAME and NAME_PID; a bare coproc sets COPROC', async () => {
    expect(await vars('coproc W { cat; }; echo "${W[1]} $W_PID"')).toEqual({
      sets: ['W', 'W_PID'],
      needs: [],
      mayNeed: [],
    });
    expect(await needs('coproc cat; echo "${COPROC[0]} $COPROC_PID"')).toEqual([]);
  });

  it('declare -n: assigning through a nameref sets its target, reading it reads the target', async () => {
    expect(await sets('declare -n REF=TARGET; REF=value')).toEqual(['REF', 'TARGET']);
    expect(await vars('declare -n REF=SOURCE_VAR; echo "$REF"')).toEqual({
      sets: ['REF'],
      needs: ['SOURCE_VAR'],
      mayNeed: [],
    });
  });

  it('a function that assigns through its argument sets what the caller names', async () => {
    expect(await sets('pick() { local -n out=$1; out=x; }; pick CHOSEN')).toEqual(['CHOSEN']);
    expect(await sets('into() { printf -v "$1" %s x; }; into RESULT')).toEqual(['RESULT']);
    expect(await sets('ask() { read -r "$2"; }; ask "q?" ANSWER')).toEqual(['ANSWER']);
  });

  it('export and declare forms, with and without values; local ones only in functions', async () => {
    expect(await sets('export A=1 B=2; export C; declare -x D=1; declare -g E; typeset -i F=1+1')).toEqual([
      'A',
      'B',
      'C',
      'D',
      'E',
      'F',
    ]);
    expect(await sets('readonly R=1; declare -a L=(a); declare -A M=([k]=v); local_at_top=1')).toEqual([
      'R',
      'L',
      'M',
      'local_at_top',
    ]);
    expect(await sets('f() { local x=1; declare y=2; declare -g Z=3; typeset -g W; }; f')).toEqual([
      'Z',
      'W',
    ]);
    expect(await sets('declare -p SHOWN; export -p; declare -f')).toEqual([]);
  });

  it('source, eval and names made at run time may set anything', async () => {
    expect(await maySetAny('source .venv/bin/activate')).toBe(true);
    expect(await maySetAny('. ./env.sh')).toBe(true);
    expect(await maySetAny('builtin source x; command . y')).toBe(true);
    expect(await maySetAny('eval "$(ssh-agent -s)"')).toBe(true);
    expect(await maySetAny('export $(grep -v "^#" .env | xargs)')).toBe(true);
    expect(await maySetAny('declare "$name=$value"')).toBe(true);
    expect(await maySetAny('printf -v "$target" x')).toBe(true);
    expect(await maySetAny('read -r "$field"')).toBe(true);
    expect(await maySetAny('echo source; echo eval; X=1; read -r A')).toBe(false);
  });
});

describe('reads bash defines for an unset variable', () => {
  it('arithmetic, where unset is 0, is never a certain need', async () => {
    expect(await vars('echo $((COUNT + 1)); ((TICKS++)); let TOTAL+=5')).toEqual({
      sets: ['TICKS', 'TOTAL'],
      needs: [],
      mayNeed: ['COUNT', 'TICKS', 'TOTAL'],
    });
    expect(await vars('V1=$((V0 + 1)); echo "$V1"')).toEqual({ sets: ['V1'], needs: [], mayNeed: ['V0'] });
    expect(
      await mayNeed('echo $(( $DOLLAR_IN_ARITH * 2 )); for ((i = START; i < END; i++)); do :; done'),
    ).toEqual(['DOLLAR_IN_ARITH', 'START', 'END']);
    expect(await mayNeed('echo "${S:OFFSET:LEN}"')).toEqual(['OFFSET', 'LEN']);
    // The string being sliced is read as it is.
    expect(await needs('echo "${S:OFFSET:LEN}"')).toEqual(['S']);
  });

  it('tests of whether a variable is set or empty, in [ ], [[ ]] and test', async () => {
    expect(await vars('[ -z "$X" ]; [[ -n ${Y-} ]]; test -n "$Z"; [ "$W" = yes ]')).toEqual({
      sets: [],
      needs: [],
      mayNeed: ['X', 'Y', 'Z', 'W'],
    });
    expect(await vars('[[ -v VERBOSE ]] && echo "$VERBOSE"')).toEqual({
      sets: [],
      needs: [],
      mayNeed: ['VERBOSE'],
    });
  });

  it('a variable the step tests is not a certain need anywhere in that step', async () => {
    expect(await vars('if [[ -n $DEBUG ]]; then echo "debug: $DEBUG"; fi')).toEqual({
      sets: [],
      needs: [],
      mayNeed: ['DEBUG'],
    });
    // ${X:-d} supplies a value where it is; it says nothing of a plain read elsewhere.
    expect(await needs('echo "${PORT:-80}"; curl "localhost:$PORT"')).toEqual(['PORT']);
  });

  it('${X+alt} and ${X:+alt} test whether X is set; ${X:?} certainly needs it', async () => {
    expect(await vars('echo "${FLAG+--flag}" "${OTHER:+--other}"')).toEqual({
      sets: [],
      needs: [],
      mayNeed: ['FLAG', 'OTHER'],
    });
    expect(await needs('echo "${REQUIRED:?set REQUIRED}"')).toEqual(['REQUIRED']);
  });

  it('every read of a step that runs set +u', async () => {
    expect(await vars('set +u\necho "$ANYTHING ${AT_ALL}"')).toEqual({
      sets: [],
      needs: [],
      mayNeed: ['ANYTHING', 'AT_ALL'],
    });
    expect(await needs('echo "$BEFORE"; set +o nounset')).toEqual([]);
    expect(await needs('set -u; echo "$STRICT"')).toEqual(['STRICT']);
  });

  it('"${ARR[@]}" of an unset array is empty, even under set -u', async () => {
    expect(await vars('cmd "${EXTRA_ARGS[@]}" ${MORE[*]}')).toEqual({
      sets: [],
      needs: [],
      mayNeed: ['EXTRA_ARGS', 'MORE'],
    });
    expect(await needs('echo "${ITEMS[0]}"')).toEqual(['ITEMS']);
  });

  it('reads after source or eval in the same step may be what it set', async () => {
    expect(await vars('echo "$BEFORE"; source ./env.sh; echo "$AFTER"')).toEqual({
      sets: [],
      needs: ['BEFORE'],
      mayNeed: ['AFTER'],
    });
    expect(await vars('eval "$SETUP"; echo "$MADE"')).toEqual({
      sets: [],
      needs: ['SETUP'],
      mayNeed: ['MADE'],
    });
    // ${!NAME} reads a variable whose name is known only at run time.
    expect(await vars('echo "${!NAME}"')).toEqual({ sets: [], needs: ['NAME'], mayNeed: [] });
  });
});

describe('function bodies are read where the function is called', () => {
  it('a function only defined reads nothing; called, its reads count at the call', async () => {
    expect(await vars('greet() { echo "$GREETING"; }')).toEqual({ sets: [], needs: [], mayNeed: [] });
    expect(await vars('greet() { echo "$GREETING"; }; GREETING=hi; greet')).toEqual({
      sets: ['GREETING'],
      needs: [],
      mayNeed: [],
    });
    expect(await vars('greet() { echo "$GREETING"; }; greet; GREETING=hi')).toEqual({
      sets: ['GREETING'],
      needs: ['GREETING'],
      mayNeed: [],
    });
  });

  it('a function sets its globals for the step that calls it, and calls others', async () => {
    expect(await sets('f() { RESULT=done; g; }; g() { OTHER=1; }; f')).toEqual(['RESULT', 'OTHER']);
    expect(await sets('f() { RESULT=done; }')).toEqual([]);
    expect(await needs('f() { f; echo "$X"; }; f')).toEqual(['X']);
  });

  it('records what functions read and set, and the calls of functions the step does not define', async () => {
    const r = await analyzeShell('notify() { echo "$WEBHOOK" "$((N + 1))"; STATUS=sent; helper; }');
    expect(r.functions).toEqual({
      notify: {
        needs: ['WEBHOOK'],
        mayNeed: { N: 'arithmetic' },
        sets: ['STATUS'],
        calls: ['helper'],
        readLines: { WEBHOOK: 1, N: 1 },
      },
    });
    const c = await analyzeShell('X=1; notify a b; source f; notify');
    expect(c.calls).toEqual([
      { name: 'notify', args: ['a', 'b'], assignedBefore: ['X'], line: 1 },
      // Later calls of a name only add their arguments and whether they come after a source or eval.
      { name: 'notify', args: [], uncertain: true },
    ]);
  });
});

describe('an analysis parser failure is not a syntax error', () => {
  it('valid bash mvdan/sh cannot read may set anything', async () => {
    const r = await analyzeShell('declare -A M=([a b]=1)');
    expect(r.maySetAny).toBeTruthy();
    expect(r.error).toMatch(/arithmetic/);
  });
});

describe('JavaScript steps', () => {
  it('tests of vars.X make its reads uncertain; computed writes and vars handed on may set anything', async () => {
    const { analyzeJs } = await import('../../lib/analysis/js-vars.ts');
    expect(
      analyzeJs('if (vars.DEBUG) console.log(vars.DEBUG); const n = JSON.parse(vars.CONFIG);'),
    ).toMatchObject({
      sets: [],
      needs: ['CONFIG'],
      mayNeed: { DEBUG: 'test' },
    });
    expect(
      analyzeJs("if (vars.A === undefined || typeof vars.B === 'string' || !vars.C) {}").mayNeed,
    ).toEqual({
      A: 'test',
      B: 'test',
      C: 'test',
    });
    expect(analyzeJs('vars.READY && start(vars.READY); vars?.PLAIN').needs).toEqual(['PLAIN']);
    expect(analyzeJs('for (const k of keys) vars[k] = 1;').maySetAny).toBe('a computed name');
    expect(analyzeJs('setUp(vars);').maySetAny).toBe('vars handed on');
    expect(analyzeJs('const v = vars; v.X = 1;').maySetAny).toBe('vars handed on');
    expect(analyzeJs('vars.X = 1; Object.assign(vars, { Y: 2 });').maySetAny).toBeUndefined();
  });
});
