// npm run bench [NAME...]: each figure is a ratio against a peer measured in the same run, alternating runs
// so that machine noise hits both sides alike. Goals come from the issues; a missed goal is printed, not
// hidden. With names, only those benches run.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, compare, median, peakRss, ROOT, report, reportRatio, wall, ZX } from './measure.mjs';
import { check, coldList, prompt, twoRunbooks } from './start.mjs';
import { assocArray, bigValue, manySteps, manyVars, namedVars } from './state.mjs';

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
 * runbook serve with a page open while a step prints 300 MB: the server's peak RSS, for a page that keeps
 * up (acknowledges what it draws) and one that never draws, against the same step under --yes.
 */
async function serveFlood(dir) {
  const { spawn } = await import('node:child_process');
  const { WebSocket } = await import('ws');
  const file = path.join(dir, 'serve-flood.md');
  writeFileSync(file, '# Flood\n\n```bash {name=flood}\nhead -c 225000000 /dev/zero | base64\n```\n');
  const yes = peakRss(process.execPath, [BIN, '--yes', '--no-preflight', file], dir);
  const served = async (acks) => {
    rmSync(path.join(dir, '.runbook'), { recursive: true, force: true });
    const child = spawn(process.execPath, [BIN, 'serve', '--no-preflight', file], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    const url = await new Promise((resolve) =>
      child.stdout.on('data', (d) => {
        out += d;
        const m = /http:\/\/\S+\?token=\S+/.exec(out);
        if (m) resolve(new URL(m[0]));
      }),
    );
    const ws = new WebSocket(`ws://${url.host}/live?token=${url.searchParams.get('token')}`);
    const t0 = Date.now();
    await new Promise((resolve) => {
      ws.on('open', () => ws.send(JSON.stringify({ t: 'run', step: 'flood' })));
      ws.on('message', (data, binary) => {
        if (binary) {
          if (acks) ws.send(JSON.stringify({ t: 'ack', bytes: data.length - 5 }));
        } else if (JSON.parse(String(data)).t === 'idle') resolve();
      });
    });
    const ms = Date.now() - t0;
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const peak = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024;
    ws.close();
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('exit', resolve));
    return { peak, ms };
  };
  const keeping = await served(true);
  const stalled = await served(false);
  const worst = Math.max(keeping.peak, stalled.peak);
  report(
    '300 MB output step under serve, peak RSS of the server with a page that keeps up / never draws (--yes on the same file)',
    `${keeping.peak.toFixed(0)} MiB in ${(keeping.ms / 1000).toFixed(1)} s / ${stalled.peak.toFixed(0)} MiB in ${(stalled.ms / 1000).toFixed(1)} s (--yes: ${yes.toFixed(0)} MiB)`,
    '< 2x --yes',
    worst < 2 * yes,
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
const only = process.argv.slice(2);
try {
  const benches = {
    startup,
    cold: () => coldList(dir),
    tworunbooks: () => twoRunbooks(dir),
    check: () => check(dir),
    prompt: () => prompt(dir),
    hundred: () => hundredSteps(dir),
    flood: () => flood(dir),
    serve: () => serveFlood(dir),
    jsstep: () => jsStep(dir),
    vars: () => manyVars(dir),
    named: () => namedVars(dir),
    bigvalue: () => bigValue(dir),
    assoc: () => assocArray(dir),
    steps: () => manySteps(dir),
  };
  for (const [name, fn] of Object.entries(benches)) {
    if (!only.length || only.includes(name)) await fn();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
