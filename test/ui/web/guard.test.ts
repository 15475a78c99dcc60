// The door of runbook serve, as one-line expectations: which requests are answered, and how.
import { describe, expect, it } from 'vitest';
import { check, makeGuard, printedHost, reachableNames, securityHeaders } from '../../../lib/ui/web/guard.ts';

const guard = makeGuard('127.0.0.1', 4321, 'tok-en');
const url = '/?token=tok-en';
const req = (headers: Record<string, string>, path = url, method = 'GET') => ({ method, url: path, headers });

describe('guard', () => {
  it('answers the page and the live channel with the token in their URL, and sets no cookie', () => {
    expect(check(req({ host: '127.0.0.1:4321' }), guard)).toEqual({ ok: true });
    expect(check(req({ host: 'localhost:4321' }, '/live?token=tok-en'), guard)).toEqual({ ok: true });
  });
  it('refuses a request without the token, or with a wrong one; a cookie is no token', () => {
    expect(check(req({ host: '127.0.0.1:4321' }, '/'), guard)).toMatchObject({
      ok: false,
      status: 403,
      why: 'no token',
    });
    expect(check(req({ host: '127.0.0.1:4321', cookie: 'runbook-4321=tok-en' }, '/'), guard)).toMatchObject({
      status: 403,
    });
    expect(check(req({ host: '127.0.0.1:4321' }, '/?token=nope'), guard)).toMatchObject({
      status: 403,
      why: 'wrong token',
    });
  });
  it('answers the packaged script and style without the token, but never with a wrong one', () => {
    expect(check(req({ host: '127.0.0.1:4321' }, '/assets/app.js'), guard, true)).toEqual({ ok: true });
    expect(check(req({ host: '127.0.0.1:4321' }, '/assets/app.js?token=x'), guard, true)).toMatchObject({
      status: 403,
    });
    expect(check(req({ host: 'evil.example:4321' }, '/assets/app.js'), guard, true)).toMatchObject({
      status: 403,
    });
  });
  it('refuses a foreign Host, as a DNS-rebinding page would send, even with the token', () => {
    expect(check(req({ host: 'evil.example:4321' }), guard)).toMatchObject({
      status: 403,
      why: 'foreign Host',
    });
    expect(check(req({ host: '127.0.0.1:4322' }), guard)).toMatchObject({ status: 403 });
    expect(check(req({}), guard)).toMatchObject({ status: 403 });
  });
  it('refuses a foreign Origin and cross-site fetches', () => {
    const h = { host: '127.0.0.1:4321' };
    expect(check(req({ ...h, origin: 'http://evil.example' }), guard)).toMatchObject({
      status: 403,
      why: 'foreign Origin',
    });
    expect(check(req({ ...h, origin: 'http://127.0.0.1:8080' }), guard)).toMatchObject({ status: 403 });
    expect(check(req({ ...h, origin: 'null' }), guard)).toMatchObject({ status: 403 });
    expect(check(req({ ...h, 'sec-fetch-site': 'same-site' }), guard)).toMatchObject({ status: 403 });
    expect(check(req({ ...h, 'sec-fetch-site': 'cross-site' }), guard)).toMatchObject({ status: 403 });
    expect(
      check(req({ ...h, origin: 'http://127.0.0.1:4321', 'sec-fetch-site': 'same-origin' }), guard),
    ).toEqual({ ok: true });
    expect(check(req({ ...h, 'sec-fetch-site': 'none' }), guard)).toEqual({ ok: true });
  });
  it('serves only GET and HEAD: every action goes over the live channel', () => {
    expect(check(req({ host: '127.0.0.1:4321' }, url, 'POST'), guard)).toMatchObject({ status: 405 });
    expect(check(req({ host: '127.0.0.1:4321' }, url, 'OPTIONS'), guard)).toMatchObject({ status: 405 });
  });
  it('knows the names a server is reached by', () => {
    expect(reachableNames('127.0.0.1').sort()).toEqual(['127.0.0.1', '[::1]', 'localhost']);
    expect(reachableNames('192.168.7.7')).toEqual(['192.168.7.7']);
    expect(reachableNames('0.0.0.0')).toContain('127.0.0.1');
    expect(reachableNames('0.0.0.0')).not.toContain('0.0.0.0');
    expect(makeGuard('::1', 80, 't').hosts.has('[::1]')).toBe(true);
  });
  it('prints a URL a browser can open, and the server answers it', () => {
    for (const bound of ['0.0.0.0', '::', '127.0.0.1', '::1', '192.168.7.7']) {
      const host = printedHost(bound);
      expect(host).not.toMatch(/^(0\.0\.0\.0|\[?::\]?)$/);
      expect(makeGuard(bound, 8080).hosts.has(`${host}:8080`)).toBe(true);
    }
    expect(printedHost('::1')).toBe('[::1]');
  });

  it('sends a policy that lets nothing in from outside', () => {
    const h = securityHeaders('127.0.0.1:4321', 'n0nce');
    expect(h['content-security-policy']).toContain("default-src 'none'");
    expect(h['content-security-policy']).toContain("script-src 'self';");
    expect(h['content-security-policy']).toContain("style-src 'self' 'nonce-n0nce'");
    expect(h['content-security-policy']).toContain("connect-src 'self' ws://127.0.0.1:4321");
    expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(Object.keys(h).some((k) => k.startsWith('access-control'))).toBe(false);
  });
});
