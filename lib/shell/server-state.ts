// What the step server's shell holds, read from its `declare -p` snapshots: the runner's view of the
// server, the context (what differs from a plain shell), and what to hand the server before a step.
import { sameVar } from '../core/context.ts';
import { NOT_CARRIED_PATTERN } from '../core/not-carried.ts';
import type { CarriedVar, Context } from '../core/types.ts';
import { adoptableLine, declarationLines, parseDeclaration } from './declare-p.ts';
import type { Snapshot } from './events.ts';

const INTERNAL_FUNCTION = /^__rb_/;
/** Commands the lines handed to the server use as keywords, which a function of the same name would shadow. */
const SHADOWS = new Set(['declare', 'unset']);

/** Splits `declare -f` output into functions by name, leaving out the server's own. */
export function userFunctions(text: string): string {
  const blocks = text.split(/\n(?=[^\s}][^\n]* \(\) \n)/);
  return blocks
    .filter((b) => b.trim() && !INTERNAL_FUNCTION.test(b))
    .join('\n')
    .trim();
}

export function functionNames(text: string): string[] {
  return [...text.matchAll(/^(\S+) \(\) $/gm)].map((m) => m[1] as string);
}

/** Lines that replace the functions defined by `from` with those in `to`. */
function replaceFunctions(from: string, to: string): string[] {
  const drop = functionNames(from);
  return [...(drop.length ? [`builtin unset -f -- ${drop.join(' ')}`] : []), ...(to ? [to] : [])];
}

export class ShellState {
  /** Variables the server holds: bash's declare line (undefined once the runner changed it) and value. */
  private lines = new Map<string, string | undefined>();
  private vars = new Map<string, CarriedVar>();
  functions = '';
  cwd = '';
  /** context() until the state changes: nothing changes a context once made. */
  private cachedContext?: Context;

  constructor(private readonly baseline?: ShellState) {}

  /**
   * Reads a snapshot; only lines that changed since the state held are parsed. Returns what the server
   * must source to hold the same: bash's own lines for what changed (readonly dropped), unsets for what
   * went, and the functions if they changed.
   */
  absorb({ declareP, functions, cwd }: Snapshot): string {
    this.cachedContext = undefined;
    const next = declarationLines(declareP);
    const changed: string[] = [];
    for (const [name, line] of next) {
      if (NOT_CARRIED_PATTERN.test(name) || this.lines.get(name) === line) continue;
      const d = parseDeclaration(line);
      this.lines.set(name, line);
      if (d.value) this.vars.set(name, d.value);
      else this.vars.delete(name);
      changed.push(adoptableLine(line));
    }
    for (const name of [...this.lines.keys()]) {
      if (next.has(name)) continue;
      // unset -n leaves a plain variable alone; -v would unset a nameref's target instead of it.
      const isRef = this.vars.get(name)?.attrs.includes('n');
      changed.push(`builtin unset ${isRef ? '-n' : '-v'} ${name}`);
      this.lines.delete(name);
      this.vars.delete(name);
    }
    const before = this.functions;
    this.functions = userFunctions(functions);
    this.cwd = cwd;
    const shadowed = functionNames(this.functions).filter((n) => SHADOWS.has(n));
    if (this.functions !== before || (changed.length && shadowed.length)) {
      // A step's own `declare` or `unset` function would take these lines over: define functions last.
      if (shadowed.length) changed.unshift(`builtin unset -f -- ${shadowed.join(' ')}`);
      changed.push(...replaceFunctions(before, this.functions));
    }
    return changed.length ? `${changed.join('\n')}\n` : '';
  }

  /** The context: every variable that differs from the baseline shell, and the baseline's that are gone. */
  context(): Context {
    this.cachedContext ??= this.computeContext();
    return this.cachedContext;
  }

  private computeContext(): Context {
    const base = this.baseline;
    const vars: Record<string, CarriedVar> = {};
    for (const [name, v] of this.vars) {
      const line = this.lines.get(name);
      if (base && line !== undefined && base.lines.get(name) === line) continue;
      if (base && sameVar(base.vars.get(name), v)) continue;
      vars[name] = v;
    }
    const unset = base ? [...base.vars.keys()].filter((n) => !this.vars.has(n)) : [];
    return { vars, unset, functions: this.functions, cwd: this.cwd };
  }

  /**
   * What the server must take over so that it holds `target`: the runner's own changes (from --set, a
   * prompt, a JavaScript step, a resumed record) as a context of just those, and function text to source.
   */
  handOver(target: Context): { values: Context; functionsScript: string } {
    const current = this.context();
    this.cachedContext = undefined;
    const values: Context = { vars: {}, unset: [], functions: '', cwd: target.cwd };
    for (const [name, v] of Object.entries(target.vars)) {
      if (!sameVar(current.vars[name], v)) {
        values.vars[name] = v;
        this.vars.set(name, v);
        this.lines.set(name, undefined);
      }
    }
    for (const name of Object.keys(current.vars)) {
      if (!(name in target.vars)) this.revert(name, values);
    }
    for (const name of target.unset) {
      if (this.vars.has(name)) {
        values.unset.push(name);
        this.vars.delete(name);
        this.lines.delete(name);
      }
    }
    let functionsScript = '';
    if (target.functions.trim() !== this.functions.trim()) {
      functionsScript = `${replaceFunctions(this.functions, target.functions).join('\n')}\n`;
      this.functions = target.functions;
    }
    return { values, functionsScript };
  }

  /** A variable the target context no longer changes: back to the baseline's value, or unset. */
  private revert(name: string, values: Context): void {
    const original = this.baseline?.vars.get(name);
    if (original) {
      values.vars[name] = original;
      this.vars.set(name, original);
      this.lines.set(name, this.baseline?.lines.get(name));
    } else {
      values.unset.push(name);
      this.vars.delete(name);
      this.lines.delete(name);
    }
  }

  /** A state that starts as `base` and measures the context against it. */
  static startingFrom(base: ShellState): ShellState {
    const state = new ShellState(base);
    state.lines = new Map(base.lines);
    state.vars = new Map(base.vars);
    state.functions = base.functions;
    state.cwd = base.cwd;
    return state;
  }
}
