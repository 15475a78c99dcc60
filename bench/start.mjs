// Start-up: how long before a person sees anything. --list warm and cold (no .runbook/ cache), two runbooks
// of one directory listed in turn, `runbook check` of an unchanged runbook, and the walkthrough's first
// question, each against a peer measured in the same run.
import { copyFileSync, cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BIN, compare, median, ROOT, reportRatio, wall } from './measure.mjs';
import { firstPrompt } from './prompt.mjs';

const node = () => wall(process.execPath, ['-e', '0']);
const list = (file, cwd) => () => wall(process.execPath, [BIN, '--list', file], { cwd });

/** A copy of the shipped runbooks in `dir`, so that their caches are the bench's to remove. */
function shipped(dir) {
  const at = path.join(dir, 'shipped');
  mkdirSync(at, { recursive: true });
  for (const f of ['runbook.md', 'teardown.md']) copyFileSync(path.join(ROOT, f), path.join(at, f));
  cpSync(path.join(ROOT, 'steps'), path.join(at, 'steps'), { recursive: true });
  return at;
}

export function coldList(dir) {
  const at = shipped(dir);
  const cold = () => {
    rmSync(path.join(at, '.runbook'), { recursive: true, force: true });
    return list('runbook.md', at)();
  };
  reportRatio(
    'cold start-up, runbook --list runbook.md with no .runbook/ vs node -e 0',
    compare(11, cold, node),
    3,
    1,
  );
}

export function twoRunbooks(dir) {
  const at = shipped(dir);
  list('runbook.md', at)();
  list('teardown.md', at)();
  const inTurn = () => list('runbook.md', at)() + list('teardown.md', at)();
  const same = () => list('runbook.md', at)() + list('runbook.md', at)();
  reportRatio(
    'runbook.md and teardown.md listed in turn vs runbook.md twice (same directory)',
    compare(11, inTurn, same),
    1.25,
    1,
  );
}

export function check(dir) {
  const at = shipped(dir);
  const checkIt = () => wall(process.execPath, [BIN, 'check', 'runbook.md'], { cwd: at, okCodes: [0, 1] });
  checkIt();
  reportRatio(
    'runbook check runbook.md, unchanged since the last check, vs node -e 0',
    compare(11, checkIt, node),
    2,
    1,
  );
}

export async function prompt(dir) {
  const at = shipped(dir);
  const args = ['--no-preflight', 'runbook.md'];
  await firstPrompt(args, at);
  const prompts = [];
  const lists = [];
  for (let i = 0; i < 11; i++) {
    prompts.push(await firstPrompt(args, at));
    lists.push(list('runbook.md', at)());
  }
  reportRatio(
    "walkthrough's first prompt (real pseudo-terminal, warm cache) vs runbook --list",
    { a: median(prompts), b: median(lists) },
    2.5,
    0,
  );
}
