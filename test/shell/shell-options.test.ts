// End to end, real bash and the built CLI: the shell options a step sets are there in later steps, as
// in one bash script (shopt, set -o), while the shell line's flags hold at the start of every step; a
// failed step's options are not carried; --resume, JavaScript steps and background steps keep them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, scratch } from '../helpers/cli.ts';

const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');
const fence = (code: string, info = 'bash') => `\`\`\`${info}\n${code}\n\`\`\``;
function runbook(dir: string, name: string, blocks: string[], front = ''): string {
  writeFileSync(path.join(dir, `${name}.md`), `${front}# ${name}\n\n${blocks.join('\n\n')}\n`);
  return `${name}.md`;
}
/** Writes which of these options are on to `file`, one `name=on|off` a line. */
const report = (file: string) =>
  [
    `{ for o in extglob nullglob globstar; do shopt -q "$o" && echo "$o=on" || echo "$o=off"; done`,
    `  for o in nounset noclobber errexit; do [[ -o "$o" ]] && echo "$o=on" || echo "$o=off"; done; } > ${file}`,
  ].join('\n');

describe('shell options carried from step to step', { timeout: 60_000 }, () => {
  it('keeps shopt and set -o options a step sets, and parses a later step with them', async () => {
    const dir = scratch();
    mkdirSync(path.join(dir, 'd'));
    for (const f of ['a.txt', 'b.txt', 'c.log']) writeFileSync(path.join(dir, 'd', f), '');
    const file = runbook(dir, 'opts', [
      fence('shopt -s extglob nullglob\nset -o noclobber\nset -u'),
      // Only parses with extglob on: as in one script, the option set earlier holds here.
      fence('files=(d/@(a|b).txt)\nnone=(d/*.nothing)\necho "${#files[@]} ${#none[@]}" > counts.txt'),
      fence(report('after.txt')),
    ]);
    const r = await runCli(['--yes', file], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(read(dir, 'counts.txt')).toBe('2 0\n');
    expect(read(dir, 'after.txt')).toBe(
      'extglob=on\nnullglob=on\nglobstar=off\nnounset=on\nnoclobber=on\nerrexit=on\n',
    );
    // runbook check reads the extended pattern as bash does once extglob is on.
    const check = await runCli(['check', file], { cwd: dir });
    expect(check.stdout).not.toMatch(/syntax/);
  });

  it("holds the shell line's flags at every step's start; what a step turns off otherwise stays off", async () => {
    const dir = scratch();
    const file = runbook(
      dir,
      'flags',
      [fence('set +e\nshopt -s globstar\nset +o noclobber'), fence(report('next.txt'))],
      '---\nshell: bash -e {0}\n---\n',
    );
    const r = await runCli(['--yes', file], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(read(dir, 'next.txt')).toBe(
      'extglob=off\nnullglob=off\nglobstar=on\nnounset=off\nnoclobber=off\nerrexit=on\n',
    );
  });

  it('carries nothing of a failed step; --resume, a JavaScript step and a background step keep the options', async () => {
    const dir = scratch();
    const blocks = [
      fence('shopt -s nullglob\nset -o noclobber'),
      fence('shopt -s globstar\n[ -e go ] || exit 3'),
      fence("vars.SEEN = 'js';", 'js'),
      fence(`${report('bg.txt')}\necho ready\nsleep 30`, 'bash {background ready=ready}'),
      fence(report('last.txt')),
    ];
    const file = runbook(dir, 'resume', blocks);
    const failed = await runCli(['--yes', file], { cwd: dir });
    expect(failed.code).toBe(1);
    // The failed step's globstar is not carried: the record holds step 1's options alone.
    const { context } = JSON.parse(read(dir, '.runbook/resume.state.json'));
    expect(context.options.split('\n')).toEqual(
      expect.arrayContaining(['shopt -s nullglob', 'set -o noclobber']),
    );
    expect(context.options).not.toContain('globstar');
    writeFileSync(path.join(dir, 'go'), '');
    // Resumed from the record: step 1 is not run again, and its options hold.
    const again = await runCli(['--yes', '--resume', file], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    const expected = 'extglob=off\nnullglob=on\nglobstar=on\nnounset=off\nnoclobber=on\nerrexit=on\n';
    expect(read(dir, 'last.txt')).toBe(expected);
    expect(read(dir, 'bg.txt')).toBe(expected);
  });

  it('runs an EXIT trap a step sets when that step ends, after its variables are carried', async () => {
    const dir = scratch();
    const file = runbook(dir, 'traps', [
      fence(
        'work=$(mktemp -d)\ntrap \'rm -rf "$work"; echo "cleaned up"\' EXIT\ntouch "$work/x"\necho "step one"',
      ),
      fence('[ -d "$work" ] && echo "still there" || echo "gone: ${work:+set}"'),
    ]);
    const r = await runCli(['--yes', file], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('step one\ncleaned up\ngone: set\n');
  });
});
