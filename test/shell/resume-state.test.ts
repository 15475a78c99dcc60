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
  `declare -p ${NAMES} > state.txt`,
  'set -u; echo "${#E[@]} ${#EMPTY_MAP[@]}" >> state.txt; bash -c \'echo "${LATER-NOTSET}"\' >> state.txt',
  'LATER=now; bash -c \'echo "$LATER"\' >> state.txt',
].join('\n');

describe('--resume brings back what bash held', { timeout: 60_000 }, () => {
  it('empty arrays, variables declared with no value, and bytes that are not UTF-8', async () => {
    const dir = scratch();
    const steps = [SETUP, 'echo two', 'test -e flag', CHECK];
    writeSteps(dir, 'kinds.md', steps);
    writeFileSync(path.join(dir, 'plain.sh'), `${steps.join('\n')}\n`);
    writeFileSync(path.join(dir, 'flag'), '');
    execFileSync('bash', ['plain.sh'], { cwd: dir });
    const expected = readFileSync(path.join(dir, 'state.txt'));
    expect(expected.toString('latin1')).toContain('declare -A CFG=([alpha]="1" [beta]="2" )');

    execFileSync('rm', ['flag', 'state.txt'], { cwd: dir });
    const failed = await runCli(['--yes', 'kinds.md'], { cwd: dir });
    expect(failed.code).toBe(1);
    writeFileSync(path.join(dir, 'flag'), '');
    const resumed = await runCli(['--yes', '--resume', 'kinds.md'], { cwd: dir });
    expect(resumed.stderr).toContain('all 2 steps done');
    expect(readFileSync(path.join(dir, 'state.txt')).toString('latin1')).toBe(expected.toString('latin1'));
  });

  it('the directory stack (pushd in one step, popd in a later one), in the run and after a resume', async () => {
    const dir = scratch();
    const steps = [
      'mkdir -p a/b c "d -x" && pushd a >/dev/null && pushd b >/dev/null && pushd -n "$OLDPWD/../c" >/dev/null',
      'pushd -n "../../d -x" >/dev/null; dirs -v -l > "$TOP/stack.txt"',
      'test -e "$TOP/flag"',
      'popd >/dev/null; popd -n >/dev/null; { pwd; dirs -l -p; } >> "$TOP/stack.txt"',
    ];
    writeSteps(dir, 'stack.md', steps);
    writeFileSync(path.join(dir, 'plain.sh'), `${steps.join('\n')}\n`);
    writeFileSync(path.join(dir, 'flag'), '');
    const env = { ...process.env, TOP: dir };
    execFileSync('bash', ['plain.sh'], { cwd: dir, env });
    const expected = readFileSync(path.join(dir, 'stack.txt'), 'utf8');
    expect(expected.split('\n').length).toBeGreaterThan(6);
    for (const resume of [false, true]) {
      execFileSync('rm', ['-rf', 'stack.txt', 'a', 'c', 'd -x', '.runbook'], { cwd: dir });
      if (resume) {
        execFileSync('rm', ['flag'], { cwd: dir });
        expect((await runCli(['--yes', 'stack.md'], { cwd: dir, env })).code).toBe(1);
        writeFileSync(path.join(dir, 'flag'), '');
      }
      const r = await runCli(['--yes', ...(resume ? ['--resume'] : []), 'stack.md'], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(path.join(dir, 'stack.txt'), 'utf8')).toBe(expected);
    }
  });

  it('the positional parameters (set --, shift), in the run and after a resume', async () => {
    const dir = scratch();
    const steps = [
      'set -- prod "eu west 1" "" -x "$(printf \'a\\nb\')"',
      'printf "[%s]" "$#" "$@" > "$TOP/args.txt"; shift',
      'test -e "$TOP/flag"',
      'set -u; printf "[%s]" "$#" "$1" "${4}" >> "$TOP/args.txt"',
    ];
    writeSteps(dir, 'args.md', steps);
    writeFileSync(path.join(dir, 'plain.sh'), `${steps.join('\n')}\n`);
    writeFileSync(path.join(dir, 'flag'), '');
    const env = { ...process.env, TOP: dir };
    execFileSync('bash', ['plain.sh'], { cwd: dir, env });
    const expected = readFileSync(path.join(dir, 'args.txt'), 'utf8');
    expect(expected).toBe('[5][prod][eu west 1][][-x][a\nb][4][eu west 1][a\nb]');
    for (const resume of [false, true]) {
      execFileSync('rm', ['-rf', 'args.txt', '.runbook'], { cwd: dir });
      if (resume) {
        execFileSync('rm', ['flag'], { cwd: dir });
        expect((await runCli(['--yes', 'args.md'], { cwd: dir, env })).code).toBe(1);
        writeFileSync(path.join(dir, 'flag'), '');
      }
      const r = await runCli(['--yes', ...(resume ? ['--resume'] : []), 'args.md'], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(path.join(dir, 'args.txt'), 'utf8')).toBe(expected);
    }
  });
});
