// One look at whether a service a background step starts is up: a TCP port that accepts a connection, or
// a URL that answers 2xx or 3xx. Each look is bounded; the caller repeats it until its own deadline.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/** Whether host:port accepts a TCP connection within `timeoutMs`. */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Whether a GET of `url` answers with a 2xx or 3xx status within `timeoutMs` (redirects are not followed:
 * a redirect is an answer). Certificates are not verified: a local server's is often self-signed, and this
 * only asks whether something answers.
 */
export function probeHttp(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve(false);
      return;
    }
    const get = target.protocol === 'https:' ? https.get : http.get;
    const request = get(
      target,
      { timeout: timeoutMs, rejectUnauthorized: false, agent: false },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        resolve(status >= 200 && status < 400);
      },
    );
    request.once('timeout', () => {
      request.destroy();
      resolve(false);
    });
    request.once('error', () => resolve(false));
  });
}
