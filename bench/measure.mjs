// What every bench shares: wall time of a command, medians of alternating runs, peak memory, and the one-line
// report of a figure against its goal.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const BIN = path.join(ROOT, 'bin/runbook.js');
export const ZX = path.join(ROOT, 'node_modules/zx/build/cli.js');

/** Milliseconds a command takes; it must succeed. */
export function wall(cmd, args, { okCodes = [0], ...opts } = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!okCodes.includes(r.status))
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Alternates a and b `n` times (after one warm-up of each) and returns both medians. */
export function compare(n, a, b) {
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

export function report(name, value, goal, ok) {
  console.log(
    `${ok === undefined ? 'INFO' : ok ? 'PASS' : 'MISS'}  ${name}: ${value}${goal ? `  (goal: ${goal})` : ''}`,
  );
}

/** Reports medians `r.a` against `r.b` as a ratio, with `goal` the largest ratio that passes. */
export function reportRatio(name, r, goal, digits = 0) {
  const ratio = r.a / r.b;
  const ms = (x) => `${x.toFixed(digits)} ms`;
  report(
    name,
    `${ms(r.a)} vs ${ms(r.b)} = ${ratio.toFixed(2)}x`,
    goal && `<= ${goal}x`,
    goal && ratio <= goal,
  );
  return ratio;
}

/** Peak RSS in MiB of a command, from GNU time's maximum resident set size. */
export function peakRss(cmd, args, cwd) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const kb = Number(r.stderr.trim().split('\n').at(-1));
  return kb / 1024;
}

/** Runs the runbook unattended in `dir`. */
export const runbookYes = (file, dir) => () =>
  wall(process.execPath, [BIN, '--yes', '--no-preflight', file], { cwd: dir });

/** zx's Markdown mode on the same file: each block in a bash of its own, nothing carried. */
export const zxMarkdown = (file, dir) => () => wall(process.execPath, [ZX, '--verbose', file], { cwd: dir });
