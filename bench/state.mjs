// Carried state that grows: many variables, one large value, a large associative array, many steps. Each
// against zx's Markdown mode on the same file (which carries nothing), or against a run of the same length
// carrying less. Blocks avoid `${` and backticks: zx's Markdown mode puts each inside a JS template literal.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, compare, peakRss, report, reportRatio, runbookYes, zxMarkdown } from './measure.mjs';

function writeRunbook(dir, name, first, count, step = (i) => `S=${i}\necho "step ${i}"`) {
  const blocks = [`\`\`\`bash\n${first}\n\`\`\``];
  for (let i = 1; i <= count; i++) blocks.push(`\`\`\`bash\n${step(i)}\n\`\`\``);
  const file = path.join(dir, `${name}.md`);
  writeFileSync(file, `# ${name}\n\n${blocks.join('\n\n')}\n`);
  return file;
}

function readRecord(dir, name) {
  const file = path.join(dir, '.runbook', `${name}.state.json`);
  return { size: statSync(file).size, record: JSON.parse(readFileSync(file, 'utf8')) };
}

const rss = (file, dir) => peakRss(process.execPath, [BIN, '--yes', '--no-preflight', file], dir);
const mib = (n) => `${n.toFixed(0)} MiB`;

/** 10,000 variables set by one step (a loop, so no analysis can list them), then 40 trivial steps. */
export function manyVars(dir, vars = 10_000, steps = 40, goal = 1.5) {
  const file = writeRunbook(
    dir,
    `vars-${vars}`,
    `for ((i = 0; i < ${vars}; i++)); do printf -v "V$i" '%s' "value $i"; done`,
    steps,
  );
  const r = compare(5, runbookYes(file, dir), zxMarkdown(file, dir));
  reportRatio(`${vars} variables set in step 1, then ${steps} steps, vs zx`, r, goal);
  report(`  runner peak RSS`, mib(rss(file, dir)));
}

/**
 * The same 10,000 variables assigned by name, which the analysis lists: the step's snapshot asks bash for
 * those names (linear), where a step it cannot pin down makes bash list everything (quadratic in bash).
 */
export function namedVars(dir, vars = 10_000, steps = 40, goal = 1.5) {
  // Short: zx hands the block to bash as one argument, which Linux bounds at 128 KiB.
  const lines = Array.from({ length: vars }, (_, i) => `V${i}=${i}`);
  const file = writeRunbook(dir, `named-${vars}`, lines.join('\n'), steps);
  const r = compare(5, runbookYes(file, dir), zxMarkdown(file, dir));
  reportRatio(`${vars} variables assigned by name in step 1, then ${steps} steps, vs zx`, r, goal);
}

/** One 10 MB value, then 20 steps. */
export function bigValue(dir) {
  const name = 'big-value';
  const file = writeRunbook(dir, name, 'BIG=$(head -c 7500000 /dev/zero | base64 -w0)', 20);
  const r = compare(5, runbookYes(file, dir), zxMarkdown(file, dir));
  reportRatio('a 10 MB value carried through 20 steps, vs zx', r, 2);
  const peak = rss(file, dir);
  report('  runner peak RSS, 10 MB value', mib(peak), '<= 200 MiB', peak <= 200);
  const { size } = readRecord(dir, name);
  // The record is rewritten whole on every save: it must not hold the value itself.
  report(
    '  run record size (rewritten as steps end)',
    `${(size / 1024).toFixed(0)} KiB`,
    '< 1 MiB',
    size < 1 << 20,
  );
}

/** An associative array built by step 1 and never touched again. */
export function assocArray(dir, entries = 10_000, steps = 50) {
  const name = `assoc-${entries}`;
  const file = writeRunbook(
    dir,
    name,
    `declare -A MAP\nfor ((i = 0; i < ${entries}; i++)); do MAP[key$i]="value $i"; done`,
    steps,
  );
  const r = compare(3, runbookYes(file, dir), zxMarkdown(file, dir));
  reportRatio(`associative array of ${entries} entries, then ${steps} steps, vs zx`, r);
  const { size, record } = readRecord(dir, name);
  const recarried = record.steps.slice(1).filter((s) => s.setVars.includes('MAP')).length;
  report(
    `  later steps whose record entry carries the array again (record ${(size / 1024).toFixed(0)} KiB)`,
    String(recarried),
    '0',
    recarried === 0,
  );
  report('  runner peak RSS', mib(rss(file, dir)));
}

/** 2,000 steps each setting a new variable, against 2,000 steps setting the same one: linear, not quadratic. */
export function manySteps(dir, steps = 2000) {
  const fresh = writeRunbook(dir, 'new-each-step', 'N0=0', steps, (i) => `N${i}=${i}`);
  const same = writeRunbook(dir, 'same-each-step', 'N=0', steps, (i) => `N=${i}`);
  const r = compare(2, runbookYes(fresh, dir), runbookYes(same, dir));
  reportRatio(`${steps} steps each setting a new variable vs each setting the same one`, r, 1.3);
}
