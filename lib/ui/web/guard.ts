// The door of `runbook serve`: a page that runs shell commands must open only for the person who started
// it. The live channel, which carries the runbook and runs its steps, needs the token in its URL (the page
// takes it from the printed URL into its tab's session storage; never a cookie: a browser sends a host's
// cookies to every port of it, so any other server on 127.0.0.1 would get it); the page's shell, script and
// style hold nothing of the runbook's and need none. Every request needs a Host that is the server's own
// address (DNS rebinding), and no foreign Origin or cross-site fetch (another page in the same browser);
// a wrong token is refused anywhere. Pure: a request's method, URL and headers in, a verdict out.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';

export interface Guard {
  token: string;
  /** `host:port` forms a request may name in Host, lower-case. */
  hosts: Set<string>;
  /** `http://host:port` forms an Origin may have. */
  origins: Set<string>;
}

export interface RequestLike {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
}

export type Verdict = { ok: true } | { ok: false; status: 403 | 405; why: string };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `[::1]` for an IPv6 address, as it goes into a URL or a Host header. */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * The host of the URL serve prints: the bound address, or for a wildcard one that names no machine (a
 * browser cannot open `0.0.0.0`) this machine's loopback address, which the server answers as well.
 */
export function printedHost(bound: string): string {
  if (bound === '0.0.0.0') return '127.0.0.1';
  if (bound === '::' || bound === '[::]') return '[::1]';
  return urlHost(bound);
}

/** The names a browser may use to reach a server bound to `bound` (a wildcard: every local address). */
export function reachableNames(bound: string): string[] {
  const names = new Set<string>([urlHost(bound.toLowerCase())]);
  if (isLoopback(bound) || WILDCARD.has(bound)) {
    for (const n of ['127.0.0.1', 'localhost', '[::1]']) names.add(n);
  }
  if (WILDCARD.has(bound)) {
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) names.add(urlHost(a.address.toLowerCase()));
    }
  }
  for (const w of WILDCARD) names.delete(w);
  return [...names];
}

export function makeGuard(bound: string, port: number, token = randomBytes(32).toString('base64url')): Guard {
  const hosts = new Set<string>();
  for (const name of reachableNames(bound)) {
    hosts.add(`${name}:${port}`);
    // Browsers leave the default port out of Host.
    if (port === 80) hosts.add(name);
  }
  const origins = new Set([...hosts].map((h) => `http://${h}`));
  return { token, hosts, origins };
}

function header(req: RequestLike, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether a request may be answered. `open`: one that needs no token (the page, its script and style). */
export function check(req: RequestLike, guard: Guard, open = false): Verdict {
  const host = header(req, 'host')?.toLowerCase();
  if (!host || !guard.hosts.has(host)) return { ok: false, status: 403, why: 'foreign Host' };
  const origin = header(req, 'origin');
  if (origin !== undefined && !guard.origins.has(origin.toLowerCase())) {
    return { ok: false, status: 403, why: 'foreign Origin' };
  }
  // Another page of the same site (another port of 127.0.0.1 is the same site) or another site.
  const fetchSite = header(req, 'sec-fetch-site');
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    return { ok: false, status: 403, why: `a ${fetchSite} request` };
  }
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405, why: 'only GET is served' };
  const url = new URL(req.url ?? '/', 'http://localhost');
  const token = url.searchParams.get('token') ?? undefined;
  if (token !== undefined && !sameToken(token, guard.token))
    return { ok: false, status: 403, why: 'wrong token' };
  if (token === undefined && !open) return { ok: false, status: 403, why: 'no token' };
  return { ok: true };
}

/** Headers of every answer: nothing from outside, no framing, no sniffing, no caching, no referrer. */
export function securityHeaders(host: string, styleNonce?: string): Record<string, string> {
  const styles = styleNonce ? `'self' 'nonce-${styleNonce}'` : "'self'";
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    `style-src ${styles}`,
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://${host}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}
