// The step server's protocol, driven directly: real bash, the script as the runner writes it, the command
// and event pipes as the runner uses them. The runner's own handling is tested end to end elsewhere.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { EventReader } from '../../lib/shell/events.ts';
import { SERVER } from '../../lib/shell/server-script.ts';

interface Harness {
  dir: string;
  child: ChildProcess;
  events: EventReader;
  commands: Writable;
  stdout: () => string;
  /** The next "TOKEN exit STATUS LEFT" the server reports at the end of a step's stdout. */
  report: () => Promise<string>;
}

const started: Harness[] = [];

function startServer(): Harness {
  const dir = mkdtempSync(path.join(tmpdir(), 'runbook-server-test-'));
  writeFileSync(path.join(dir, 'server.sh'), SERVER);
  writeFileSync(path.join(dir, 'cwd.in'), dir);
  const child = spawn('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', 'server.sh'], {
    cwd: dir,
    env: { ...process.env, __RB_DIR: dir, __RB_NONCE: 'test' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let reported = 0;
  child.stdout?.on('data', (d) => {
    out += d;
  });
  // The marker "0" says the server is up; the others end a step.
  const reports = () =>
    [...out.matchAll(/\0RBSYNCtest([^\0]*)\0/g)].map((m) => m[1] as string).filter((r) => r !== '0');
  const h = {
    dir,
    child,
    events: new EventReader(child.stdio[4] as Readable),
    commands: child.stdio[3] as Writable,
    stdout: () => out.replace(/\0RBSYNCtest[^\0]*\0/g, ''),
    report: async () => {
      while (reports().length <= reported) await new Promise((r) => setTimeout(r, 5));
      return reports()[reported++] as string;
    },
  };
  started.push(h);
  return h;
}

afterEach(() => {
  for (const h of started.splice(0)) {
    h.commands.destroy();
    h.child.kill('SIGKILL');
    rmSync(h.dir, { recursive: true, force: true });
  }
});

function step(h: Harness, token: number, code: string, list = ''): void {
  writeFileSync(path.join(h.dir, `step${token}.sh`), code);
  const command = `run ${token} step${token}.sh${list ? ` ${list}` : ''}`;
  h.commands.write(`${String(command.length).padStart(4, '0')}${command}`);
}

const readyPid = async (h: Harness) => {
  const event = await h.events.next();
  expect(event).toMatch(/^ready \d+$/);
  return Number((event as string).slice(6));
};

/**
 * The snapshot's fields after the shell options: variables, functions, token, directory, listed, umask,
 * then the positional parameters (counted) and the directory stack.
 */
const snapFields = (h: { dir: string }) =>
  readFileSync(path.join(h.dir, 'snap'), 'utf8').split('\0').slice(1);

describe('step server', () => {
  it('reports its own state, then a waiting subshell, then each step with its snapshot', async () => {
    const h = startServer();
    expect(await h.events.next()).toMatch(/^snap 0 \d+ \d+$/);
    const [options, ...fields] = readFileSync(path.join(h.dir, 'snap'), 'utf8').split('\0');
    // The shell options come first, as bash lists them.
    expect(options).toMatch(/^shopt -[su] extglob$/m);
    expect(options).toMatch(/^set [-+]o nounset$/m);
    expect(fields.slice(2)).toEqual([
      '0',
      h.dir,
      'vf',
      `${(process.umask() & 0o777).toString(8).padStart(4, '0')}\n`,
      // No positional parameters, and no directory stack below the directory.
      '0',
      '',
    ]);
    await readyPid(h);
    step(h, 1, 'GREETING=hello\necho "$GREETING"\n');
    expect(await h.report()).toBe('1 exit 0 0');
    expect(readFileSync(path.join(h.dir, 'snap'), 'utf8')).toContain('declare -- GREETING="hello"');
    expect(h.stdout()).toBe('hello\n');
    await readyPid(h);
  });

  it('passes over the command of a subshell that was ended before it read it', async () => {
    const h = startServer();
    await h.events.next();
    process.kill(await readyPid(h), 'SIGTERM');
    expect(await h.report()).toBe('1 exit 143 0');
    await readyPid(h);
    step(h, 1, 'echo stale\n');
    step(h, 2, 'echo current\n');
    expect(await h.report()).toBe('2 exit 0 0');
    expect(h.stdout()).toBe('current\n');
    expect(snapFields(h)[2]).toBe('2');
  });

  it('tells a step that exits 198 from the runner leaving, and ends when the command pipe closes', async () => {
    const h = startServer();
    await h.events.next();
    await readyPid(h);
    step(h, 1, 'exit 198\n');
    expect(await h.report()).toBe('1 exit 198 0');
    const standby = await readyPid(h);
    const ended = new Promise((resolve) => h.child.on('exit', resolve));
    h.commands.end();
    expect(await ended).toBe(0);
    expect(() => process.kill(standby, 0)).toThrow();
  });

  it('lists only the names it is given, and the functions only when asked', async () => {
    const h = startServer();
    await h.events.next();
    await readyPid(h);
    writeFileSync(path.join(h.dir, 'names.in'), '-\nKEPT\nGONE\n');
    step(h, 1, 'KEPT=1; OTHER=2; f() { :; }\n', 'names.in');
    expect(await h.report()).toBe('1 exit 0 0');
    const [vars, functions, , , what] = snapFields(h);
    expect([vars, functions, what]).toEqual(['declare -- KEPT="1"\n', '', '']);
    await readyPid(h);
    writeFileSync(path.join(h.dir, 'names.in'), 'f\n');
    step(h, 2, 'g() { :; }\n', 'names.in');
    expect(await h.report()).toBe('2 exit 0 0');
    const fields = snapFields(h);
    expect([fields[0], fields[4]]).toEqual(['', 'f']);
    expect(fields[1]).toContain('g () \n{ \n    :\n}');
  });

  it('lists the names it knows and then only what is new, when told to list everything', async () => {
    const h = startServer();
    await h.events.next();
    await readyPid(h);
    writeFileSync(path.join(h.dir, 'known.in'), 'OLD\nREF\n');
    step(h, 1, 'OLD=1; TARGET=t; declare -n REF=TARGET; NEW=2; readonly OLD\n', '*');
    expect(await h.report()).toBe('1 exit 0 0');
    const [vars = '', , , , what] = snapFields(h);
    expect(what).toBe('vf');
    const lines = vars.split('\n');
    // Known names first; then, with those unset (not the nameref's target), the rest.
    expect(lines.slice(0, 2)).toEqual(['declare -r OLD="1"', 'declare -n REF="TARGET"']);
    expect(lines).toContain('declare -- TARGET="t"');
    expect(lines).toContain('declare -- NEW="2"');
    expect(lines.filter((l) => / OLD=/.test(l))).toHaveLength(2);
  });

  it('says when a step left a job behind in its process group', async () => {
    const h = startServer();
    await h.events.next();
    const pgid = await readyPid(h);
    step(h, 1, 'sleep 30 &\n');
    expect(await h.report()).toBe('1 exit 0 1');
    process.kill(-pgid, 'SIGKILL');
  });
});
