// What the attributes of background and capturing steps mean: `background`, `ready=`, `stop=`,
// `capture=`. Pure: values in, meanings or the reason they cannot be used out.
import { isIdentifier } from '../core/identifiers.ts';
import { NOT_CARRIED_PATTERN } from '../core/not-carried.ts';
import type { AttributeValue, Step } from '../core/types.ts';
import { isFlagSet } from './attributes.ts';

/** How long a background step may take to be ready when its step says no timeout=. */
export const DEFAULT_READY_TIMEOUT_S = 60;

/**
 * When a background step counts as started: a line of its output matches `pattern`, a TCP connection to
 * host:port is accepted, or a GET of `url` answers 2xx or 3xx. Host, port and URL may name carried
 * variables ($NAME, ${NAME}), filled in when the step starts.
 */
export type ReadyCheck =
  | { kind: 'output'; pattern: string }
  | { kind: 'tcp'; host: string; port: string }
  | { kind: 'http'; url: string };

const VARIABLE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;
const hasVariable = (text: string) => new RegExp(VARIABLE.source).test(text);

function portProblem(port: string): string | undefined {
  if (hasVariable(port)) return undefined;
  const n = Number(port);
  return /^\d+$/.test(port) && n > 0 && n < 65536 ? undefined : `${JSON.stringify(port)} is not a port`;
}

/** Reads `ready=`: tcp:HOST:PORT (or tcp:PORT for localhost), http(s)://..., else a regular expression. */
export function readReady(value: AttributeValue): ReadyCheck | { problem: string } {
  if (typeof value !== 'string' || value.trim() === '') {
    return { problem: 'ready needs a value: a regular expression, tcp:HOST:PORT or http://...' };
  }
  const text = value.trim();
  if (/^tcp:/i.test(text)) {
    const rest = text.slice(4);
    // [::1]:8080, host:8080, or 8080 alone.
    const m = /^(?:\[([^\]]+)\]|([^:]*)):(.+)$/.exec(rest);
    const host = m ? (m[1] ?? m[2] ?? '') : '';
    const port = m ? (m[3] as string) : rest;
    const problem = portProblem(port);
    if (problem || (m && host === '')) {
      return {
        problem: `ready=tcp: takes tcp:HOST:PORT, like tcp:127.0.0.1:8080; ${problem ?? 'the host is empty'}`,
      };
    }
    return { kind: 'tcp', host: host || 'localhost', port };
  }
  if (/^https?:\/\//i.test(text)) {
    if (!hasVariable(text)) {
      try {
        new URL(text);
      } catch {
        return { problem: `ready=${text} is not a URL` };
      }
    }
    return { kind: 'http', url: text };
  }
  try {
    new RegExp(text);
  } catch (err) {
    return { problem: `ready=${text}: ${(err as Error).message}` };
  }
  return { kind: 'output', pattern: text };
}

/** `$NAME` and `${NAME}` replaced by their values (unknown ones by nothing): data, never run as code. */
export function fillVariables(text: string, value: (name: string) => string | undefined): string {
  return text.replace(VARIABLE, (_, braced: string | undefined, bare: string | undefined) => {
    return value((braced ?? bare) as string) ?? '';
  });
}

/** How a ready check reads in messages, with the values it used. */
export function describeReady(check: ReadyCheck): string {
  if (check.kind === 'output') return `a line of its output to match /${check.pattern}/`;
  if (check.kind === 'tcp') return `a connection to ${check.host}:${check.port}`;
  return `${check.url} to answer`;
}

/** The names `stop=` lists, separated by commas or spaces. */
export function stopNames(value: AttributeValue | undefined): string[] {
  if (typeof value !== 'string') return [];
  return value.split(/[\s,]+/).filter(Boolean);
}

export function isBackground(step: Pick<Step, 'attributes'>): boolean {
  return isFlagSet(step, 'background');
}

/** The variable `capture=` names, when the step has a usable one. */
export function captureName(step: Pick<Step, 'attributes'>): string | undefined {
  const name = step.attributes.capture;
  return typeof name === 'string' && captureProblem(name) === undefined ? name.trim() : undefined;
}

/** Why a `capture=` value cannot name the variable, or undefined. */
export function captureProblem(value: AttributeValue): string | undefined {
  const name = typeof value === 'string' ? value.trim() : '';
  if (!isIdentifier(name)) {
    const got = value === true ? 'a bare flag' : JSON.stringify(value);
    return `capture needs a shell variable name, like capture=POD_NAME; got ${got}`;
  }
  if (NOT_CARRIED_PATTERN.test(name))
    return `capture=${name}: bash sets ${name} itself, so it cannot be carried`;
  return undefined;
}
