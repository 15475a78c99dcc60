// Keeping secret values out of everything the runner writes: records, previews, summaries.
import type { CarriedVar, Context, FrontMatter } from './types.ts';

export const REDACTED = '****';

/** Words that make a name secret wherever they appear in it: GITHUB_TOKEN, dbPassword, CLIENTSECRET. */
const SECRET_WORDS = ['token', 'secret', 'password', 'passwd', 'passphrase', 'credential'];
/** Words that make a name secret only as a whole part: API_KEY, SSH_KEYS, DB_PASS; not KEYBOARD or MONKEY. */
const SECRET_PARTS = new Set([
  'key',
  'keys',
  'apikey',
  'privatekey',
  'accesskey',
  'secretkey',
  'pass',
  'pat',
]);

const MAY_BE_SECRET = /token|secret|pass|credential|key|pat/;

/** Parts of a name split at `_`, `-`, `.` and camelCase boundaries, lower-cased. */
function nameParts(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[_\-.]+/)
    .filter(Boolean)
    .map((part) => part.toLowerCase());
}

/** Whether a variable's name says its value is secret (TOKEN, SECRET, PASSWORD, KEY, CREDENTIAL...). */
export function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  // Every secret word and part holds one of these: most names are told apart by one test.
  if (!MAY_BE_SECRET.test(lower)) return false;
  if (SECRET_WORDS.some((word) => lower.includes(word))) return true;
  return nameParts(name).some((part) => SECRET_PARTS.has(part));
}

/** The test the runner uses for a name: secret-looking, or listed in front matter `secrets:`. */
export function makeSecretTest(frontMatterSecrets: string[] = []): (name: string) => boolean {
  const listed = new Set(frontMatterSecrets);
  // Asked for every variable after every step: remember the answers.
  const known = new Map<string, boolean>();
  return (name) => {
    let secret = known.get(name);
    if (secret === undefined) {
      secret = listed.has(name) || isSecretName(name);
      known.set(name, secret);
    }
    return secret;
  };
}

export function valuesOf(variable: CarriedVar): string[] {
  return variable.type === 'scalar' ? [variable.value] : Object.values(variable.value);
}

/** Shorter values would blank out ordinary text everywhere; they are only hidden where a text is exactly them. */
const MIN_EMBEDDED = 3;
/** A multi-line secret's lines are hidden one by one too (output may show only part), when this long. */
const MIN_LINE = 8;
/** A text that starts mid-secret (an output tail cut inside it) has that rest hidden when this long. */
const MIN_CUT = 4;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The strings to hide for one secret value: itself, its CRLF form (terminals) and its longer lines. */
function needles(value: string): string[] {
  const found = [value];
  if (value.includes('\n')) {
    found.push(value.replace(/\r?\n/g, '\r\n'));
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= MIN_LINE) found.push(line);
  }
  return found;
}

/** Replaces secret values in arbitrary text; built from a list of values. */
export function redactorFor(values: Iterable<string>): (text: string) => string {
  const all = new Set<string>();
  const whole = new Set<string>();
  for (const value of values) {
    if (value.length === 0) continue;
    if (value.length < MIN_EMBEDDED) whole.add(value);
    else for (const needle of needles(value)) all.add(needle);
  }
  // Longest first, so a secret containing another is hidden whole.
  const sorted = [...all].sort((a, b) => b.length - a.length);
  const pattern = sorted.length > 0 ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : undefined;
  return (text) => {
    if (whole.has(text) || all.has(text)) return REDACTED;
    let result = pattern ? text.replace(pattern, REDACTED) : text;
    for (const value of sorted) result = hideCutEnds(result, value);
    return result;
  };
}

/** An output tail may begin inside a secret, or a text end inside one: hide the fragment. */
function hideCutEnds(text: string, value: string): string {
  let result = text;
  if (result.length < MIN_CUT) return result;
  // The longest proper suffix of value that starts the text.
  const head = result.slice(0, MIN_CUT);
  for (let i = value.indexOf(head, 1); i > 0; i = value.indexOf(head, i + 1)) {
    const rest = value.slice(i);
    if (result.startsWith(rest)) {
      result = REDACTED + result.slice(rest.length);
      break;
    }
  }
  // The longest proper prefix of value that ends the text.
  const tail = result.slice(-MIN_CUT);
  for (
    let i = value.lastIndexOf(tail, value.length - MIN_CUT - 1);
    i >= 0;
    i = value.lastIndexOf(tail, i - 1)
  ) {
    const start = value.slice(0, i + MIN_CUT);
    if (start.length < value.length && result.endsWith(start)) {
      result = result.slice(0, result.length - start.length) + REDACTED;
      break;
    }
    if (i === 0) break;
  }
  return result;
}

/** The values to hide: secret variables of the context (array elements too) and of `env`. */
export function secretValues(
  context: Context,
  isSecret: (name: string) => boolean,
  env: Record<string, string | undefined> = {},
): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && isSecret(name) && !(name in context.vars)) values.push(value);
  }
  for (const [name, variable] of Object.entries(context.vars)) {
    if (isSecret(name)) values.push(...valuesOf(variable));
  }
  return values;
}

/**
 * Redactors for lists of secret values, built again only when the list changes: most steps change no
 * secret, and a redactor compiles a pattern.
 */
export function redactorCache(): (values: string[]) => (text: string) => string {
  let lastKey: string | undefined;
  let redact: (text: string) => string = (text) => text;
  return (values) => {
    const key = JSON.stringify(values);
    if (key !== lastKey) {
      lastKey = key;
      redact = redactorFor(values);
    }
    return redact;
  };
}

/**
 * A redactor over the context's secret variables (secret-looking names, or front matter `secrets:`),
 * array elements included, and over secret-named variables of `env`. It reads the context on every
 * call, so values a later step sets are hidden too.
 */
export function makeRedactor(
  context: Context,
  frontMatterSecrets: string[] = [],
  env: Record<string, string | undefined> = {},
): (text: string) => string {
  const isSecret = makeSecretTest(frontMatterSecrets);
  const redactorOf = redactorCache();
  return (text) => redactorOf(secretValues(context, isSecret, env))(text);
}

/** Names the front matter declares secret: `secrets:` and every input with `secret: true`. */
export function declaredSecrets(frontMatter: FrontMatter): string[] {
  const inputs = Object.entries(frontMatter.inputs ?? {})
    .filter(([, spec]) => spec.secret)
    .map(([name]) => name);
  return [...(frontMatter.secrets ?? []), ...inputs];
}

/**
 * Variables whose names do not say secret but whose value holds a secret value (`AUTH="Bearer $TOKEN"`,
 * `vars.DSN = 'pg://u:' + vars.DB_PASSWORD`): they are secrets too. A short secret (under three
 * characters) taints only a value that is exactly it, as the redactor hides only such texts.
 */
export function derivedSecretNames(
  context: Context,
  isSecret: (name: string) => boolean,
  values: Iterable<string>,
): Set<string> {
  const whole = new Set<string>();
  const embedded: string[] = [];
  for (const value of values) {
    if (value.length === 0) continue;
    if (value.length < MIN_EMBEDDED) whole.add(value);
    else embedded.push(value);
  }
  const derived = new Set<string>();
  if (whole.size === 0 && embedded.length === 0) return derived;
  for (const [name, variable] of Object.entries(context.vars)) {
    if (isSecret(name)) continue;
    if (valuesOf(variable).some((v) => whole.has(v) || embedded.some((secret) => v.includes(secret))))
      derived.add(name);
  }
  return derived;
}
