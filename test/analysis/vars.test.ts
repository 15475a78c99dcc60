// Which variables steps set and need, with mvdan/sh for bash and acorn for JavaScript.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeJs, analyzeRunbook, analyzeShell } from '../../lib/analysis/analyze.ts';
import { analyzeRunbookCached } from '../../lib/analysis/cache.ts';
import { missingVariables } from '../../lib/analysis/certainty.ts';
import type { Step } from '../../lib/core/types.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';

function step(index: number, code: string, kind: Step['kind'] = 'shell'): Step {
  return {
    index,
    name: `step-${index}`,
    lang: kind === 'js' ? 'js' : 'bash',
    kind,
    line: index * 10,
    code,
    attributes: {},
    prose: '',
    headings: [],
  };
}

describe('analyzeShell', () => {
  it('needs plain, braced, length, array and arithmetic reads, nested in quotes and substitutions', async () => {
    const r = await analyzeShell(
      [
        'echo "$PLAIN ${BRACED}" ${#LENGTH} "${ARRAY[@]}"',
        'echo $((SUM + 1)); ((BARE > 2))',
        'echo "$(echo "$(cat "$NESTED")")" `echo $BACKTICK`',
      ].join('\n'),
    );
    expect(r.needs).toEqual(['PLAIN', 'BRACED', 'LENGTH', 'NESTED', 'BACKTICK']);
    // A whole array and arithmetic are defined for an unset variable: not certain needs.
    expect(r.mayNeed).toEqual({ ARRAY: 'array', SUM: 'arithmetic', BARE: 'arithmetic' });
    expect(r.sets).toEqual([]);
    expect(r.error).toBeUndefined();
  });

  it('does not need reads with a default, loop variables, same-step assignments or shell variables', async () => {
    const r = await analyzeShell(
      [
        'echo ${A:-a} ${B-b} ${C:+c} ${D+d} ${E:=e} ${F=f}',
        'for host in one two; do echo "$host"; done',
        'for ((i = 0; i < 3; i++)); do echo $i; done',
        'EARLY=1; echo $EARLY',
        'echo $1 ${10} $@ $* $# $? $$ $! $- $_ $0',
        'echo $HOME $PATH $PWD $USER $RANDOM $SECONDS $LINENO ${BASH_SOURCE[0]} ${PIPESTATUS[@]} $UID $HOSTNAME $IFS',
      ].join('\n'),
    );
    expect(r.needs).toEqual([]);
    expect(r.sets).toEqual(['E', 'F', 'host', 'i', 'EARLY']);
  });

  it('still needs a read before the assignment, and ${X:?} which fails when X is unset', async () => {
    const r = await analyzeShell('echo $LATER; LATER=1\necho ${REQUIRED:?set it}');
    expect(r.needs).toEqual(['LATER', 'REQUIRED']);
    expect(r.sets).toEqual(['LATER']);
  });

  it('sets every way bash assigns, changes or unsets', async () => {
    const r = await analyzeShell(
      [
        'plain=1 arr[2]=x list=(a b) more+=(c)',
        'export EXPORTED=1; declare -A MAP=([k]=v); readonly RO=1; typeset -i NUM=2; export ALREADY',
        'read -r -p "name? " FIRST SECOND; read -a WORDS',
        'printf -v FORMATTED "%05d" 3; mapfile -t LINES < file; readarray -d , FIELDS < file',
        'unset OLD GONE[1]; getopts "ab" OPT',
        '((count++)); let total=count*2; : $((acc += 5))',
      ].join('\n'),
    );
    expect(r.sets).toEqual([
      'plain',
      'arr',
      'list',
      'more',
      'EXPORTED',
      'MAP',
      'RO',
      'NUM',
      'ALREADY',
      'FIRST',
      'SECOND',
      'WORDS',
      'FORMATTED',
      'LINES',
      'FIELDS',
      'OLD',
      'GONE',
      'OPT',
      'count',
      'total',
      'acc',
    ]);
    // count++ and acc += read the old values, which arithmetic takes as 0 when unset.
    expect(r.needs).toEqual([]);
    expect(r.mayNeed).toEqual({ count: 'arithmetic', acc: 'arithmetic' });
  });

  it('sets what declarations the parser reads as commands assign: builtin, command, escaped names', async () => {
    const r = await analyzeShell(
      'builtin export BV=1; command export CV=1; \\export EV=1; b\\uiltin declare -i DV=2; "readonly" RV',
    );
    expect(r.sets).toEqual(['BV', 'CV', 'EV', 'DV', 'RV']);
    expect(r.maySetAny).toBeUndefined();
  });

  it('may set anything where it runs a computed command (a wrapper\'s "$@", $cmd)', async () => {
    expect((await analyzeShell('"$@"')).maySetAny).toBe('a computed command');
    expect((await analyzeShell('cb=setup; $cb')).maySetAny).toBe('a computed command');
    const wrapper = await analyzeShell('retry() { for i in 1 2 3; do "$@" && return 0; done; }');
    expect(wrapper.functions?.retry?.maySetAny).toBe('a computed command');
    expect((await analyzeShell('echo "$@"; x=$("$@")')).maySetAny).toBeUndefined();
  });

  it('takes a read in a branch that may not run as uncertain; a loop body and a condition stay certain', async () => {
    const r = await analyzeShell(
      [
        'if [ "$MODE" = prod ]; then echo "$PROD_URL"; elif [ "$MODE" = x ]; then echo "$X_URL"; else :; fi',
        'case "$KIND" in a) echo "$A_ONLY";; esac',
        'ping -c1 "$HOST" && echo "$UP" || echo "down: $REASON"',
        'for c in 0 1; do echo "$PREFIX-$c"; done',
      ].join('\n'),
    );
    expect(r.needs).toEqual(['KIND', 'HOST', 'PREFIX']);
    expect(r.mayNeed).toEqual({
      MODE: 'test',
      PROD_URL: 'branch',
      X_URL: 'branch',
      A_ONLY: 'branch',
      UP: 'branch',
      REASON: 'branch',
    });
  });

  it('reads here-documents only when their delimiter is unquoted', async () => {
    const r = await analyzeShell(
      'cat <<EOF\n$EXPANDED\nEOF\ncat <<\'EOF\'\n$LITERAL\nEOF\ncat <<"EOF"\n$ALSO\nEOF',
    );
    expect(r.needs).toEqual(['EXPANDED']);
  });

  it('keeps subshell, pipeline and background assignments out of the step', async () => {
    const r = await analyzeShell(
      '( SUB=1; echo $SUB ); echo a | read PIPED; BG=1 & OUT=$(INNER=1; echo $INNER)\necho $SUB $PIPED',
    );
    expect(r.sets).toEqual(['OUT']);
    expect(r.needs).toEqual(['SUB', 'PIPED']);
  });

  it('reads in function bodies need what neither the step nor the function sets; locals are not sets', async () => {
    const r = await analyzeShell(
      'greet() { local who=$1 tmp; echo "$GREETING $who $LATER $tmp"; RESULT=done; }\nLATER=1\ngreet x',
    );
    expect(r.needs).toEqual(['GREETING']);
    expect(r.sets).toEqual(['LATER', 'RESULT']);
  });

  it('does not count declare -p, unset -f, or names inside single quotes', async () => {
    const r = await analyzeShell("declare -p SHOWN; unset -f somefunc; echo '$QUOTED'; [[ -v MAYBE ]]");
    expect(r.sets).toEqual([]);
    expect(r.needs).toEqual([]);
  });

  it('returns an error instead of throwing for code that does not parse', async () => {
    const r = await analyzeShell('echo "unterminated\nX=1');
    expect(r).toMatchObject({ sets: [], needs: [] });
    expect(r.error).toMatch(/line 1:6: .*quote/);
  });
});

describe('analyzeJs', () => {
  it('finds vars assignments, deletions and reads, in order', () => {
    const r = analyzeJs(
      [
        'const ip = vars.SERVER_IP;',
        "const data = JSON.parse(await $`kubectl get svc -o json --context ${vars['CTX']}`);",
        'vars.GATEWAY_IP = data.status.loadBalancer.ingress[0].ip;',
        "vars['PORT'] = String(vars.BASE_PORT + 1);",
        'console.log(vars.GATEWAY_IP);',
        'delete vars.OLD;',
        'vars.COUNT++;',
      ].join('\n'),
    );
    expect(r.sets).toEqual(['GATEWAY_IP', 'PORT', 'OLD', 'COUNT']);
    expect(r.needs).toEqual(['SERVER_IP', 'CTX', 'BASE_PORT', 'COUNT']);
  });

  it('needs destructured names without defaults, not reads that bring a default', () => {
    const r = analyzeJs(
      [
        "const { A, B: b, C = 'c', ...rest } = vars;",
        "const d = vars.D ?? 'd'; const e = vars.E || 'e';",
        "if ('F' in vars) console.log(vars.G?.length);",
        "vars.H ??= 'h';",
        'Object.assign(vars, { I: 1, J: A });',
      ].join('\n'),
    );
    expect(r.needs).toEqual(['A', 'B']);
    // vars.G?.length handles G unset.
    expect(r.mayNeed).toEqual({ G: 'test' });
    expect(r.sets).toEqual(['H', 'I', 'J']);
  });

  it('supports top-level await and return, and reports syntax errors without throwing', () => {
    expect(analyzeJs('await sleep(1); if (vars.X) return; console.log(vars.Y);').needs).toEqual(['Y']);
    const broken = analyzeJs('vars.A = (');
    expect(broken).toMatchObject({ sets: [], needs: [] });
    expect(broken.error).toMatch(/Unexpected token \(1:/);
  });
});

describe('missingVariables', () => {
  const steps = [
    step(1, 'echo "$CLUSTER"; SERVER_IP=10.0.0.1'),
    step(2, 'const ip = vars.SERVER_IP; vars.GATEWAY_URL = `http://${ip}:${vars.PORT}`;', 'js'),
    step(3, 'curl "$GATEWAY_URL" -H "Authorization: $TOKEN"; echo "${OPTIONAL:-none}"'),
    step(4, 'echo "$TOKEN $CLUSTER"'),
  ];

  it('lists each variable once, with every step that needs it and no earlier step sets', async () => {
    const analyses = await analyzeRunbook(steps);
    expect(analyses.map((a) => a.sets)).toEqual([['SERVER_IP'], ['GATEWAY_URL'], [], []]);
    const missing = missingVariables(steps, analyses, new Set(['PORT']));
    expect(missing.map((m) => [m.name, m.steps.map((s) => s.index)])).toEqual([
      ['CLUSTER', [1, 4]],
      ['TOKEN', [3, 4]],
    ]);
  });

  it('reports nothing when the environment or --set provides the rest', async () => {
    const analyses = await analyzeRunbook(steps);
    expect(missingVariables(steps, analyses, new Set(['CLUSTER', 'TOKEN', 'PORT']))).toEqual([]);
  });

  it('does not let a later step satisfy an earlier one', async () => {
    const reordered = [step(1, 'echo $LATE'), step(2, 'LATE=1')];
    const missing = missingVariables(reordered, await analyzeRunbook(reordered), new Set());
    expect(missing.map((m) => m.name)).toEqual(['LATE']);
  });
});

describe('a runbook mixing shell and JavaScript steps', () => {
  const file = path.resolve(import.meta.dirname, '../fixtures/vars/mixed.md');

  it('carries values across kinds, and only the truly missing variable is reported', async () => {
    const { steps } = parseRunbook(readFileSync(file, 'utf8'));
    const analyses = await analyzeRunbook(steps);
    expect(analyses.map(({ sets, needs, mayNeed }) => ({ sets, needs, mayNeed }))).toEqual([
      { sets: ['SERVICE_JSON', 'zone'], needs: [] },
      { sets: ['GATEWAY_URL'], needs: ['SERVICE_JSON'] },
      { sets: ['attempts'], needs: ['GATEWAY_URL', 'API_TOKEN'] },
      { sets: [], needs: ['GATEWAY_URL', 'attempts', 'API_TOKEN'] },
    ]);
    const missing = missingVariables(steps, analyses, new Set(['HOME']));
    expect(missing.map((m) => [m.name, m.steps.map((s) => s.name)])).toEqual([
      ['API_TOKEN', ['call', 'report']],
    ]);
    expect(missingVariables(steps, analyses, new Set(['API_TOKEN']))).toEqual([]);
  });
});

describe('where a variable is read', () => {
  it('is the line of its first read, in shell and in JavaScript', async () => {
    const shell = await analyzeShell('A=1\n\necho "$B" $A\nx=$(( C + 1 ))\necho $B\n');
    expect(shell.readLines).toEqual({ B: 3, C: 4 });
    expect(analyzeJs('const a = 1;\nconsole.log(vars.B);\n\nvars.C += 1;\n').readLines).toEqual({
      B: 2,
      C: 4,
    });
  });
});

describe('where a function reads a variable', () => {
  it('is kept with the function, and the line of its first call with the calling step', async () => {
    const defining = await analyzeShell('f() {\n  local x=1\n  echo "$x $WHO"\n}\n');
    expect(defining.functions?.f?.readLines).toEqual({ WHO: 3 });
    const calling = await analyzeShell('echo start\nf one\nf two\n');
    expect(calling.calls?.map((c) => [c.name, c.line])).toEqual([
      ['f', 2],
      ['f', undefined],
    ]);
  });
});

describe('analyzeRunbookCached', () => {
  it('stores analyses by code hash and reuses them, re-analysing only changed steps', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'runbook-vars-'));
    const cacheFile = path.join(dir, '.runbook', 'analysis-cache.json');
    const first = [step(1, 'A=1'), step(2, 'echo $B')];
    expect(await analyzeRunbookCached(first, cacheFile)).toEqual(await analyzeRunbook(first));
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8'));
    const keys = Object.keys(cache.entries);
    expect(keys).toHaveLength(2);

    // A planted entry proves the cache is read rather than the code parsed again.
    cache.entries[keys[0] as string] = { sets: ['FROM_CACHE'], needs: [] };
    writeFileSync(cacheFile, JSON.stringify(cache));
    const changed = [first[0] as Step, step(2, 'echo $C')];
    const again = await analyzeRunbookCached(changed, cacheFile);
    expect(again).toMatchObject([
      { sets: ['FROM_CACHE'], needs: [] },
      { sets: [], needs: ['C'] },
    ]);
    // Entries of code no longer in the runbook are dropped.
    expect(Object.keys(JSON.parse(readFileSync(cacheFile, 'utf8')).entries)).toHaveLength(2);
  });

  it('ignores a corrupt cache file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'runbook-vars-'));
    const cacheFile = path.join(dir, 'analysis-cache.json');
    writeFileSync(cacheFile, '{not json');
    expect(await analyzeRunbookCached([step(1, 'echo $X')], cacheFile)).toMatchObject([
      { sets: [], needs: ['X'] },
    ]);
  });
});

describe('missingVariables after a step the parser cannot read', () => {
  it('reports nothing after it, since it may set anything', () => {
    const step = (index: number) => ({ index, name: `s${index}` }) as never;
    const found = missingVariables(
      [step(1), step(2), step(3)],
      [
        { sets: [], needs: ['EARLY'] },
        { sets: [], needs: [], error: 'line 1: unexpected token' },
        { sets: [], needs: ['LATE'] },
      ],
      new Set(),
    );
    expect(found.map((m) => m.name)).toEqual(['EARLY']);
  });
});
