// The info string of a fence: a language word, then optional attributes in braces.
//   ```sh {name=create-cluster timeout=600 title="Create it" skip}
//   ```bash {"name":"create-cluster","excludeFromRunAll":true}      (Runme's JSON form)
import type { AttributeValue, Step } from '../core/types.ts';

export interface InfoString {
  /** Lower-cased language word; '' when the fence has none. */
  lang: string;
  /** Every attribute that could be read, even where others beside it could not. */
  attributes: Record<string, AttributeValue>;
  /** What in the braces could not be read: a step with such attributes does not run (it may mean skip). */
  problem?: string;
  /** Text after the closing brace: kept out of the attributes, worth a warning. */
  trailing?: string;
}

const ESCAPED_PUNCTUATION = /\\([!-/:-@[-`{-~])/g;

export function parseInfo(info: string): InfoString {
  const trimmed = info.trim();
  const word = /^[^\s{]*/.exec(trimmed)?.[0] ?? '';
  // CommonMark unescapes backslash escapes in the info string.
  const lang = word.replace(ESCAPED_PUNCTUATION, '$1').toLowerCase();
  const rest = trimmed.slice(word.length).trimStart();
  // Words after the language that are not in braces belong to other tools (titles, highlighting).
  if (!rest.startsWith('{')) return { lang, attributes: {} };
  const close = closingBrace(rest);
  const inner = close === -1 ? rest.slice(1) : rest.slice(1, close);
  const after = close === -1 ? '' : rest.slice(close + 1).trim();
  const json = inner.trimStart().startsWith('"');
  const { attributes, unread } = json ? fromJson(inner) : readPairs(inner);
  if (isOn(attributes.excludeFromRunAll)) attributes.skip = true;
  const problems = [...unread];
  if (close === -1) problems.push(`no closing } in ${rest}`);
  else if (unread.length) problems[problems.length - 1] += ` in ${rest.slice(0, close + 1)}`;
  return {
    lang,
    attributes,
    ...(problems.length ? { problem: problems.join(' and ') } : {}),
    ...(after ? { trailing: after } : {}),
  };
}

/** Whether an attribute turns a step off (`skip`, `ignore`, Runme's `excludeFromRunAll`). */
export function isSkipped(attributes: Record<string, AttributeValue>): boolean {
  return isOn(attributes.skip) || isOn(attributes.ignore);
}

/** Index of the `}` matching the `{` at 0, skipping quoted strings and nested braces; -1 if none. */
function closingBrace(text: string): number {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

interface Read {
  attributes: Record<string, AttributeValue>;
  /** Why parts of the braces could not be read. */
  unread: string[];
}

function fromJson(inner: string): Read {
  let parsed: unknown;
  try {
    parsed = JSON.parse(`{${inner}}`);
  } catch {
    return { attributes: {}, unread: ['invalid JSON attributes'] };
  }
  const attributes: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value === 'string' || typeof value === 'boolean') attributes[key] = value;
    else if (value !== null)
      attributes[key] = typeof value === 'number' ? String(value) : JSON.stringify(value);
  }
  return { attributes, unread: [] };
}

// key=value, key="quoted \" value", key='quoted', or a bare flag; separated by spaces or commas.
const PAIR = /^([A-Za-z_][\w.:-]*)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s,"'=}]+)))?/;

/** Each attribute on its own: one that cannot be read is named, and those around it are still read. */
function readPairs(inner: string): Read {
  const attributes: Record<string, AttributeValue> = {};
  const unread: string[] = [];
  let rest = inner.trim();
  while (rest) {
    const match = PAIR.exec(rest);
    const next = match ? rest.slice(match[0].length) : '';
    if (!match || (next && !/^[\s,]/.test(next))) {
      const token = /^\S+/.exec(rest)?.[0] ?? rest;
      unread.push(`cannot read ${token}`);
      rest = rest.slice(token.length).replace(/^[\s,]+/, '');
      continue;
    }
    const [, key = '', doubleQuoted, singleQuoted, bare] = match;
    if (doubleQuoted !== undefined) attributes[key] = doubleQuoted.replace(/\\(.)/g, '$1');
    else attributes[key] = singleQuoted ?? bare ?? true;
    rest = next.replace(/^[\s,]+/, '');
  }
  return { attributes, unread };
}

/** A bare flag, or `flag=true`; `flag=false` turns it off. */
export function isFlagSet(step: Pick<Step, 'attributes'>, name: string): boolean {
  return isOn(step.attributes[name]);
}

/** A bare flag or the text `true`; anything else (`false`, absent) is off. */
export function isOn(value: unknown): boolean {
  return value === true || value === 'true';
}
