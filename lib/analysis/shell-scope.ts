// The scope a walk of a bash step's syntax tree is in (what is assigned so far, what is local, which
// names are namerefs, whether assignments carry out of it), and what a read, an assignment or a call
// there comes to in what the walk finds. shell-assignments.ts and shell-vars.ts walk the tree on it.

import { IDENTIFIER } from '../core/identifiers.ts';
import { literalWord, type ShNode } from './bash-parser.ts';
import { isShellOwnVariable } from './shell-own.ts';
import type { CallSite, SoftReason, VariableAnalysis } from './variables.ts';

/** What one walk gathers: a step's, or one function's analysed on its own. */
export class Findings {
  sets = new Set<string>();
  needs = new Set<string>();
  mayNeed = new Map<string, SoftReason>();
  /** Names the code tests (set or empty): none of their reads is certain. */
  guarded = new Set<string>();
  relaxed = false;
  maySetAny?: string;
  setsArgs = new Set<number>();
  calls: CallSite[] = [];
  callNames = new Set<string>();
  /** Where each name is first read: a line of the step's code. */
  lines = new Map<string, number>();

  settle(): Pick<VariableAnalysis, 'needs' | 'mayNeed'> {
    for (const name of this.needs) {
      if (!this.relaxed && !this.guarded.has(name)) continue;
      this.needs.delete(name);
      if (!this.mayNeed.has(name)) this.mayNeed.set(name, this.relaxed ? 'set +u' : 'test');
    }
    for (const name of this.needs) this.mayNeed.delete(name);
    return {
      needs: [...this.needs],
      ...(this.mayNeed.size ? { mayNeed: Object.fromEntries(this.mayNeed) } : {}),
    };
  }
}

type RefTarget = { name: string } | { arg: number } | { unknown: true };
export interface Scope {
  assigned: Set<string>;
  /** Function-local names, inside a function. */
  locals?: Set<string>;
  /** Whether assignments here are the step's own sets (false in subshells). */
  carries: boolean;
  inFunction: boolean;
  /** Shared by one shell (a subshell copies it): true after a source or eval. */
  flow: { anything: boolean };
  /** Why reads here are not certain: inside arithmetic or a test. */
  soft?: SoftReason;
  /** Arguments of the function call being followed; undefined for a function analysed on its own. */
  args?: Array<string | undefined>;
  refs: Map<string, RefTarget>;
}

const POSITIONAL = /^[1-9]$/;

/** Reads, assignments and calls as a walk meets them, each taken into `found`. */
export abstract class ScopeWalk {
  /** The line of the node being visited. */
  protected line = 0;

  constructor(
    readonly found: Findings,
    /** Analysing one function on its own: `$1`.. are unknown arguments. */
    protected readonly alone: boolean,
  ) {}

  protected read(scope: Scope, name: string, reason?: SoftReason): void {
    // `$_` is the last argument of the previous command, not a variable anyone sets.
    if (!IDENTIFIER.test(name) || name === '_' || isShellOwnVariable(name)) return;
    const ref = scope.refs.get(name);
    if (ref) {
      if ('name' in ref) this.read(scope, ref.name, reason);
      return;
    }
    if (scope.assigned.has(name) || scope.locals?.has(name)) return;
    if (this.line && !this.found.lines.has(name)) this.found.lines.set(name, this.line);
    const why = reason ?? scope.soft ?? (scope.flow.anything ? 'may be set by the step' : undefined);
    if (why === 'test') this.found.guarded.add(name);
    if (why === undefined) this.found.needs.add(name);
    else if (!this.found.mayNeed.has(name)) this.found.mayNeed.set(name, why);
  }

  protected assign(scope: Scope, name: string, local = false): void {
    const base = name.replace(/\[.*$/s, '');
    if (!IDENTIFIER.test(base)) return;
    if (local && scope.locals) {
      scope.locals.add(base);
      return;
    }
    if (scope.locals?.has(base)) return;
    scope.assigned.add(base);
    if (scope.carries) this.found.sets.add(base);
  }

  /** An assignment to NAME, which may be a nameref standing for another variable. */
  protected assignVia(scope: Scope, name: string, local = false): void {
    const ref = local ? undefined : scope.refs.get(name.replace(/\[.*$/s, ''));
    if (!ref) this.assign(scope, name, local);
    else if ('name' in ref) this.assign(scope, ref.name);
    else if ('arg' in ref) this.found.setsArgs.add(ref.arg);
    else this.mayAny(scope, 'a nameref');
  }

  /** The step may now hold variables no one can name: reads after this are not certain. */
  protected mayAny(scope: Scope, why: string): void {
    scope.flow.anything = true;
    if (scope.carries) this.found.maySetAny ??= why;
  }

  /** `$1`, `"${2}"`: the positional parameter a word is exactly, else undefined. */
  private positional(word: ShNode | null | undefined): number | undefined {
    let parts = (word?.Parts ?? []) as ShNode[];
    if (parts.length === 1 && parts[0]?.type === 'DblQuoted') parts = parts[0].Parts as ShNode[];
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only?.type !== 'ParamExp' || only.Exp || only.Index || only.Slice || only.Repl || only.Excl)
      return undefined;
    const name = only.Param.Value as string;
    return POSITIONAL.test(name) ? Number(name) : undefined;
  }

  /** A variable named by an expansion: a caller's argument in a function, else anything. */
  protected assignDynamic(scope: Scope, word: ShNode | null | undefined): void {
    const n = this.positional(word);
    if (n !== undefined && scope.inFunction) {
      if (this.alone && !scope.args) {
        this.found.setsArgs.add(n);
        return;
      }
      const arg = scope.args?.[n - 1];
      if (arg !== undefined && IDENTIFIER.test(arg.replace(/\[.*$/s, ''))) {
        this.assign(scope, arg);
        return;
      }
    }
    this.mayAny(scope, 'a computed name');
  }

  protected refTarget(scope: Scope, word: ShNode | null | undefined): RefTarget {
    const text = literalWord(word);
    if (text !== undefined) {
      const base = text.replace(/\[.*$/s, '');
      return IDENTIFIER.test(base) ? { name: base } : { unknown: true };
    }
    const n = this.positional(word);
    if (n !== undefined && scope.inFunction) {
      if (this.alone && !scope.args) return { arg: n };
      const arg = scope.args?.[n - 1];
      if (arg !== undefined && IDENTIFIER.test(arg)) return { name: arg };
    }
    return { unknown: true };
  }

  protected child(scope: Scope): Scope {
    return {
      assigned: new Set(scope.assigned),
      locals: scope.locals && new Set(scope.locals),
      carries: false,
      inFunction: scope.inFunction,
      flow: { anything: scope.flow.anything },
      args: scope.args,
      refs: new Map(scope.refs),
    };
  }

  /** A command this step does not define: maybe a function of an earlier step. */
  protected recordCall(scope: Scope, name: string, args: Array<string | undefined>): void {
    if (this.alone) {
      this.found.callNames.add(name);
      return;
    }
    const calls = this.found.calls;
    const named = args.slice(0, 9).map((a) => (a !== undefined && IDENTIFIER.test(a) ? a : null));
    while (named.length && named.at(-1) === null) named.pop();
    const site: CallSite = { name, args: named };
    if (!calls.some((c) => c.name === name)) {
      site.assignedBefore = [...scope.assigned, ...(scope.locals ?? [])];
      if (this.line) site.line = this.line;
    }
    if (scope.flow.anything) site.uncertain = true;
    const key = JSON.stringify(site);
    if (!calls.some((c) => JSON.stringify(c) === key)) calls.push(site);
  }
}
