// The `vars` object of a JavaScript step: the carried context as JS values, and the rule that turns what
// the step left there back into bash variables. Pure; the child process (child.ts) does the I/O.
//
// Bash → JS: a scalar is a string; an indexed array is an Array with each element at its index (a sparse
// bash array stays sparse); an associative array is a plain object. Numbers arrive as strings.
//
// JS → bash, for each name the step leaves in `vars`:
//   string                      → scalar, as it is
//   number, boolean, bigint     → scalar, String(v)
//   null, undefined, `delete`   → the variable is unset
//   Array                       → indexed array; each element by the element rule; holes, null and
//                                 undefined elements are left out (so sparse arrays round-trip)
//   plain object                → associative array; each value by the element rule; null and undefined
//                                 values are left out
//   any other object            → scalar, String(v) (a zx ProcessOutput gives its trimmed stdout, a Date
//                                 its text)
//   function, symbol            → an error: the step fails, since it cannot be carried
//   a string holding NUL        → an error naming the variable (bash variables cannot hold NUL), at the
//                                 assignment or when the step ends; nothing of the step is carried
// Element rule: strings as they are, numbers/booleans/bigints as String(v), nested arrays and plain objects
// as JSON text, other objects as String(v).
import type { CarriedValue, CarriedVar, Context } from '../core/types.ts';

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

export type JsVarValue = string | string[] | Record<string, string>;

/** A carried variable as a JS step sees it. */
export function toJs(v: CarriedValue): JsVarValue {
  if (v.type === 'scalar') return v.value;
  if (v.type === 'assoc') return Object.fromEntries(Object.entries(v.value));
  const array: string[] = [];
  // String keys: bash indexes may exceed what a JS number holds exactly; past the array range they stay
  // ordinary properties and still come back unchanged.
  for (const [k, x] of Object.entries(v.value)) (array as unknown as Record<string, string>)[k] = x;
  return array;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function notData(name: string, v: unknown): never {
  throw new TypeError(`vars.${name} is a ${typeof v}; only data can be carried to later steps`);
}

function json(name: string, v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === 'bigint') return String(x);
    if (typeof x === 'function' || typeof x === 'symbol') notData(name, x);
    return x;
  });
}

/** One element of an array or value of an object; undefined means "leave it out". */
function element(name: string, v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function' || typeof v === 'symbol') return notData(name, v);
  if (Array.isArray(v) || isPlainObject(v)) return json(name, v);
  return String(v);
}

/**
 * Bash variables cannot hold NUL (bash drops it from `$(...)` with a warning): a value holding one is
 * refused, naming the variable, rather than cut short. `find -print0` output is split first.
 */
function noNul(text: string, what: string): string {
  const at = text.indexOf('\0');
  if (at < 0) return text;
  throw new TypeError(
    `${what} holds a NUL character (at index ${at}), which no bash variable can hold; split it first, e.g. with .split('\\0')`,
  );
}

/** Throws when a string value (or an element or key of an array or object) holds NUL. */
function refuseNul(name: string, v: unknown): void {
  if (typeof v === 'string') noNul(v, `vars.${name}`);
  else if (typeof v === 'object' && v !== null && (Array.isArray(v) || isPlainObject(v))) {
    for (const [k, x] of Object.entries(v)) {
      noNul(k, `a key of vars.${name}`);
      if (typeof x === 'string') noNul(x, `vars.${name}[${Array.isArray(v) ? k : JSON.stringify(k)}]`);
    }
  }
}

/** A value the step left in `vars`, as a bash variable; undefined means the variable is unset. */
export function toCarried(name: string, v: unknown): CarriedValue | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'object' && Array.isArray(v)) {
    const value: Record<string, string> = {};
    for (const k of Object.keys(v)) {
      if (!ARRAY_INDEX.test(k)) continue;
      const x = element(name, (v as unknown as Record<string, unknown>)[k]);
      if (x !== undefined) value[k] = noNul(x, `vars.${name}[${k}]`);
    }
    return { type: 'indexed', value };
  }
  if (typeof v === 'object' && isPlainObject(v)) {
    const value: Record<string, string> = {};
    for (const [k, raw] of Object.entries(v)) {
      const x = element(name, raw);
      const key = noNul(k, `a key of vars.${name}`);
      if (x !== undefined) value[key] = noNul(x, `vars.${name}[${JSON.stringify(k)}]`);
    }
    return { type: 'assoc', value };
  }
  return { type: 'scalar', value: noNul(element(name, v) as string, `vars.${name}`) };
}

/** What `$X` gives a command the step runs: scalars only (bash cannot export arrays). */
export function envValue(v: unknown): string | undefined {
  if (v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (typeof v === 'object' && (Array.isArray(v) || isPlainObject(v))) return undefined;
  return element('', v);
}

export interface JsVars {
  /** The object the step sees as `vars`. */
  vars: Record<string, unknown>;
  /** What the step left: every name it holds, converted, and the names it deleted or set to null. */
  collect(): { vars: Record<string, CarriedValue>; deleted: string[] };
}

/**
 * `vars` over the carried variables. Reads of a name the context lacks fall back to the environment (as
 * `$HOME` does in a shell step); keys and JSON are the carried variables only. `onChange` hears each
 * assignment and deletion, with the value a command's environment should now hold.
 */
export function makeVars(
  carried: Record<string, CarriedVar>,
  env: Record<string, string | undefined>,
  onChange: (name: string, envValue: string | undefined) => void,
): JsVars {
  const target: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(carried)) {
    // A nameref's value is another variable's name, and one declared with no value has none: each stays
    // as it is, outside the step's reach (assigning the name makes a variable of it).
    if ((v.type === 'scalar' && v.attrs.includes('n')) || v.declared) continue;
    target[name] = toJs(v);
  }
  const deleted = new Set<string>();
  const fromEnv = (name: string) => !deleted.has(name) && Object.hasOwn(env, name);
  const vars = new Proxy(target, {
    get(t, name, receiver) {
      if (typeof name === 'string' && !Object.hasOwn(t, name) && fromEnv(name)) return env[name];
      return Reflect.get(t, name, receiver);
    },
    has(t, name) {
      return Reflect.has(t, name) || (typeof name === 'string' && fromEnv(name));
    },
    set(t, name, value) {
      // Refused at the assignment, so the error points at the step's own line.
      if (typeof name === 'string') refuseNul(name, value);
      t[name as string] = value;
      if (typeof name === 'string') {
        if (value === null || value === undefined) deleted.add(name);
        else deleted.delete(name);
        onChange(name, envValue(value));
      }
      return true;
    },
    deleteProperty(t, name) {
      delete t[name as string];
      if (typeof name === 'string') {
        deleted.add(name);
        onChange(name, undefined);
      }
      return true;
    },
  });
  return {
    vars,
    collect() {
      const out: Record<string, CarriedValue> = {};
      for (const name of Object.keys(target)) {
        const v = toCarried(name, target[name]);
        if (v) out[name] = v;
        else deleted.add(name);
      }
      return { vars: out, deleted: [...deleted].filter((n) => !(n in out)) };
    },
  };
}

/** What the child writes back after a successful step. */
export interface JsStepResult {
  vars: Record<string, CarriedValue>;
  deleted: string[];
  cwd: string;
  umask?: string;
}

function sameValue(a: CarriedValue, b: CarriedValue): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'scalar' || b.type === 'scalar') return a.value === b.value;
  const ak = Object.keys(a.value);
  return ak.length === Object.keys(b.value).length && ak.every((k) => b.value[k] === a.value[k]);
}

/**
 * The context after a JS step. Untouched variables keep their exact form; changed ones keep their
 * attributes (an exported variable stays exported); new ones are plain, except names the runner's
 * environment holds, which stay exported as a shell assignment to them would. Removing a variable the
 * environment holds records it as unset, like `unset` in a shell step.
 */
export function mergeJsResult(before: Context, after: JsStepResult, env: NodeJS.ProcessEnv): Context {
  const vars: Record<string, CarriedVar> = {};
  const unset = new Set(before.unset);
  const deleted = new Set(after.deleted);
  const inEnv = (name: string) => env[name] !== undefined;
  for (const [name, v] of Object.entries(before.vars)) {
    if (name in after.vars) continue;
    const isRef = (v.type === 'scalar' && v.attrs.includes('n')) || v.declared;
    if (isRef && !deleted.has(name)) vars[name] = v;
    else if (inEnv(name)) unset.add(name);
  }
  for (const name of deleted) {
    if (!(name in before.vars) && inEnv(name)) unset.add(name);
  }
  for (const [name, value] of Object.entries(after.vars)) {
    const prev = before.vars[name];
    if (prev && sameValue(prev, value)) {
      vars[name] = prev;
    } else {
      const attrs = prev
        ? prev.attrs.replace('n', '')
        : inEnv(name) && !before.unset.includes(name)
          ? 'x'
          : '';
      vars[name] = { ...value, attrs };
    }
    unset.delete(name);
  }
  const umask = after.umask ?? before.umask;
  return {
    vars,
    unset: [...unset],
    functions: before.functions,
    cwd: after.cwd,
    ...(umask ? { umask } : {}),
    ...(before.options ? { options: before.options } : {}),
    ...(before.dirs ? { dirs: before.dirs } : {}),
    ...(before.args ? { args: before.args } : {}),
  };
}
