// What a run keeps secret: names that look secret or are listed in front matter, values made from them
// (`AUTH="Bearer $TOKEN"`), and every secret value seen during the run, hidden in text the runner writes.
// Worked out once per context (the engine replaces its context rather than changing it), and after a step
// that set no secret only for the names it set.
import { displayValue } from '../core/context.ts';
import {
  derivedSecretNames,
  makeSecretTest,
  REDACTED,
  redactorCache,
  secretValues,
  valuesOf,
} from '../core/secrets.ts';
import type { CarriedVar, Context } from '../core/types.ts';

export class RunSecrets {
  /** Secret by name (or front matter). */
  readonly byName: (name: string) => boolean;
  private redactor: (text: string) => string = (text) => text;
  private context?: Context;
  private readonly redactors = redactorCache();
  /** Every secret value seen during the run: a value made from a token is secret after the token is unset. */
  private readonly seen = new Set<string>();
  private derived = new Set<string>();
  private fromEnv?: Record<string, string | undefined>;

  constructor(
    listed: string[] | undefined,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.byName = makeSecretTest(listed);
  }

  /** Hides secret values (carried or from the environment) in text the runner writes. */
  redact(context: Context, text: string): string {
    this.refresh(context);
    return this.redactor(text);
  }

  /** Secret by name, or holding a secret value. */
  secret(context: Context, name: string): boolean {
    if (this.byName(name)) return true;
    this.refresh(context);
    return this.derived.has(name);
  }

  /** Left out of the record: secret by name, or derived (known by the time the record is written). */
  withheld(name: string): boolean {
    return this.byName(name) || this.derived.has(name);
  }

  /** The values of `names` as text for the record, secrets as REDACTED. */
  values(context: Context, names: string[]): Record<string, string> {
    this.refresh(context);
    const out: Record<string, string> = {};
    for (const n of names) {
      const v = context.vars[n];
      if (v) out[n] = this.withheld(n) ? REDACTED : this.redactor(displayValue(v));
    }
    return out;
  }

  /**
   * A step took the context from `before` to `after`, setting `names`: when it set no secret, the secret
   * values are the same, and only the names it set can have become (or stopped being) derived.
   */
  stepped(before: Context, after: Context, names: string[]): void {
    if (this.context !== before || names.some(this.byName)) return;
    this.context = after;
    // With no secret value seen, no variable can hold one: nothing to work out for what the step set.
    if (this.seen.size === 0 && this.derived.size === 0) return;
    const vars: Context['vars'] = {};
    for (const name of names) if (after.vars[name]) vars[name] = after.vars[name];
    const now = derivedSecretNames({ ...after, vars }, this.byName, this.seen);
    const derived = new Set(this.derived);
    for (const name of names) {
      if (now.has(name)) derived.add(name);
      else derived.delete(name);
    }
    this.derived = derived;
  }

  /**
   * A step left `vars`, which may not be carried (it failed): the values among them that are secret, by
   * name or made from a secret value, are hidden from now on, in what is written about that step too.
   */
  left(context: Context, vars: Record<string, CarriedVar>): void {
    this.refresh(context);
    const left = { ...context, vars };
    const found = secretValues(left, this.byName);
    for (const name of derivedSecretNames(left, this.byName, [...this.seen, ...found]))
      found.push(...valuesOf(vars[name] as CarriedVar));
    const before = this.seen.size;
    for (const value of found) this.seen.add(value);
    if (this.seen.size !== before) this.redactor = this.redactors([...this.seen]);
  }

  /** Works the secrets out for `context`, once per context. */
  refresh(context: Context): void {
    if (this.context === context) return;
    this.context = context;
    this.fromEnv ??= Object.fromEntries(Object.entries(this.env).filter(([n]) => this.byName(n)));
    for (const value of secretValues(context, this.byName, this.fromEnv)) this.seen.add(value);
    this.redactor = this.redactors([...this.seen]);
    this.derived = derivedSecretNames(context, this.byName, this.seen);
  }
}
