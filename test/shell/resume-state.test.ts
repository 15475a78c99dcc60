// End to end, real bash and the built CLI: what earlier steps left comes back on --resume exactly as bash
// itself holds it, compared with plain bash running the same blocks as one script. Kinds a record once
// lost: empty arrays (back as declared-only, unset to `set -u`), variables declared with no value yet
// (`declare -A M` then filled by later steps), and values whose bytes are not UTF-8.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, scratch, writeSteps } from '../helpers/cli.ts';

const SETUP = [
  'E=()',
  'declare -A EMPTY_MAP=()',
  'declare -A CFG',
  'declare -i COUNT',
  'export LATER',
  'declare -a LIST',
  'declare -n REF',
  'declare PLAIN_DECLARED',
  "LAT1=$(printf 'caf\\xe9')",
  "RAW=$(printf '\\xff\\xfe\\x80abc\\xc3\\xa9\\xe2\\x82')",
  "MIXED=$(printf 'ok \\xe2\\x82\\xac then \\xe9 end')",
  "declare -A BYTES=([k]=$(printf 'v\\xe9') [$(printf 'k\\xe9')]=x)",
].join('\n');
const NAMES = 'E EMPTY_MAP CFG COUNT LATER LIST REF PLAIN_DECLARED LAT1 RAW MIXED BYTES';
// What bash holds after the later steps fill some in: printed to a file, bytes as they are.
const CHECK = [
  'CFG[alpha]=1; CFG[beta]=2; COUNT="2+3"; LIST+=(x)',
  `declare -p ${NAMES} > "$TOP/state.txt"`,
  'set -u; echo "${#E[@]} ${#EMPTY_MAP[@]}" >> "$TOP/state.txt"; bash -c \'echo "${LATER-NOTSET}"\' >> "$TOP/state.txt"',
  'LATER=now; bash -c \'echo "$LATER"\' >> "$TOP/state.txt"',
].join('\n');

/**
 * Runs `steps` as one plain bash script, then with the runner, straight through and resumed at the step
 * that fails until `$TOP/flag` exists; each writes `out`, which must come out the same, byte for byte.
 * `made`: what the steps make in their directory, removed before each run.
 */
async function sameAsPlainBash(steps: string[], out: string, made: string[] = []): Promise<Buffer> {
  const dir = scratch();
  const all = [steps[0] as string, 'test -e "$TOP/flag"', ...steps.slice(1)];
  writeSteps(dir, 'steps.md', all);
  writeFileSync(path.join(dir, 'plain.sh'), `${all.join('\n')}\n`);
  writeFileSync(path.join(dir, 'flag'), '');
  const env = { ...process.env, TOP: dir };
  execFileSync('bash', ['plain.sh'], { cwd: dir, env });
  const expected = readFileSync(path.join(dir, out));
  for (const resume of [false, true]) {
    execFileSync('rm', ['-rf', out, '.runbook', ...made], { cwd: dir });
    if (resume) {
      execFileSync('rm', ['flag'], { cwd: dir });
      expect((await runCli(['--yes', 'steps.md'], { cwd: dir, env })).code).toBe(1);
      writeFileSync(path.join(dir, 'flag'), '');
    }
    const r = await runCli(['--yes', ...(resume ? ['--resume'] : []), 'steps.md'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, out)).toString('latin1')).toBe(expected.toString('latin1'));
  }
  return expected;
}

describe('--resume brings back what bash held', { timeout: 60_000 }, () => {
  it('empty arrays, variables declared with no value, and bytes that are not UTF-8', async () => {
    const expected = await sameAsPlainBash([SETUP, CHECK], 'state.txt');
    expect(expected.toString('latin1')).toContain('declare -A CFG=([alpha]="1" [beta]="2" )');
  });

  it('the directory stack (pushd in one step, popd in a later one), in the run and after a resume', async () => {
    const steps = [
      'mkdir -p a/b c "d -x" && pushd a >/dev/null && pushd b >/dev/null && pushd -n "$OLDPWD/../c" >/dev/null',
      'pushd -n "../../d -x" >/dev/null; dirs -v -l > "$TOP/stack.txt"',
      'popd >/dev/null; popd -n >/dev/null; { pwd; dirs -l -p; } >> "$TOP/stack.txt"',
    ];
    const expected = await sameAsPlainBash(steps, 'stack.txt', ['a', 'c', 'd -x']);
    expect(expected.toString().split('\n').length).toBeGreaterThan(6);
  });

  it('the positional parameters (set --, shift), in the run and after a resume', async () => {
    const steps = [
      'set -- prod "eu west 1" "" -x "$(printf \'a\\nb\')"',
      'printf "[%s]" "$#" "$@" > "$TOP/args.txt"; shift',
      'set -u; printf "[%s]" "$#" "$1" "${4}" >> "$TOP/args.txt"',
    ];
    const expected = await sameAsPlainBash(steps, 'args.txt');
    expect(expected.toString()).toBe('[5][prod][eu west 1][][-x][a\nb][4][eu west 1][a\nb]');
  });
});
