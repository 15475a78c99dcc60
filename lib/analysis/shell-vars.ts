// Which variables a bash step assigns and which it reads, from mvdan/sh's syntax tree, and how certain
// each read is to break the step when the variable is unset.
//
// Choices, biased against false "missing variable" reports (they stop `--yes` runs):
// - A read is a certain need only as a plain expansion with nothing earlier in the step that sets it.
//   Reads in arithmetic, in tests ([ ], [[ ]], test, ${X+alt}), of whole arrays, in a step that runs
//   `set +u`, or after a source/eval, are uncertain (mayNeed); so is every read of a variable the step
//   tests anywhere, since the step then handles it unset.
// - Assignments in subshells, `$(...)`, pipelines and background commands are not the step's sets,
//   but satisfy reads inside that subshell.
// - A function's body is read where the function is called, with what is assigned by then; its global
//   assignments are sets of the calling step. Each function is also analysed on its own (FunctionInfo),
//   for steps that call it later.
// - Names given by an expansion (`declare "$n=1"`, `read "$v"`) may be anything, except `$1`.. in a
//   function, which are the caller's arguments.

import { IDENTIFIER } from '../core/identifiers.ts';
import { forEachChild, literalWord, type OperatorCodes, type ShNode } from './bash-parser.ts';
import { assignedByCommand } from './builtin-assignments.ts';
import { SHELL_BUILTINS } from './shell-builtins.ts';
import { isShellOwnVariable } from './shell-own.ts';
import type { CallSite, FunctionInfo, SoftReason, VariableAnalysis } from './variables.ts';

export type { VariableAnalysis } from './variables.ts';

/** What one walk gathers: a step's, or one function's analysed on its own. */
class Findings {
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

interface Scope {
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

export function analyzeShellTree(ops: OperatorCodes, file: ShNode): VariableAnalysis {
  const defs = new Map<string, ShNode>();
  const step = new Walker(ops, defs, new Findings(), false);
  const top: Scope = {
    assigned: new Set(),
    carries: true,
    inFunction: false,
    flow: { anything: false },
    refs: new Map(),
  };
  step.visitAll(top, file.Stmts);
  const functions: Record<string, FunctionInfo> = {};
  for (const [name, body] of defs) functions[name] = Walker.functionInfo(ops, defs, name, body);
  const found = step.found;
  return {
    sets: [...found.sets],
    ...found.settle(),
    ...(found.maySetAny ? { maySetAny: found.maySetAny } : {}),
    ...(defs.size ? { functions } : {}),
    ...(found.calls.length ? { calls: found.calls } : {}),
    ...(found.lines.size ? { readLines: Object.fromEntries(found.lines) } : {}),
  };
}

class Walker {
  private readonly active = new Set<string>();
  /** The line of the node being visited. */
  private line = 0;

  constructor(
    private readonly ops: OperatorCodes,
    private readonly defs: Map<string, ShNode>,
    readonly found: Findings,
    /** Analysing one function on its own: `$1`.. are unknown arguments. */
    private readonly alone: boolean,
  ) {}

  static functionInfo(
    ops: OperatorCodes,
    defs: Map<string, ShNode>,
    name: string,
    body: ShNode,
  ): FunctionInfo {
    const walker = new Walker(ops, defs, new Findings(), true);
    walker.active.add(name);
    const scope: Scope = {
      assigned: new Set(),
      locals: new Set(),
      carries: true,
      inFunction: true,
      flow: { anything: false },
      refs: new Map(),
    };
    walker.visit(scope, body);
    const f = walker.found;
    return {
      ...f.settle(),
      sets: [...f.sets],
      ...(f.setsArgs.size ? { setsArgs: [...f.setsArgs] } : {}),
      ...(f.callNames.size ? { calls: [...f.callNames] } : {}),
      ...(f.maySetAny ? { maySetAny: f.maySetAny } : {}),
      ...(f.lines.size ? { readLines: Object.fromEntries(f.lines) } : {}),
    };
  }

  // ---- reads and writes

  private read(scope: Scope, name: string, reason?: SoftReason): void {
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

  private assign(scope: Scope, name: string, local = false): void {
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
  private assignVia(scope: Scope, name: string, local = false): void {
    const ref = local ? undefined : scope.refs.get(name.replace(/\[.*$/s, ''));
    if (!ref) this.assign(scope, name, local);
    else if ('name' in ref) this.assign(scope, ref.name);
    else if ('arg' in ref) this.found.setsArgs.add(ref.arg);
    else this.mayAny(scope, 'a nameref');
  }

  /** The step may now hold variables no one can name: reads after this are not certain. */
  private mayAny(scope: Scope, why: string): void {
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
  private assignDynamic(scope: Scope, word: ShNode | null | undefined): void {
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

  private refTarget(scope: Scope, word: ShNode | null | undefined): RefTarget {
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

  private child(scope: Scope): Scope {
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

  // ---- the tree

  visitAll(scope: Scope, nodes: ShNode[] | null | undefined): void {
    for (const node of nodes ?? []) this.visit(scope, node);
  }

  visit(scope: Scope, node: ShNode | null | undefined): void {
    if (!node) return;
    if (node.line) this.line = node.line as number;
    switch (node.type) {
      case 'Stmt': {
        const inner = node.Background || node.Coprocess ? this.child(scope) : scope;
        // Redirections are expanded before the command runs; `{fd}>file` assigns fd.
        for (const redirect of (node.Redirs ?? []) as ShNode[]) {
          const fd = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(redirect.N?.Value ?? '');
          if (fd) this.assign(inner, fd[1] as string);
          this.visit(inner, redirect.Word);
          this.visit(inner, redirect.Hdoc);
        }
        this.visit(inner, node.Cmd);
        return;
      }
      case 'CallExpr':
        this.visitCall(scope, node);
        return;
      case 'DeclClause':
        this.visitDecl(scope, node);
        return;
      case 'Assign':
        this.visitAssign(scope, node, true);
        return;
      case 'ParamExp':
        this.visitParam(scope, node);
        return;
      case 'ArithmExp':
      case 'ArithmCmd':
      case 'ParenArithm':
        this.visitArith(scope, node.X);
        return;
      case 'LetClause':
        for (const expr of node.Exprs as ShNode[]) this.visitArith(scope, expr);
        return;
      case 'TestClause':
        this.visit({ ...scope, soft: 'test' }, node.X);
        return;
      case 'UnaryTest':
        if (node.Op === this.ops.testVar) {
          const name = literalWord(node.X);
          if (name !== undefined) this.found.guarded.add(name.replace(/\[.*$/s, ''));
          return;
        }
        this.visit(scope, node.X);
        return;
      case 'Subshell':
      case 'CmdSubst':
      case 'ProcSubst':
        this.visitAll(this.child(scope), node.Stmts);
        return;
      case 'BinaryCmd':
        if (this.ops.pipe.has(node.Op)) {
          this.visit(this.child(scope), node.X);
          this.visit(this.child(scope), node.Y);
          return;
        }
        this.visit(scope, node.X);
        this.visit(scope, node.Y);
        return;
      case 'ForClause':
        this.visitFor(scope, node);
        return;
      case 'FuncDecl':
        this.defs.set(node.Name.Value as string, node.Body);
        return;
      case 'CoprocClause': {
        this.visit(this.child(scope), node.Stmt);
        const name = literalWord(node.Name);
        if (name !== undefined) {
          this.assign(scope, name);
          this.assign(scope, `${name}_PID`);
        }
        return;
      }
      case 'Lit':
      case 'SglQuoted':
      case 'ExtGlob':
        return;
      default:
        forEachChild(node, (c) => this.visit(scope, c));
    }
  }

  private visitAssign(scope: Scope, node: ShNode, isSet: boolean, local = false, isRef = false): void {
    if (node.Index) this.visitArith(scope, node.Index, false);
    this.visit(scope, node.Value);
    if (node.Array) {
      for (const elem of node.Array.Elems as ShNode[]) {
        if (elem.Index) this.visitArith(scope, elem.Index, false);
        this.visit(scope, elem.Value);
      }
    }
    if (!isSet || !node.Name) return;
    const name = node.Name.Value as string;
    if (isRef) {
      scope.refs.set(name, this.refTarget(scope, node.Value));
      this.assign(scope, name, local);
      return;
    }
    this.assignVia(scope, name, local);
  }

  private visitParam(scope: Scope, node: ShNode): void {
    const name = node.Param.Value as string;
    const index = node.Index ? literalWord(node.Index) : undefined;
    const whole = index === '@' || index === '*';
    if (node.Index) this.visitArith(scope, node.Index, false);
    if (node.Slice) {
      this.visitArith(scope, node.Slice.Offset);
      this.visitArith(scope, node.Slice.Length);
    }
    if (node.Repl) {
      this.visit(scope, node.Repl.Orig);
      this.visit(scope, node.Repl.With);
    }
    const exp = node.Exp;
    if (exp) this.visit(scope, exp.Word);
    // `${!prefix*}` lists names; it reads none of them.
    if (node.Excl && node.Names) return;
    if (exp && this.ops.paramAssign.has(exp.Op)) {
      this.assign(scope, name);
      return;
    }
    if (exp && this.ops.paramAlt.has(exp.Op)) {
      this.read(scope, name, 'test');
      return;
    }
    if (exp && this.ops.paramDefault.has(exp.Op)) {
      if (scope.soft === 'test') this.read(scope, name, 'test');
      return;
    }
    this.read(scope, name, whole ? 'array' : undefined);
  }

  /** Arithmetic reads bare names as variables, except in subscripts (`bareReads` false). */
  private visitArith(outer: Scope, expr: ShNode | null | undefined, bareReads = true): void {
    if (!expr) return;
    const scope: Scope = outer.soft ? outer : { ...outer, soft: 'arithmetic' };
    switch (expr.type) {
      case 'Word': {
        const parts = expr.Parts as ShNode[];
        const only = parts.length === 1 ? parts[0] : undefined;
        if (only && only.type === 'Lit') {
          if (bareReads) this.read(scope, only.Value);
          return;
        }
        this.visit(scope, expr);
        return;
      }
      case 'BinaryArithm':
        if (this.ops.arithAssign.has(expr.Op)) {
          this.visitArith(scope, expr.Y, bareReads);
          const target = this.arithTarget(scope, expr.X);
          if (target === undefined) return;
          if (expr.Op !== this.ops.arithPlainAssign) this.read(scope, target);
          this.assignVia(scope, target);
          return;
        }
        this.visitArith(scope, expr.X, bareReads);
        this.visitArith(scope, expr.Y, bareReads);
        return;
      case 'UnaryArithm':
        if (this.ops.arithIncDec.has(expr.Op)) {
          const target = this.arithTarget(scope, expr.X);
          if (target !== undefined) {
            this.read(scope, target);
            this.assignVia(scope, target);
          }
          return;
        }
        this.visitArith(scope, expr.X, bareReads);
        return;
      case 'ParenArithm':
        this.visitArith(scope, expr.X, bareReads);
        return;
      default:
        this.visit(scope, expr);
    }
  }

  /** The variable an arithmetic assignment writes: `x` or `a[i]` (whose subscript is read). */
  private arithTarget(scope: Scope, expr: ShNode): string | undefined {
    if (expr.type !== 'Word') return undefined;
    const only = expr.Parts.length === 1 ? expr.Parts[0] : undefined;
    if (!only) return undefined;
    if (only.type === 'Lit') return only.Value;
    if (only.type === 'ParamExp') {
      if (only.Index) this.visitArith(scope, only.Index, false);
      return only.Param.Value;
    }
    this.visit(scope, expr);
    return undefined;
  }

  private visitFor(scope: Scope, node: ShNode): void {
    const loop = node.Loop;
    if (loop.type === 'WordIter') {
      this.visitAll(scope, loop.Items);
      this.assign(scope, loop.Name.Value);
    } else {
      this.visitArith(scope, loop.Init);
      this.visitArith(scope, loop.Cond);
      this.visitArith(scope, loop.Post);
    }
    this.visitAll(scope, node.Do);
  }

  private visitDecl(scope: Scope, node: ShNode): void {
    const variant: string = node.Variant.Value;
    const flags = new Set<string>();
    for (const arg of node.Args as ShNode[]) {
      if (arg.Naked && !arg.Name) {
        const text = literalWord(arg.Value);
        if (text?.startsWith('-')) for (const ch of text.slice(1)) flags.add(ch);
      }
    }
    // `declare -p X` prints and `declare -f` lists functions: neither assigns.
    const assigns = !flags.has('p') && !flags.has('f') && !flags.has('F');
    const local =
      scope.inFunction &&
      (variant === 'local' || ((variant === 'declare' || variant === 'typeset') && !flags.has('g')));
    const isRef = flags.has('n') && variant !== 'export';
    for (const arg of node.Args as ShNode[]) {
      if (arg.Naked && !arg.Name) {
        const text = literalWord(arg.Value);
        if (text === undefined) {
          this.visit(scope, arg.Value);
          if (assigns) this.assignDynamic(scope, arg.Value);
        } else if (assigns && !/^[-+]/.test(text)) {
          // A quoted literal `'NAME=value'` or `"NAME"`.
          const name = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[.*\])?(?:\+?=|$)/s.exec(text)?.[1];
          if (name) this.assign(scope, name, local);
        }
        continue;
      }
      this.visitAssign(scope, arg, assigns, local, isRef);
    }
  }

  private visitCall(scope: Scope, node: ShNode): void {
    const args = node.Args as ShNode[];
    for (const a of node.Assigns as ShNode[]) this.visitAssign(scope, a, args.length === 0);
    const words = args.map((w) => literalWord(w));
    let start = 0;
    while (words[start] === 'command' || words[start] === 'builtin') start++;
    const command = words[start];
    if (command === '[' || command === 'test') {
      this.visitAll({ ...scope, soft: 'test' }, args);
      words.forEach((w, i) => {
        const name = words[i + 1];
        if (w === '-v' && name !== undefined) this.found.guarded.add(name.replace(/\[.*$/s, ''));
      });
      return;
    }
    this.visitAll(scope, args);
    if (command === undefined) return;
    const rest = words.slice(start);
    if (
      command === 'set' &&
      rest.some((w, i) => /^\+[A-Za-z]*u/.test(w ?? '') || (w === '+o' && rest[i + 1] === 'nounset'))
    )
      this.found.relaxed = true;
    if (command === 'source' || command === '.') this.mayAny(scope, 'source');
    if (command === 'eval') this.mayAny(scope, 'eval');
    const { names, dynamic } = assignedByCommand(rest);
    for (const name of names) this.assignVia(scope, name);
    for (const at of dynamic) this.assignDynamic(scope, args[start + at]);
    const callArgs = rest.slice(1);
    const body = this.defs.get(command);
    if (body) {
      if (!this.active.has(command)) this.follow(scope, command, body, callArgs);
    } else if (!SHELL_BUILTINS.has(command) && !command.includes('/') && !this.active.has(command)) {
      this.recordCall(scope, command, callArgs);
    }
  }

  /** A call of a function this step defined: its body runs here, with these arguments. */
  private follow(scope: Scope, name: string, body: ShNode, args: Array<string | undefined>): void {
    this.active.add(name);
    try {
      this.visit(
        {
          ...scope,
          inFunction: true,
          locals: new Set(scope.locals ?? []),
          soft: undefined,
          args,
          refs: new Map(scope.refs),
        },
        body,
      );
    } finally {
      this.active.delete(name);
    }
  }

  /** A command this step does not define: maybe a function of an earlier step. */
  private recordCall(scope: Scope, name: string, args: Array<string | undefined>): void {
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
