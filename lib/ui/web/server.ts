// The HTTP side of `runbook serve`, on node:http: the page, its script and style (built into dist/web/ by
// `npm run build`, served from the package, nothing from outside), and the live channel's WebSocket at
// /live (ws). Every request and the channel's handshake pass guard.ts first; nothing else is served.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { InputError } from '../../core/errors.ts';
import { check, type Guard, makeGuard, printedHost, securityHeaders } from './guard.ts';
import { pageHtml } from './page.ts';

/** The most pages open at once: each costs an output window. */
const MAX_PAGES = 16;
/** The close code and reason a page past MAX_PAGES is sent, so it can say why instead of failing blind. */
const TOO_MANY_PAGES = {
  code: 4001,
  reason: `${MAX_PAGES} pages are open on this run already: close one, then reload`,
};

export interface WebServerOptions {
  host: string;
  /** 0: a free one. */
  port: number;
  /** A page opened the live channel. */
  onPage: (ws: WebSocket) => void;
  /** The token, when the caller chooses it (tests); else a random one. */
  token?: string;
}

const ASSETS: Record<string, [string, string]> = {
  '/assets/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/assets/app.css': ['app.css', 'text/css; charset=utf-8'],
};

/** The built page assets, read once; a build without them is the runner's fault, not the runbook's. */
function loadAssets(): Map<string, { body: Buffer; type: string }> {
  const dir = new URL('../../web/', import.meta.url);
  const out = new Map<string, { body: Buffer; type: string }>();
  for (const [route, [file, type]] of Object.entries(ASSETS)) {
    try {
      out.set(route, { body: readFileSync(new URL(file, dir)), type });
    } catch (err) {
      throw new Error(
        `the page's ${file} is missing from the build (npm run build): ${(err as Error).message}`,
      );
    }
  }
  return out;
}

export class WebServer {
  readonly guard: Guard;
  readonly url: string;
  readonly port: number;
  private readonly wss: WebSocketServer;

  private constructor(
    private readonly http: Server,
    private readonly opts: WebServerOptions,
    port: number,
  ) {
    this.port = port;
    this.guard = makeGuard(opts.host, port, opts.token);
    this.url = `http://${printedHost(opts.host)}:${port}/?token=${this.guard.token}`;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024, perMessageDeflate: false });
  }

  static async start(opts: WebServerOptions): Promise<WebServer> {
    const assets = loadAssets();
    const http = createServer();
    const port = await listen(http, opts.host, opts.port);
    const server = new WebServer(http, opts, port);
    http.on('request', (req, res) => server.request(req, res, assets));
    http.on('upgrade', (req, socket, head) => server.upgrade(req, socket, head));
    return server;
  }

  private request(
    req: IncomingMessage,
    res: ServerResponse,
    assets: Map<string, { body: Buffer; type: string }>,
  ): void {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const asset = assets.get(pathname);
    // Only the live channel needs the token: the page is a shell that holds nothing of the runbook's.
    const verdict = check(req, this.guard, true);
    const host = req.headers.host ?? '';
    if (!verdict.ok) {
      res.writeHead(verdict.status, {
        ...securityHeaders(host),
        'content-type': 'text/plain; charset=utf-8',
      });
      res.end(
        `${verdict.status === 403 ? 'Forbidden' : 'Method not allowed'}: ${verdict.why}. Open the URL that runbook serve printed.\n`,
      );
      return;
    }
    if (asset) {
      res.writeHead(200, { ...securityHeaders(host), 'content-type': asset.type });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    if (pathname === '/') {
      const nonce = randomBytes(16).toString('base64');
      res.writeHead(200, { ...securityHeaders(host, nonce), 'content-type': 'text/html; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : pageHtml(nonce));
      return;
    }
    res.writeHead(pathname === '/favicon.ico' ? 204 : 404, securityHeaders(host));
    res.end();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const verdict = check(req, this.guard);
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    if (!verdict.ok) refuse(verdict.status === 403 ? '403 Forbidden' : '405 Method Not Allowed');
    else if (pathname !== '/live') refuse('404 Not Found');
    else {
      const full = this.wss.clients.size >= MAX_PAGES;
      this.wss.handleUpgrade(req, socket, head, (ws) =>
        full ? ws.close(TOO_MANY_PAGES.code, TOO_MANY_PAGES.reason) : this.opts.onPage(ws),
      );
    }
  }

  /** Stops listening and closes every page's channel and connection. */
  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

function listen(http: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'the port is in use'
          : err.code === 'EACCES'
            ? 'permission denied'
            : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND'
              ? 'no such address on this machine'
              : err.message;
      reject(new InputError(`cannot serve on ${host}:${port}: ${why}`));
    });
    http.listen(port, host, () => {
      const address = http.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
