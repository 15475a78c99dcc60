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

import { forEachChild, literalWord, type OperatorCodes, type ShNode } from './bash-parser.ts';
import { assignedByCommand, DECLARATION_BUILTINS } from './builtin-assignments.ts';

import { AssignmentWalk } from './shell-assignments.ts';
import { SHELL_BUILTINS } from './shell-builtins.ts';
import { Findings, type Scope } from './shell-scope.ts';
import type { FunctionInfo, VariableAnalysis } from './variables.ts';

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

class Walker extends AssignmentWalk {
  private readonly active = new Set<string>();

  constructor(
    ops: OperatorCodes,
    private readonly defs: Map<string, ShNode>,
    found: Findings,
    alone: boolean,
  ) {
    super(ops, found, alone);
  }

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
        // `a && b`, `a || b`: b may not run.
        this.visit(scope, node.X);
        this.visit(this.branch(scope), node.Y);
        return;
      case 'IfClause':
        this.visitAll(scope, node.Cond);
        this.visitAll(this.branch(scope), node.Then);
        this.visit(this.branch(scope), node.Else);
        return;
      case 'CaseClause':
        this.visit(scope, node.Word);
        for (const item of (node.Items ?? []) as ShNode[]) this.visit(this.branch(scope), item);
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
    // A loop's body almost always runs (most loop over written words): its reads stay certain.
    this.visitAll(scope, node.Do);
  }

  /** A scope for code that may not run (an if's or case's branch, after && or ||): reads not certain. */
  private branch(scope: Scope): Scope {
    return scope.soft ? scope : { ...scope, soft: 'branch' };
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
    if (command === undefined) {
      this.visitAll(scope, args);
      // `"$@"`, `$cmd`: whatever runs may be a function that sets anything.
      if (start < args.length) this.mayAny(scope, 'a computed command');
      return;
    }
    if (DECLARATION_BUILTINS.has(command)) {
      this.visitDeclWords(scope, command, args.slice(start + 1));
      return;
    }
    this.visitAll(scope, args);
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
}
