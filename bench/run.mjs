// npm run bench: each figure is a ratio against a peer measured in the same run, alternating runs so that
// machine noise hits both sides alike. Goals come from the issues; a missed goal is printed, not hidden.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/runbook.js');
const ZX = path.join(ROOT, 'node_modules/zx/build/cli.js');
const only = process.argv[2];

function wall(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Alternates a and b `n` times and returns both medians. */
function compare(n, a, b) {
  const as = [];
  const bs = [];
  a();
  b();
  for (let i = 0; i < n; i++) {
    as.push(a());
    bs.push(b());
  }
  return { a: median(as), b: median(bs) };
}

function report(name, value, goal, ok) {
  console.log(`${ok ? 'PASS' : 'MISS'}  ${name}: ${value}  (goal: ${goal})`);
}

/** Reports medians `r.a` against `r.b` as a ratio, with `goal` the largest ratio that passes. */
function reportRatio(name, r, goal, digits) {
  const ratio = r.a / r.b;
  const ms = (x) => `${x.toFixed(digits)} ms`;
  report(name, `${ms(r.a)} vs ${ms(r.b)} = ${ratio.toFixed(2)}x`, `<= ${goal}x`, ratio <= goal);
}

function startup() {
  const runbook = path.join(ROOT, 'runbook.md');
  const r = compare(
    21,
    () => wall(process.execPath, [BIN, '--list', runbook]),
    () => wall(process.execPath, ['-e', '0']),
  );
  reportRatio('start-up, runbook --list runbook.md vs node -e 0', r, 1.6, 1);
}

function hundredSteps(dir) {
  const blocks = ['```bash\nV0=0\n```'];
  for (let i = 1; i < 100; i++)
    // No `${`: zx's Markdown mode puts the block inside a JS template literal. Nor a bare read of an unset
    // variable: zx runs with `set -u`, and it carries nothing, so there the previous value is never set.
    blocks.push(
      `\`\`\`bash\n[ -v V${i - 1} ] && V${i}=$((V${i - 1} + 1)) || V${i}=1\necho "step ${i}: $V${i}"\n\`\`\``,
    );
  const file = path.join(dir, 'hundred.md');
  writeFileSync(file, `# Hundred steps\n\n${blocks.join('\n\n')}\n`);
  // 11 alternations: on a small shared machine single runs of either vary by 20% or more.
  const r = compare(
    11,
    () => wall(process.execPath, [BIN, '--yes', '--no-preflight', file], { cwd: dir }),
    () => wall(process.execPath, [ZX, '--verbose', file], { cwd: dir }),
  );
  reportRatio('100 steps, runbook --yes vs zx --verbose (markdown mode)', r, 0.8, 0);
}

/** Peak RSS in MiB of a command, from GNU time's maximum resident set size. */
function peakRss(cmd, args, cwd) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const kb = Number(r.stderr.trim().split('\n').at(-1));
  return kb / 1024;
}

function flood(dir) {
  const file = path.join(dir, 'flood.md');
  writeFileSync(file, '# Flood\n\n```bash\nhead -c 225000000 /dev/zero | base64\n```\n');
  const ours = peakRss(process.execPath, [BIN, '--yes', '--no-preflight', file], dir);
  const zx = peakRss(process.execPath, [ZX, file], dir);
  report(
    '300 MB output step, peak RSS of the runner (zx markdown mode on the same file)',
    `${ours.toFixed(0)} MiB (zx: ${zx.toFixed(0)} MiB)`,
    '< 100 MiB',
    ours < 100,
  );
}

/**
 * What running a step as JavaScript costs: 20 zx steps (each its own Node process) against the same work as
 * 20 bash steps, per step, next to what starting Node at all costs.
 */
function jsStep(dir) {
  const n = 20;
  const js = ['```bash\nV0=0\n```'];
  const sh = ['```bash\nV0=0\n```'];
  for (let i = 1; i <= n; i++) {
    js.push(
      `\`\`\`js\nvars.V${i} = Number(vars.V${i - 1}) + 1;\nawait $\`echo "step ${i}: $V${i}"\`;\n\`\`\``,
    );
    sh.push(`\`\`\`bash\nV${i}=$((V${i - 1} + 1))\necho "step ${i}: $V${i}"\n\`\`\``);
  }
  const jsFile = path.join(dir, 'js-steps.md');
  const shFile = path.join(dir, 'sh-steps.md');
  writeFileSync(jsFile, `# JS steps\n\n${js.join('\n\n')}\n`);
  writeFileSync(shFile, `# Shell steps\n\n${sh.join('\n\n')}\n`);
  const runs = compare(
    5,
    () => wall(process.execPath, [BIN, '--yes', '--no-preflight', jsFile], { cwd: dir }),
    () => wall(process.execPath, [BIN, '--yes', '--no-preflight', shFile], { cwd: dir }),
  );
  const node = median(Array.from({ length: 11 }, () => wall(process.execPath, ['-e', '0'])));
  const perStep = (runs.a - runs.b) / n;
  const ratio = perStep / node;
  report(
    `JS step cost, ${n} zx steps vs ${n} bash steps, extra per step vs node -e 0`,
    `${runs.a.toFixed(0)} ms vs ${runs.b.toFixed(0)} ms = +${perStep.toFixed(1)} ms/step = ${ratio.toFixed(2)}x node -e 0 (${node.toFixed(1)} ms)`,
    '<= 1.5x',
    ratio <= 1.5,
  );
}

const dir = mkdtempSync(path.join(tmpdir(), 'runbook-bench-'));
mkdirSync(dir, { recursive: true });
try {
  const benches = {
    startup,
    hundred: () => hundredSteps(dir),
    flood: () => flood(dir),
    jsstep: () => jsStep(dir),
  };
  for (const [name, fn] of Object.entries(benches)) {
    if (!only || only === name) fn();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
