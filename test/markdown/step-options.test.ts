import { describe, expect, it } from 'vitest';
import {
  captureName,
  captureProblem,
  describeReady,
  fillVariables,
  isBackground,
  readReady,
  stopNames,
} from '../../lib/markdown/step-options.ts';

const problem = (value: string | boolean) => {
  const r = readReady(value);
  return 'problem' in r ? r.problem : undefined;
};

describe('ready=', () => {
  it('reads a regular expression', () =>
    expect(readReady('^Serving HTTP')).toEqual({ kind: 'output', pattern: '^Serving HTTP' }));
  it('refuses a bad regular expression', () =>
    expect(problem('(')).toMatch(/^ready=\(: Invalid regular expression/));
  it('reads tcp:HOST:PORT', () =>
    expect(readReady('tcp:127.0.0.1:8080')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: '8080' }));
  it('reads tcp:PORT as localhost', () =>
    expect(readReady('tcp:8080')).toEqual({ kind: 'tcp', host: 'localhost', port: '8080' }));
  it('reads an IPv6 host in brackets', () =>
    expect(readReady('tcp:[::1]:53')).toEqual({ kind: 'tcp', host: '::1', port: '53' }));
  it('takes variables in host and port', () =>
    expect(readReady('tcp:$HOST:${PORT}')).toEqual({ kind: 'tcp', host: '$HOST', port: '${PORT}' }));
  it('refuses a port that is no number', () =>
    expect(problem('tcp:localhost:http')).toMatch(/"http" is not a port/));
  it('refuses port 0', () => expect(problem('tcp:localhost:0')).toMatch(/is not a port/));
  it('refuses an empty host', () => expect(problem('tcp::80')).toMatch(/the host is empty/));
  it('reads http://', () =>
    expect(readReady('http://127.0.0.1:8000/healthz')).toEqual({
      kind: 'http',
      url: 'http://127.0.0.1:8000/healthz',
    }));
  it('reads https:// in any case', () =>
    expect(readReady('HTTPS://example.test/')).toMatchObject({ kind: 'http' }));
  it('takes variables in a URL', () =>
    expect(readReady('http://localhost:$PORT/')).toEqual({ kind: 'http', url: 'http://localhost:$PORT/' }));
  it('refuses a URL that does not parse', () => expect(problem('http://')).toMatch(/is not a URL/));
  it('refuses a bare flag', () => expect(problem(true)).toMatch(/ready needs a value/));
  it('describes an output check', () =>
    expect(describeReady({ kind: 'output', pattern: 'up' })).toBe('a line of its output to match /up/'));
  it('describes a tcp check', () =>
    expect(describeReady({ kind: 'tcp', host: 'h', port: '1' })).toBe('a connection to h:1'));
  it('describes an http check', () =>
    expect(describeReady({ kind: 'http', url: 'http://x/' })).toBe('http://x/ to answer'));
});

describe('variables in a check', () => {
  const values: Record<string, string> = { PORT: '8080', HOST: 'db' };
  const fill = (t: string) => fillVariables(t, (n) => values[n]);
  it('fills $NAME', () => expect(fill('http://$HOST:$PORT/')).toBe('http://db:8080/'));
  it('fills ${NAME}', () => expect(fill('${HOST}x')).toBe('dbx'));
  it('fills an unknown name with nothing', () => expect(fill('a$NOPE.b')).toBe('a.b'));
  it('never runs what a value holds', () =>
    expect(fillVariables('$X', () => '$(touch y)')).toBe('$(touch y)'));
});

describe('background, stop= and capture=', () => {
  it('background is a flag', () => expect(isBackground({ attributes: { background: true } })).toBe(true));
  it('background=false is off', () =>
    expect(isBackground({ attributes: { background: 'false' } })).toBe(false));
  it('stop= lists names by comma or space', () => expect(stopNames('a,b c')).toEqual(['a', 'b', 'c']));
  it('stop= as a bare flag names nothing', () => expect(stopNames(true)).toEqual([]));
  it('capture= names a variable', () => expect(captureName({ attributes: { capture: 'POD' } })).toBe('POD'));
  it('capture= needs a shell name', () =>
    expect(captureProblem('my-var')).toMatch(/needs a shell variable name/));
  it('capture= refuses a bare flag', () => expect(captureProblem(true)).toMatch(/got a bare flag/));
  it('capture= refuses bash’s own names', () =>
    expect(captureProblem('BASH_REMATCH')).toMatch(/bash sets BASH_REMATCH itself/));
  it('capture= with a bad name captures nothing', () =>
    expect(captureName({ attributes: { capture: '1x' } })).toBeUndefined());
});
