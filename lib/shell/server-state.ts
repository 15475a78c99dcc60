// What the step server's shell holds, read from its `declare -p` snapshots: the runner's view of the
// server, the context (what differs from a plain shell), and what to hand the server before a step.
// Everything here is kept up to date by what changed and never rebuilt from all that is carried, so a
// step that changes one variable costs one, however many there are.
import { sameVar } from '../core/context.ts';
import { NOT_CARRIED_PATTERN } from '../core/not-carried.ts';
import { optionChanges, parseOptions } from '../core/shell-options.ts';
import type { CarriedVar, Context } from '../core/types.ts';
import {
  declareAgain,
  functionNames,
  replaceFunctions,
  SHADOWS,
  unsetLine,
  userFunctions,
} from './adopt-lines.ts';
import { declarationLines, parseDeclaration, plainScalar } from './declare-p.ts';
import type { Snapshot } from './events.ts';

/** A scalar whose line is longer goes back to bash as data: bash reads its own quoting of it slowly. */
const LONG_LINE = 64 * 1024;

/** What a snapshot changed, and what the server must take over to hold the same. */
export interface Absorbed {
  /** Bash's own lines for what changed (readonly dropped), unsets, and functions, to source. */
  adopt: string;
  /** Long values that changed, to hand over as data. */
  values: Record<string, CarriedVar>;
  /** The names whose value, attributes or presence changed. */
  changed: string[];
}

export class ShellState {
  /** Variables the server holds: bash's declare line (undefined once the runner changed it) and value. */
  private lines = new Map<string, string | undefined>();
  private vars = new Map<string, CarriedVar>();
  functions = '';
  private functionSet = new Set<string>();
  cwd = '';
  umask?: string;
  /** The directory stack below cwd (pushd), top first. */
  dirs: string[] = [];
  /** The positional parameters (set --). */
  args: string[] = [];
  /** The shell options as bash lists them, by option, and the lines that differ from the baseline's. */
  private optionLines = new Map<string, string>();
  private optionsText?: string;
  options = '';
  /**
   * The context's variables, changed in place as the state changes: a context's `vars` is the session's
   * live view, read after the step that made it, not kept across later ones.
   */
  private contextVars: Record<string, CarriedVar> = {};
  private contextUnset = new Set<string>();
  private made?: Context;
  /** Changes whenever a name comes or goes; never the same for two states. */
  namesVersion = ShellState.nextVersion();
  private static versions = 0;
  private static nextVersion(): number {
    return ++ShellState.versions;
  }

  constructor(private readonly baseline?: ShellState) {}

  /** Every variable name the server holds. */
  names(): string[] {
    return [...this.lines.keys()];
  }

  hasFunction(name: string): boolean {
    return this.functionSet.has(name);
  }

  /** The names, with what the namerefs among them point at (assigning through one changes its target). */
  withTargets(names: Iterable<string>): string[] {
    const out = new Set<string>();
    for (let name of names) {
      for (let hops = 0; hops < 10 && !out.has(name); hops++) {
        out.add(name);
        const v = this.vars.get(name);
        if (v?.type !== 'scalar' || !v.attrs.includes('n') || v.declared) break;
        name = v.value.replace(/\[.*$/s, '');
      }
    }
    return [...out];
  }

  /**
   * Reads a snapshot: every variable (`complete`), or the names the step was asked about (`asked`; one of
   * them not printed is unset). Only lines that differ from what the state holds are parsed.
   */
  absorb(snap: Snapshot, asked: string[] = []): Absorbed {
    const adopt: string[] = [];
    const values: Record<string, CarriedVar> = {};
    const changed: string[] = [];
    const next = declarationLines(snap.declareP);
    for (const [name, line] of next) {
      if (NOT_CARRIED_PATTERN.test(name)) continue;
      const held = this.lines.get(name);
      if (held === line) continue;
      const plain = plainScalar(name, line);
      const value: CarriedVar | undefined =
        plain === undefined ? parseDeclaration(line).value : { type: 'scalar', attrs: '', value: plain };
      const before = this.vars.get(name);
      this.setLine(name, line);
      // The same value printed otherwise (an associative array in another order) is no change.
      if (value && sameVar(before, value)) continue;
      if (value) this.vars.set(name, value);
      else this.vars.delete(name);
      changed.push(name);
      this.note(name);
      if (value?.type === 'scalar' && !value.attrs.includes('n') && line.length > LONG_LINE) {
        values[name] = value;
        continue;
      }
      adopt.push(...declareAgain(name, before, value, line));
    }
    const gone = snap.complete
      ? [...this.lines.keys()].filter((n) => !next.has(n))
      : asked.filter((n) => this.lines.has(n) && !next.has(n));
    for (const name of gone) {
      adopt.push(unsetLine(name, this.vars.get(name)));
      this.dropLine(name);
      this.vars.delete(name);
      changed.push(name);
      this.note(name);
    }
    const before = this.functions;
    if (snap.functions !== undefined) this.setFunctions(userFunctions(snap.functions));
    // Nearly every step leaves the options as it found them: bash's text is read again only when it differs.
    if (snap.options !== undefined && snap.options !== this.optionsText) {
      this.optionsText = snap.options;
      this.optionLines = parseOptions(snap.options);
    }
    const options = this.baseline ? optionChanges(this.baseline.optionLines, this.optionLines) : '';
    if (snap.cwd !== this.cwd || snap.umask !== this.umask || options !== this.options) {
      this.cwd = snap.cwd;
      this.umask = snap.umask;
      this.options = options;
      this.made = undefined;
    }
    this.setStack(snap.dirs, snap.args);
    const shadowed = [...this.functionSet].filter((n) => SHADOWS.has(n));
    if (this.functions !== before || (adopt.length && shadowed.length)) {
      // A step's own `declare` or `unset` function would take these lines over: define functions last.
      if (shadowed.length) adopt.unshift(`builtin unset -f -- ${shadowed.join(' ')}`);
      adopt.push(...replaceFunctions(before, this.functions));
    }
    return { adopt: adopt.length ? `${adopt.join('\n')}\n` : '', values, changed };
  }

  /** The variables of a snapshot that differ from what the state holds, read without taking them in. */
  differing(snap: Snapshot): Record<string, CarriedVar> {
    const out: Record<string, CarriedVar> = {};
    for (const [name, line] of declarationLines(snap.declareP)) {
      if (NOT_CARRIED_PATTERN.test(name) || this.lines.get(name) === line) continue;
      out[name] = parseDeclaration(line).value;
    }
    return out;
  }

  /** The context: every variable that differs from the baseline shell, and the baseline's that are gone. */
  context(): Context {
    this.made ??= {
      vars: this.contextVars,
      unset: [...this.contextUnset],
      functions: this.functions,
      cwd: this.cwd,
      ...(this.umask ? { umask: this.umask } : {}),
      ...(this.options ? { options: this.options } : {}),
      ...(this.dirs.length ? { dirs: this.dirs } : {}),
      ...(this.args.length ? { args: this.args } : {}),
    };
    return this.made;
  }

  /**
   * What the server must take over so that it holds `target`: the runner's own changes (from --set, a
   * prompt, a JavaScript step, a resumed record) as a context of just those, and function text to source.
   * A target whose variables are this state's own (the context of the last step) costs nothing.
   */
  handOver(target: Context): { values: Context; functionsScript: string } {
    const umask = target.umask ?? this.umask;
    const values: Context = { vars: {}, unset: [], functions: '', cwd: target.cwd, umask };
    // The options a step starts with are the target's: the step's subshell sets them (cwd.in).
    if (target.options) values.options = target.options;
    if ((target.options ?? '') !== this.options) {
      this.options = target.options ?? '';
      this.made = undefined;
    }
    // The stack and the positional parameters a step starts with are the target's too: the step's
    // subshell sets them (cwd.in).
    if (target.dirs) values.dirs = target.dirs;
    if (target.args) values.args = target.args;
    this.setStack(target.dirs ?? [], target.args ?? []);
    if (target.vars !== this.contextVars) {
      for (const [name, v] of Object.entries(target.vars)) {
        if (sameVar(this.contextVars[name], v)) continue;
        values.vars[name] = v;
        this.vars.set(name, v);
        this.setLine(name, undefined);
        this.note(name);
      }
      for (const name of Object.keys(this.contextVars)) {
        if (!(name in target.vars)) this.revert(name, values);
      }
    }
    for (const name of target.unset) {
      if (!this.vars.has(name)) continue;
      values.unset.push(name);
      this.vars.delete(name);
      this.dropLine(name);
      this.note(name);
    }
    let functionsScript = '';
    if (target.functions.trim() !== this.functions.trim()) {
      functionsScript = `${replaceFunctions(this.functions, target.functions).join('\n')}\n`;
      this.setFunctions(target.functions);
    }
    return { values, functionsScript };
  }

  /**
   * Whether the server holds `target` already, with nothing of the runner's to hand over: the context the
   * last step left (the live view), or one equal to it.
   */
  holds(target: Context): boolean {
    const umask = target.umask ?? this.umask;
    if (target.cwd !== this.cwd || umask !== this.umask) return false;
    if ((target.options ?? '') !== this.options) return false;
    if (!sameList(target.dirs ?? [], this.dirs) || !sameList(target.args ?? [], this.args)) return false;
    if (target.functions.trim() !== this.functions.trim()) return false;
    if (target.unset.some((name) => this.vars.has(name))) return false;
    if (target.vars === this.contextVars) return true;
    const names = Object.keys(target.vars);
    if (names.length !== Object.keys(this.contextVars).length) return false;
    return names.every((name) => sameVar(this.contextVars[name], target.vars[name]));
  }

  /** A variable the target context no longer changes: back to the baseline's value, or unset. */
  private revert(name: string, values: Context): void {
    const original = this.baseline?.vars.get(name);
    if (original) {
      values.vars[name] = original;
      this.vars.set(name, original);
      this.setLine(name, this.baseline?.lines.get(name));
    } else {
      values.unset.push(name);
      this.vars.delete(name);
      this.dropLine(name);
    }
    this.note(name);
  }

  /** The directory stack and positional parameters the server's steps start with. */
  private setStack(dirs: string[], args: string[]): void {
    if (sameList(dirs, this.dirs) && sameList(args, this.args)) return;
    this.dirs = dirs;
    this.args = args;
    this.made = undefined;
  }

  private setLine(name: string, line: string | undefined): void {
    if (!this.lines.has(name)) this.namesVersion = ShellState.nextVersion();
    this.lines.set(name, line);
  }

  private dropLine(name: string): void {
    if (this.lines.delete(name)) this.namesVersion = ShellState.nextVersion();
  }

  private setFunctions(text: string): void {
    if (text === this.functions) return;
    this.functions = text;
    this.functionSet = new Set(functionNames(text));
    this.made = undefined;
  }

  /** Brings the context's entry for `name` up to date. */
  private note(name: string): void {
    this.made = undefined;
    const v = this.vars.get(name);
    const base = this.baseline;
    if (!v) {
      delete this.contextVars[name];
      if (base?.vars.has(name)) this.contextUnset.add(name);
      return;
    }
    this.contextUnset.delete(name);
    const line = this.lines.get(name);
    const asBaseline =
      base !== undefined &&
      ((line !== undefined && base.lines.get(name) === line) || sameVar(base.vars.get(name), v));
    if (asBaseline) delete this.contextVars[name];
    else this.contextVars[name] = v;
  }

  /** A state that starts as `base` and measures the context against it. */
  static startingFrom(base: ShellState): ShellState {
    const state = new ShellState(base);
    state.lines = new Map(base.lines);
    state.vars = new Map(base.vars);
    state.functions = base.functions;
    state.functionSet = new Set(base.functionSet);
    state.cwd = base.cwd;
    state.umask = base.umask;
    state.dirs = base.dirs;
    state.args = base.args;
    state.optionLines = base.optionLines;
    return state;
  }
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
