// runbook serve from outside a browser: the URL it prints, the door (token, Host, Origin: 403; no cookie),
// the live channel's handshake, --port, --host, --open, the run lock, and Ctrl-C ending every step tree.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type Served, serve } from '../../helpers/browser.ts';
import { alive, runCli, scratch, startCli, waitFor } from '../../helpers/cli.ts';

const servers: Served[] = [];
async function start(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Served> {
  const s = await serve(args, { cwd, env: { ...process.env, ...env } });
  servers.push(s);
  return s;
}
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so Host and Origin can be anything. */
function get(port: number, pathname: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<Answer>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: pathname, method, headers }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the live channel; resolves with its first message, or the handshake's refusal status. */
function live(s: Served, headers: Record<string, string>, query = '') {
  return new Promise<{ status: number; first?: { t: string; doc?: { title: string } }; ws?: WebSocket }>(
    (resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${s.port}/live${query}`, { headers });
      ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
      ws.on('error', () => resolve({ status: 0 }));
      ws.once('message', (data) => resolve({ status: 101, first: JSON.parse(String(data)), ws }));
    },
  );
}

const host = (s: Served) => `127.0.0.1:${s.port}`;

describe('runbook serve, from outside a browser', { timeout: 60_000 }, () => {
  it('prints a URL on 127.0.0.1 with a token; the page is served at it, and no cookie is set', async () => {
    const s = await start(['page.md'], scratch('web/page.md'));
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{40,}$/);
    expect(s.run.output()).toContain('Web notebook fixture is served at');
    const page = await get(s.port, `/?token=${s.token}`, { host: host(s) });
    expect(page.status).toBe(200);
    // A browser sends a host's cookies to every port of it: another server on 127.0.0.1 would get one.
    expect(page.headers['set-cookie']).toBeUndefined();
    expect(page.body).toContain('<script src="/assets/app.js" defer></script>');
    // The shell holds nothing of the runbook's (its title comes over the live channel).
    expect(page.body).toContain('<title>runbook</title>');
    expect(page.body).not.toContain('Web notebook fixture');
    expect((await get(s.port, '/', { host: host(s) })).status).toBe(200);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toMatch(/default-src 'none'; script-src 'self'; style-src 'self' 'nonce-[^']+'/);
    expect(Object.keys(page.headers).filter((h) => h.startsWith('access-control'))).toEqual([]);
    // The packaged script holds nothing of the runbook's: it needs no token.
    const script = await get(s.port, '/assets/app.js', { host: host(s) });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.headers['set-cookie']).toBeUndefined();
    // Nothing from outside: the bundle names no remote address to load.
    expect(script.body).not.toMatch(/(src|href)\s*=\s*["']https?:/);
    // stdout holds the URL alone (`runbook serve x.md | head -1`); the words around it are on stderr.
    const ended = await s.stop();
    expect(ended.stdout).toBe(`${s.url}\n`);
    expect(ended.stderr).toContain('Web notebook fixture is served at');
  });

  it('answers 403 with a wrong token, a foreign Host or a foreign Origin', async () => {
    const s = await start(['page.md'], scratch('web/page.md'));
    const token = `/?token=${s.token}`;
    const refused = [
      await get(s.port, '/?token=wrong', { host: host(s) }),
      await get(s.port, '/assets/app.js?token=wrong', { host: host(s) }),
      await get(s.port, token, { host: `rebound.example:${s.port}` }),
      await get(s.port, '/assets/app.js', { host: `rebound.example:${s.port}` }),
      await get(s.port, token, { host: host(s), origin: 'http://evil.example' }),
      await get(s.port, token, { host: host(s), 'sec-fetch-site': 'cross-site' }),
      await get(s.port, '/assets/app.js', { host: host(s), 'sec-fetch-site': 'same-site' }),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403, 403]);
    expect(refused[0]?.body).toContain('wrong token');
    const options = await get(s.port, token, { host: host(s), origin: `http://${host(s)}` }, 'OPTIONS');
    expect(options.status).toBe(405);
    expect(Object.keys(options.headers).filter((h) => h.startsWith('access-control'))).toEqual([]);
  });

  it('opens the live channel only with the token and from its own origin', async () => {
    const s = await start(['page.md'], scratch('web/page.md'));
    const origin = `http://${host(s)}`;
    const token = `?token=${s.token}`;
    expect((await live(s, { origin })).status).toBe(403);
    expect((await live(s, { origin, cookie: `runbook-${s.port}=${s.token}` })).status).toBe(403);
    expect((await live(s, { origin }, '?token=wrong')).status).toBe(403);
    expect((await live(s, { origin: 'http://evil.example' }, token)).status).toBe(403);
    expect((await live(s, { origin, host: `rebound.example:${s.port}` }, token)).status).toBe(403);
    const ok = await live(s, { origin }, token);
    expect(ok.status).toBe(101);
    expect(ok.first?.t).toBe('doc');
    expect(ok.first?.doc?.title).toBe('Web notebook fixture');
    ok.ws?.close();
    const noOrigin = await live(s, {}, token);
    expect(noOrigin.status).toBe(101);
    noOrigin.ws?.close();
  });

  it('one run at a time: a second run asked for at once, before the first has started its step, is refused', async () => {
    const dir = scratch('web/twice.md');
    const s = await start(['twice.md'], dir);
    const ok = await live(s, { origin: `http://${host(s)}` }, `?token=${s.token}`);
    const seen: Array<{ t: string; step?: string; text?: string }> = [];
    ok.ws?.on('message', (d) => seen.push(JSON.parse(String(d))));
    // Code the analysis has not seen, so that the first run spends a while reading what it needs; then a
    // double click, and a run of another step, sent together.
    const code = 'echo "a $BASHPID" >> runs.log\nsleep 1 # edited';
    ok.ws?.send(JSON.stringify({ t: 'edit', step: 'a', code }));
    for (const step of ['a', 'a', 'b']) ok.ws?.send(JSON.stringify({ t: 'run', step }));
    await waitFor(() => seen.some((m) => m.t === 'idle'), 20_000, 'the run to end');
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.filter((m) => m.t === 'started').map((m) => m.step)).toEqual(['a']);
    expect(readFileSync(path.join(dir, 'runs.log'), 'utf8').trim().split('\n')).toHaveLength(1);
    const refused = seen.filter(
      (m) => m.t === 'notice' && /^cannot run \w: a is running$/.test(m.text ?? ''),
    );
    expect(refused).toHaveLength(2);
    ok.ws?.close();
  });

  it('--resume makes a value again from an input only once the page has given the input', async () => {
    const dir = scratch('web/resume-inputs.md');
    writeFileSync(path.join(dir, 'fail-once'), '');
    const first = await runCli(['--yes', '--set', 'API_TOKEN=abc', 'resume-inputs.md'], { cwd: dir });
    expect(first.code, first.stderr).toBe(1);
    const s = await start(['--resume', 'resume-inputs.md'], dir);
    const ok = await live(s, { origin: `http://${host(s)}` }, `?token=${s.token}`);
    const seen: Array<{ t: string }> = [];
    ok.ws?.on('message', (d) => seen.push(JSON.parse(String(d))));
    ok.ws?.send(JSON.stringify({ t: 'inputs', values: { API_TOKEN: 'abcdef' } }));
    await waitFor(() => seen.some((m) => m.t === 'doc'), 20_000, 'the inputs to be taken');
    ok.ws?.send(JSON.stringify({ t: 'run', step: 'show' }));
    await waitFor(() => seen.some((m) => m.t === 'idle'), 20_000, 'the step to end');
    // "Bearer abcdef" the first run made with "abc" is made again with the token the page gave.
    expect(readFileSync(path.join(dir, 'log.txt'), 'utf8')).toBe(
      'auth of 10 characters\nauth of 13 characters\n',
    );
    ok.ws?.close();
  });

  it('keys typed while a JavaScript step runs are not kept for the next step that reads', async () => {
    const dir = scratch('web/typed-ahead.md');
    const s = await start(['typed-ahead.md'], dir);
    const ok = await live(s, { origin: `http://${host(s)}` }, `?token=${s.token}`);
    const seen: Array<{ t: string }> = [];
    ok.ws?.on('message', (d) => seen.push(JSON.parse(String(d))));
    ok.ws?.send(JSON.stringify({ t: 'runAll', step: 'wait' }));
    await waitFor(() => seen.some((m) => m.t === 'started'), 10_000, 'the JavaScript step to start');
    ok.ws?.send(JSON.stringify({ t: 'input', data: 'typed-during-js\r' }));
    await waitFor(() => existsSync(path.join(dir, 'log.txt')), 20_000, 'the second step');
    expect(readFileSync(path.join(dir, 'log.txt'), 'utf8')).toBe('got []\n');
    ok.ws?.close();
  });

  it('--port picks the port; a port in use is one line and exit 2', async () => {
    const dir = scratch('web/page.md');
    const first = await start(['page.md'], dir);
    const other = scratch('web/page.md');
    const again = await start(['--port', String(first.port + 1), 'page.md'], other);
    expect(again.port).toBe(first.port + 1);
    const busy = await runCli(['serve', '--port', String(first.port), 'page.md'], {
      cwd: scratch('web/page.md'),
    });
    expect(busy.code).toBe(2);
    expect(busy.stderr).toBe(`runbook: cannot serve on 127.0.0.1:${first.port}: the port is in use\n`);
    const bad = await runCli(['serve', '--port', 'http', 'page.md'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^runbook: --port takes a number from 0 to 65535/);
    const stray = await runCli(['--port', '8080', 'page.md'], { cwd: dir });
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/^runbook: --port goes with serve/);
    const clash = await runCli(['serve', '--yes', 'page.md'], { cwd: dir });
    expect(clash.code).toBe(2);
  });

  it('warns when --host is not a loopback address', async () => {
    const s = await start(['--host', '0.0.0.0', 'page.md'], scratch('web/page.md'));
    // A browser cannot open 0.0.0.0: the URL names the loopback address, which the server answers.
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    await waitFor(() => s.run.output().includes('warning: serving on 0.0.0.0'), 5000, 'the warning');
    // Reached by its loopback name, the page still answers; by a made-up name, not.
    expect((await get(s.port, `/?token=${s.token}`, { host: host(s) })).status).toBe(200);
    expect((await get(s.port, `/?token=${s.token}`, { host: `rebound.example:${s.port}` })).status).toBe(403);
  });

  it('--open starts $BROWSER with the URL', async () => {
    const dir = scratch('web/page.md');
    const browser = path.join(dir, 'browser.sh');
    writeFileSync(browser, `#!/bin/sh\necho "$1" > "${dir}/opened.txt"\n`, { mode: 0o755 });
    const s = await start(['--open', 'page.md'], dir, { BROWSER: browser });
    await waitFor(
      () => {
        try {
          return readFileSync(path.join(dir, 'opened.txt'), 'utf8').trim() === s.url;
        } catch {
          return false;
        }
      },
      10_000,
      'the browser to be opened',
    );
  });

  it('holds the run lock: a terminal run meanwhile is told it is serve, at which address', async () => {
    const dir = scratch('web/page.md');
    const s = await start(['page.md'], dir);
    await waitFor(
      () => readFileSync(path.join(dir, '.runbook/page.lock'), 'utf8').includes('runbook serve on'),
      5000,
      'the lock to name the server',
    );
    const terminal = await runCli(['--yes', 'page.md'], { cwd: dir });
    expect(terminal.code).toBe(2);
    expect(terminal.stderr).toBe(
      `runbook: another run of this runbook (pid ${s.run.child.pid}, runbook serve on http://${host(s)}/) is in progress; wait for it or stop it\n`,
    );
    await s.stop();
    const after = await runCli(['--yes', 'page.md'], { cwd: dir });
    expect(after.code).toBe(0);
  });

  it('is refused while a terminal run of the same runbook holds the lock', async () => {
    const dir = scratch('web/sleep.md');
    const terminal = startCli(['--yes', 'sleep.md'], { cwd: dir });
    try {
      await waitFor(() => existsSync(path.join(dir, 'bg.pid')), 15_000, 'the terminal run to start');
      const refused = await runCli(['serve', 'sleep.md'], { cwd: dir });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(
        `runbook: another run of this runbook (pid ${terminal.child.pid}, runbook --yes) is in progress; wait for it or stop it\n`,
      );
    } finally {
      terminal.child.kill('SIGINT');
      await terminal.done;
    }
  });

  it('Ctrl-C ends the step running from the page with its whole tree, then the server: exit 130', async () => {
    const dir = scratch('web/sleep.md');
    const s = await start(['sleep.md'], dir);
    const ok = await live(s, { origin: `http://${host(s)}` }, `?token=${s.token}`);
    ok.ws?.send(JSON.stringify({ t: 'run', step: 'long' }));
    let bg = 0;
    await waitFor(
      () => {
        try {
          bg = Number(readFileSync(path.join(dir, 'bg.pid'), 'utf8'));
          return bg > 0;
        } catch {
          return false;
        }
      },
      10_000,
      'the step to start its background sleep',
    );
    expect(alive(bg)).toBe(true);
    const r = await s.stop();
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('Ctrl-C: stopping the server');
    expect(alive(bg)).toBe(false);
    await expect(get(s.port, '/', { host: host(s) })).rejects.toThrow(/ECONNREFUSED/);
    const record = JSON.parse(readFileSync(path.join(dir, '.runbook/sleep.state.json'), 'utf8'));
    expect(record.steps[0].status).toBe('interrupted');
  });

  it('Ctrl-C with nothing running stops the server: exit 0', async () => {
    const s = await start(['page.md'], scratch('web/page.md'));
    const r = await s.stop();
    expect(r.code).toBe(0);
  });
});
