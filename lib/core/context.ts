// Carried shell state on the runner's side: contexts, how they differ, how values are shown, how the
// runner's own values travel to the shell (NUL-separated data), and the check of one read back from disk.
import { bytesOfText } from './byte-text.ts';
import { StateError } from './errors.ts';
import { IDENTIFIER, IDENTIFIER_SOURCE } from './identifiers.ts';
import { OPTION_LINE } from './shell-options.ts';
import type { CarriedVar, Context } from './types.ts';

// A nameref may point at a variable or one element of an indexed array; anything else could run code.
const NAMEREF_TARGET = new RegExp(`^${IDENTIFIER_SOURCE}(\\[[0-9]+\\])?$`);
const INDEX = /^[0-9]+$/;
const ATTRS = /^[xilutc]*$/;

export function emptyContext(cwd: string): Context {
  return { vars: {}, unset: [], functions: '', cwd };
}

/**
 * Same type, attributes and value; arrays as maps, so an associative array bash prints in another order is
 * the same array. Values are kept as objects between steps, so identity decides most.
 */
export function sameVar(a: CarriedVar | undefined, b: CarriedVar | undefined): boolean {
  if (a === b) return a !== undefined;
  if (!a || !b || a.type !== b.type || a.attrs !== b.attrs || a.declared !== b.declared) return false;
  if (a.type === 'scalar') return a.value === b.value;
  const x = a.value;
  const y = b.value as Record<string, string>;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => Object.hasOwn(y, k) && y[k] === x[k]);
}

/** A scalar at least this long may go in a file of its own, which bash reads whole (`$(<file)`). */
export const FILE_VALUE = 64 * 1024;

/**
 * Serializes a context (or just the values to hand over) for the shell's restore function. `valueFile`,
 * when given, keeps a long scalar's value in a file and returns its path: bash reads such a file whole
 * far faster than it splits one long field out of the data.
 */
export function encodeContext(ctx: Context, valueFile?: (value: string) => string): Buffer {
  const out: string[] = [];
  for (const name of ctx.unset) out.push(name, '', 'u');
  for (const [name, v] of Object.entries(ctx.vars)) {
    if (v.declared) out.push(name, v.attrs, 'd', v.type === 'indexed' ? 'a' : v.type === 'assoc' ? 'A' : '');
    else if (v.type === 'scalar') {
      const isRef = v.attrs.includes('n');
      if (!isRef && valueFile && v.value.length >= FILE_VALUE) {
        // `$(<file)` drops trailing newlines: their count goes with the path, for bash to put back.
        const newlines = v.value.length - v.value.replace(/\n+$/, '').length;
        out.push(name, v.attrs, 'f', valueFile(v.value), String(newlines));
      } else out.push(name, v.attrs.replace('n', ''), isRef ? 'n' : 's', v.value);
    } else {
      const entries = Object.entries(v.value);
      out.push(name, v.attrs, v.type === 'indexed' ? 'a' : 'A', String(entries.length));
      for (const [k, val] of entries) out.push(k, val);
    }
  }
  return bytesOfText(out.length ? `${out.join('\0')}\0` : '');
}

/** Names whose value, attributes or presence differ between two contexts. */
export function changedNames(before: Context, after: Context): string[] {
  const names = new Set([
    ...Object.keys(before.vars),
    ...Object.keys(after.vars),
    ...before.unset,
    ...after.unset,
  ]);
  return [...names].filter((n) => {
    const wasUnset = before.unset.includes(n);
    const isUnset = after.unset.includes(n);
    if (wasUnset !== isUnset) return true;
    const a = before.vars[n];
    const b = after.vars[n];
    if (a === undefined && b === undefined) return false;
    return !sameVar(a, b);
  });
}

/** A value as a person reads it: scalars as they are, arrays the way bash's declare -p shows them. */
export function displayValue(v: CarriedVar): string {
  if (v.type === 'scalar') return v.value;
  const items = Object.entries(v.value).map(([k, val]) => `[${k}]=${JSON.stringify(val)}`);
  return `(${items.join(' ')})`;
}

/** `--set NAME=VALUE` and answers to prompts become plain, unexported shell variables. */
export function withValue(ctx: Context, name: string, value: string): Context {
  if (!IDENTIFIER.test(name)) throw new StateError(`not a shell variable name: ${JSON.stringify(name)}`);
  if (value.includes('\0'))
    throw new StateError(`the value of ${name} holds a NUL character, which no bash variable can hold`);
  const prev = ctx.vars[name];
  const attrs = prev?.type === 'scalar' ? prev.attrs.replace('n', '') : '';
  return {
    ...ctx,
    vars: { ...ctx.vars, [name]: { type: 'scalar', attrs, value } },
    unset: ctx.unset.filter((n) => n !== name),
  };
}

/**
 * Checks a context read back from disk, since a tampered record must not smuggle code into a step, nor a
 * value bash cannot hold (NUL) that the record would keep and the shell would cut.
 */
export function validateContext(raw: unknown): Context {
  const bad = (why: string): never => {
    throw new StateError(`the run record's context is invalid (${why})`);
  };
  if (typeof raw !== 'object' || raw === null) return bad('not an object');
  const c = raw as Record<string, unknown>;
  if (typeof c.cwd !== 'string' || typeof c.functions !== 'string') return bad('cwd or functions missing');
  if (!Array.isArray(c.unset) || !c.unset.every((n) => typeof n === 'string' && IDENTIFIER.test(n))) {
    return bad('unset list');
  }
  if (c.umask !== undefined && (typeof c.umask !== 'string' || !/^[0-7]{1,4}$/.test(c.umask))) {
    return bad('umask');
  }
  if (
    c.options !== undefined &&
    (typeof c.options !== 'string' || !c.options.split('\n').every((l) => OPTION_LINE.test(l)))
  ) {
    return bad('shell options');
  }
  if (
    c.dirs !== undefined &&
    (!Array.isArray(c.dirs) || !c.dirs.every((d) => typeof d === 'string' && d !== '' && !d.includes('\0')))
  ) {
    return bad('directory stack');
  }
  if (
    c.args !== undefined &&
    (!Array.isArray(c.args) || !c.args.every((a) => typeof a === 'string' && !a.includes('\0')))
  ) {
    return bad('positional parameters');
  }
  if (typeof c.vars !== 'object' || c.vars === null) return bad('vars missing');
  for (const [name, v] of Object.entries(c.vars as Record<string, CarriedVar>)) {
    if (!IDENTIFIER.test(name)) bad(`variable name ${JSON.stringify(name)}`);
    if (typeof v !== 'object' || v === null || typeof v.attrs !== 'string') bad(`variable ${name}`);
    if (!ATTRS.test(v.attrs.replace('n', ''))) bad(`attributes of ${name}`);
    if (v.declared !== undefined && v.declared !== true) bad(`variable ${name}`);
    if (v.type === 'scalar') {
      if (typeof v.value !== 'string' || v.value.includes('\0')) bad(`value of ${name}`);
      if (v.attrs.includes('n') && !v.declared && !NAMEREF_TARGET.test(v.value)) bad(`nameref ${name}`);
    } else if (v.type === 'indexed' || v.type === 'assoc') {
      if (typeof v.value !== 'object' || v.value === null) bad(`value of ${name}`);
      for (const [k, val] of Object.entries(v.value)) {
        if (typeof val !== 'string' || val.includes('\0') || k.includes('\0')) bad(`element of ${name}`);
        if (v.type === 'indexed' && !INDEX.test(k)) bad(`element of ${name}`);
      }
    } else bad(`type of ${name}`);
  }
  return c as unknown as Context;
}
