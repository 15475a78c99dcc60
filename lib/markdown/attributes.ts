// The info string of a fence: a language word, then optional attributes in braces.
//   ```sh {name=create-cluster timeout=600 title="Create it" skip}
//   ```bash {"name":"create-cluster","excludeFromRunAll":true}      (Runme's JSON form)
import type { AttributeValue, Step } from '../core/types.ts';

export interface InfoString {
  /** Lower-cased language word; '' when the fence has none. */
  lang: string;
  attributes: Record<string, AttributeValue>;
  /** Why the braces could not be read (their attributes are then ignored). */
  problem?: string;
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
  if (close === -1) return { lang, attributes: {}, problem: `no closing } in ${rest}` };
  const inner = rest.slice(1, close);
  const after = rest.slice(close + 1).trim();
  try {
    const attributes = inner.trimStart().startsWith('"') ? fromJson(inner) : fromPairs(inner);
    if (isOn(attributes.excludeFromRunAll)) attributes.skip = true;
    if (after) return { lang, attributes, problem: `unexpected text after the attributes: ${after}` };
    return { lang, attributes };
  } catch (error) {
    return { lang, attributes: {}, problem: `${(error as Error).message} in ${rest.slice(0, close + 1)}` };
  }
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

function fromJson(inner: string): Record<string, AttributeValue> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(`{${inner}}`);
  } catch {
    throw new Error('invalid JSON attributes');
  }
  const attributes: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value === 'string' || typeof value === 'boolean') attributes[key] = value;
    else if (value !== null)
      attributes[key] = typeof value === 'number' ? String(value) : JSON.stringify(value);
  }
  return attributes;
}

// key=value, key="quoted \" value", key='quoted', or a bare flag; separated by spaces or commas.
const PAIR = /^([A-Za-z_][\w.:-]*)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s,"'=}]+)))?/;

function fromPairs(inner: string): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  let rest = inner.trim();
  while (rest) {
    const match = PAIR.exec(rest);
    if (!match) throw new Error(`cannot read attribute at "${rest.split(/\s/)[0]}"`);
    const [whole, key = '', doubleQuoted, singleQuoted, bare] = match;
    const next = rest.slice(whole.length);
    if (next && !/^[\s,]/.test(next)) throw new Error(`cannot read attribute at "${rest.split(/\s/)[0]}"`);
    if (doubleQuoted !== undefined) attributes[key] = doubleQuoted.replace(/\\(.)/g, '$1');
    else attributes[key] = singleQuoted ?? bare ?? true;
    rest = next.replace(/^[\s,]+/, '');
  }
  return attributes;
}

/** A bare flag, or `flag=true`; `flag=false` turns it off. */
export function isFlagSet(step: Pick<Step, 'attributes'>, name: string): boolean {
  return isOn(step.attributes[name]);
}

/** A bare flag or the text `true`; anything else (`false`, absent) is off. */
export function isOn(value: unknown): boolean {
  return value === true || value === 'true';
}
