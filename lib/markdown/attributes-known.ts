// The attributes a step's info string may carry, and what their values must look like.
import { nearestName } from '../core/near-name.ts';
import type { AttributeValue } from '../core/types.ts';
import { readExpect } from './expectation.ts';
import { captureProblem, readReady, stopNames } from './step-options.ts';

/** Attributes this runner acts on. */
export const RUNNER_ATTRIBUTES = [
  'name',
  'timeout',
  'retries',
  'continue-on-error',
  'cwd',
  'skip',
  'ignore',
  'expect',
  'background',
  'ready',
  'stop',
  'capture',
] as const;

/** Runme's cell attributes: accepted so Runme runbooks check clean; this runner ignores most of them. */
export const RUNME_ATTRIBUTES = [
  'id',
  'excludeFromRunAll',
  'interactive',
  'closeTerminalOnSuccess',
  'promptEnv',
  'interpreter',
  'mimeType',
  'terminalRows',
  'category',
] as const;

export const KNOWN_ATTRIBUTES: ReadonlySet<string> = new Set<string>([
  ...RUNNER_ATTRIBUTES,
  ...RUNME_ATTRIBUTES,
]);

export interface AttributeProblem {
  /** '' for attributes that could not be read at all. */
  attribute: string;
  message: string;
  /** The run cannot start (a value it cannot use, or attributes not read); else a warning. */
  error: boolean;
}

function suggestion(name: string): string {
  const near = nearestName(name, KNOWN_ATTRIBUTES);
  return near ? ` (did you mean ${near}?)` : '';
}

const BOOLEAN_TEXT = new Set(['true', 'false']);
/** The longest timeout= a timer can hold, in whole seconds. */
const MAX_TIMEOUT_S = Math.floor((2 ** 31 - 1) / 1000);

function checkValue(name: string, value: AttributeValue): string | undefined {
  const text = typeof value === 'string' ? value.trim() : undefined;
  switch (name) {
    case 'timeout':
      if (text === undefined || text === '' || !(Number(text) > 0) || !Number.isFinite(Number(text))) {
        return `timeout must be a positive number of seconds, got ${describe(value)}`;
      }
      // Node's timers hold at most 2^31-1 ms; a longer one would fire at once.
      if (Number(text) > MAX_TIMEOUT_S)
        return `timeout must be at most ${MAX_TIMEOUT_S} seconds (about 24 days), got ${describe(value)}`;
      return undefined;
    case 'retries':
      if (text === undefined || !/^\d+$/.test(text)) {
        return `retries must be a whole number (0 or more), got ${describe(value)}`;
      }
      return undefined;
    case 'cwd':
    case 'name':
      if (text === undefined || text === '') return `${name} needs a value, like ${name}=...`;
      return undefined;
    case 'expect': {
      const setting = readExpect(value);
      return 'problem' in setting ? setting.problem : undefined;
    }
    case 'ready': {
      const check = readReady(value);
      return 'problem' in check ? check.problem : undefined;
    }
    case 'stop':
      if (stopNames(value).length === 0) return 'stop needs the names of background steps, like stop=server';
      return undefined;
    case 'capture':
      return captureProblem(value);
    case 'continue-on-error':
    case 'skip':
    case 'ignore':
    case 'background':
      if (value !== true && !BOOLEAN_TEXT.has(text ?? '')) {
        return `${name} is a flag: write it bare, or as ${name}=true or ${name}=false; got ${describe(value)}`;
      }
      return undefined;
    default:
      return undefined;
  }
}

function describe(value: AttributeValue): string {
  return value === true ? 'a bare flag' : JSON.stringify(value);
}

/** Unknown attributes (warned about) and values the runner cannot use or could not read (errors). */
export function attributeProblems(
  attributes: Record<string, AttributeValue>,
  unreadable?: string,
): AttributeProblem[] {
  const problems: AttributeProblem[] = [];
  if (unreadable)
    problems.push({ attribute: '', message: `attributes not read: ${unreadable}`, error: true });
  for (const [name, value] of Object.entries(attributes)) {
    if (!KNOWN_ATTRIBUTES.has(name)) {
      problems.push({
        attribute: name,
        message: `unknown attribute ${name}${suggestion(name)}`,
        error: false,
      });
      continue;
    }
    const message = checkValue(name, value);
    if (message) problems.push({ attribute: name, message, error: true });
  }
  return problems;
}
