// The run record as text. It is rewritten as steps end, so what it holds must not grow with what is
// carried: each variable's JSON is made once (values are replaced, never changed), a long one is kept in a
// file of its own beside the record, named by its content and written once, and the record holds only a
// shorter preview of a long value a step set. Secrets are left out here, where the text is made.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { StateError } from '../core/errors.ts';
import type { CarriedVar, Context, StepResult } from '../core/types.ts';

/** The run record as run-record.ts defines it; only these fields are treated apart. */
interface RecordFields {
  context: Context;
  steps: StepResult[];
}

/** A variable whose JSON is longer is kept in a file of its own. */
const OWN_FILE = 64 * 1024;
/** How much of a long value a step set the record keeps (run.json, written once, has it whole). */
const PREVIEW = 4 * 1024;
/** A plain scalar shorter than this has its entry made straight away (its JSON is far below OWN_FILE). */
const PLAIN_ENTRY = 4 * 1024;
const VALUE_FILE = /^[0-9a-f]{64}\.json$/;

/** The record's text, and the value files it refers to that are not on disk yet. */
export interface RecordText {
  text: string;
  files: Array<{ name: string; text: string }>;
  /** Every value file the text refers to. */
  referenced: Set<string>;
}

/** A variable's JSON in the record: itself, or a reference to the file that holds it (and its text until written). */
interface Fragment {
  json: string;
  file?: string;
  text?: string;
}

/** A variable's entry in the record (`"NAME":JSON`), kept while its value stays. */
interface Entry {
  v: CarriedVar;
  entry: string;
  fragment?: Fragment;
}

interface VarsText {
  /** `"NAME":JSON,...` */
  vars: string;
  withheld: string[];
  /** The fragments of variables kept in files of their own. */
  stored: Fragment[];
}

export class RecordJson {
  /** Each variable's JSON in the record: itself, or a reference to its file. */
  private readonly fragments = new WeakMap<CarriedVar, Fragment>();
  /** The variables' part of the text as last made, and the context it was made from. */
  private last?: VarsText & { context: Context };
  /** Each variable's entry as last made, while its value stays. */
  private readonly entries = new Map<string, Entry>();
  /** The JSON of what a step set: a step's setVars and setValues are replaced, never changed in place. */
  private readonly sets = new WeakMap<object, string>();
  /** Value files known to be on disk. */
  private readonly written = new Set<string>();

  constructor(private readonly omit: (name: string) => boolean = () => false) {}

  /** Marks a value file as on disk, once it is. */
  wrote(name: string): void {
    this.written.add(name);
  }

  text(record: RecordFields): RecordText {
    const made = this.varsOf(record.context);
    const referenced = new Set<string>();
    const files: RecordText['files'] = [];
    for (const fragment of made.stored) {
      const file = fragment.file as string;
      referenced.add(file);
      if (!this.written.has(file) && fragment.text !== undefined)
        files.push({ name: file, text: fragment.text });
      // The value itself is needed only until its file is written.
      if (this.written.has(file)) delete fragment.text;
    }
    const { withheld } = made;
    const { context, steps, ...rest } = record;
    const { vars: _all, ...where } = context;
    const head = JSON.stringify({ ...rest, withheld });
    const text =
      `${head.slice(0, -1)},"context":{"vars":{${made.vars}},${JSON.stringify(where).slice(1)},` +
      `"steps":[${steps.map((step) => this.step(step)).join(',')}]}`;
    return { text, files, referenced };
  }

  /**
   * The variables' part of the text. Made again only for another context: the engine replaces its context
   * when anything in it changes, and a context's variables are not changed after the step that made it
   * (server-state.ts), so the same context has the same text.
   */
  private varsOf(context: Context): VarsText {
    if (this.last?.context === context) return this.last;
    const vars: string[] = [];
    const withheld: string[] = [];
    const stored: Fragment[] = [];
    // Walked once per save with every carried variable: only what changed is made again.
    const all = context.vars;
    for (const name of Object.keys(all)) {
      const v = all[name] as CarriedVar;
      if (this.omit(name)) {
        withheld.push(name);
        continue;
      }
      let made = this.entries.get(name);
      if (made === undefined || made.v !== v) {
        made = this.entry(name, v);
        this.entries.set(name, made);
      }
      if (made.fragment) stored.push(made.fragment);
      vars.push(made.entry);
    }
    if (this.entries.size > vars.length) {
      for (const name of this.entries.keys()) if (!(name in context.vars)) this.entries.delete(name);
    }
    this.last = { context, vars: vars.join(','), withheld, stored };
    return this.last;
  }

  /** A step's entry: what it set is made into JSON once, however often the record is written. */
  private step(step: StepResult): string {
    const { setVars, setValues, ...rest } = step;
    let json = JSON.stringify(rest).slice(0, -1);
    const add = (key: string, of: object, make: () => unknown) => {
      let made = this.sets.get(of);
      if (made === undefined) {
        made = JSON.stringify(make());
        this.sets.set(of, made);
      }
      json += `${json.length > 1 ? ',' : ''}"${key}":${made}`;
    };
    if (setVars) add('setVars', setVars, () => setVars);
    if (setValues) add('setValues', setValues, () => previews(setValues));
    return `${json}}`;
  }

  /** A variable's entry; most are short plain scalars, whose JSON (as JSON.stringify orders it) is one quoting. */
  private entry(name: string, v: CarriedVar): Entry {
    if (v.type === 'scalar' && v.attrs === '' && v.declared === undefined && v.value.length < PLAIN_ENTRY)
      return {
        v,
        entry: `${JSON.stringify(name)}:{"type":"scalar","attrs":"","value":${JSON.stringify(v.value)}}`,
      };
    const fragment = this.fragment(v);
    return { v, entry: `${JSON.stringify(name)}:${fragment.json}`, ...(fragment.file ? { fragment } : {}) };
  }

  private fragment(v: CarriedVar): Fragment {
    let fragment = this.fragments.get(v);
    if (!fragment) {
      const json = JSON.stringify(v);
      if (json.length <= OWN_FILE) fragment = { json };
      else {
        const file = `${createHash('sha256').update(json).digest('hex')}.json`;
        fragment = { json: JSON.stringify({ file }), file, text: json };
      }
      this.fragments.set(v, fragment);
    }
    return fragment;
  }
}

/** What a step set, as the record keeps it: a long value only as its start. */
function previews(values: NonNullable<StepResult['setValues']>): Record<string, string> {
  const entries = Object.entries(values);
  if (entries.every(([, text]) => text.length <= PREVIEW)) return values;
  return Object.fromEntries(
    entries.map(([name, text]) =>
      text.length <= PREVIEW
        ? [name, text]
        : [name, `${text.slice(0, PREVIEW)}… (${text.length} characters)`],
    ),
  );
}

/** Puts back the variables a record keeps in files of their own (in `dir`); a missing one is corrupt. */
export function readValueFiles(vars: Record<string, unknown>, dir: string): void {
  for (const [name, v] of Object.entries(vars)) {
    const file = (v as { file?: unknown } | null)?.file;
    if (typeof file !== 'string' || Object.keys(v as object).length !== 1) continue;
    if (!VALUE_FILE.test(file)) throw new StateError(`the value of ${name} names a bad file`);
    try {
      vars[name] = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    } catch (err) {
      throw new StateError(`the value of ${name} is unreadable (${(err as Error).message})`);
    }
  }
}

/** Where a record keeps its long values: `.runbook/<name>.values/` beside `.runbook/<name>.state.json`. */
export function valuesDir(recordFile: string): string {
  return recordFile.replace(/\.state\.json$/, '.values');
}
