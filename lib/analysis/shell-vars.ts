// Which variables a bash step assigns and which it reads, from mvdan/sh's syntax tree.
//
// Choices, biased against false "missing variable" reports (they stop `--yes` runs):
// - An assignment anywhere earlier in the step satisfies later reads, even inside `if` or `&&`.
// - Assignments in subshells, `$(...)`, pipelines and background commands are not the step's sets,
//   but satisfy reads inside that subshell.
// - Function bodies are analysed after the rest of the step, so a read in a function is satisfied by
//   any assignment in the step or in the function; their global assignments count as sets, `local` ones not.
// - Bare names in array subscripts (`${a[key]}`) are not reads: for associative arrays they are strings.
// - `X=1 cmd` sets X for cmd only: not a set.

import { IDENTIFIER } from '../core/identifiers.ts';
import { forEachChild, literalWord, type ShellParser, type ShNode } from './bash-parser.ts';
import { assignedByCommand } from './builtin-assignments.ts';
import { isShellOwnVariable } from './shell-own.ts';

export interface VariableAnalysis {
  sets: string[];
  needs: string[];
  error?: string;
}

interface Scope {
  assigned: Set<string>;
  /** Whether assignments here are the step's own sets (false in subshells). */
  carries: boolean;
  /** Inside a function body, where `local`/`declare` make function-local variables. */
  inFunction: boolean;
}

export function analyzeShellTree(parser: ShellParser, file: ShNode): VariableAnalysis {
  const { ops } = parser;
  const sets = new Set<string>();
  const needs = new Set<string>();
  const functions: ShNode[] = [];
  const type = (node: ShNode): string => node.type;
  const literal = (word: ShNode): string | undefined => literalWord(word);

  const read = (scope: Scope, name: string) => {
    // `$_` is the last argument of the previous command, not a variable anyone sets.
    if (!IDENTIFIER.test(name) || name === '_' || isShellOwnVariable(name) || scope.assigned.has(name))
      return;
    needs.add(name);
  };
  const assign = (scope: Scope, name: string, carries = scope.carries) => {
    const base = name.replace(/\[.*$/s, '');
    if (!IDENTIFIER.test(base)) return;
    scope.assigned.add(base);
    if (carries) sets.add(base);
  };
  const child = (scope: Scope, carries: boolean, inFunction = scope.inFunction): Scope => ({
    assigned: new Set(scope.assigned),
    carries,
    inFunction,
  });

  const visitAll = (scope: Scope, nodes: ShNode[] | null | undefined) => {
    for (const node of nodes ?? []) visit(scope, node);
  };

  const visitChildren = (scope: Scope, node: ShNode) => forEachChild(node, (child) => visit(scope, child));

  const visit = (scope: Scope, node: ShNode): void => {
    if (!node) return;
    switch (type(node)) {
      case 'Stmt': {
        const inner = node.Background || node.Coprocess ? child(scope, false) : scope;
        // Redirections are expanded before the command runs.
        visitAll(inner, node.Redirs);
        visit(inner, node.Cmd);
        return;
      }
      case 'CallExpr':
        visitCall(scope, node);
        return;
      case 'DeclClause':
        visitDecl(scope, node);
        return;
      case 'Assign':
        visitAssign(scope, node, true);
        return;
      case 'ParamExp':
        visitParam(scope, node);
        return;
      case 'ArithmExp':
      case 'ArithmCmd':
      case 'ParenArithm':
        visitArith(scope, node.X);
        return;
      case 'LetClause':
        for (const expr of node.Exprs as ShNode[]) visitArith(scope, expr);
        return;
      case 'Subshell':
      case 'CmdSubst':
      case 'ProcSubst':
        visitAll(child(scope, false), node.Stmts);
        return;
      case 'BinaryCmd':
        if (ops.pipe.has(node.Op)) {
          visit(child(scope, false), node.X);
          visit(child(scope, false), node.Y);
          return;
        }
        visit(scope, node.X);
        visit(scope, node.Y);
        return;
      case 'ForClause':
        visitFor(scope, node);
        return;
      case 'FuncDecl':
        functions.push(node.Body);
        return;
      case 'Lit':
      case 'SglQuoted':
      case 'ExtGlob':
        return;
      default:
        visitChildren(scope, node);
    }
  };

  const visitAssign = (scope: Scope, node: ShNode, isSet: boolean, carries = scope.carries) => {
    if (node.Index) visitArith(scope, node.Index, false);
    visit(scope, node.Value);
    if (node.Array) for (const elem of node.Array.Elems as ShNode[]) visitAssignElem(scope, elem);
    if (isSet && node.Name) assign(scope, node.Name.Value, carries);
  };

  const visitAssignElem = (scope: Scope, elem: ShNode) => {
    if (elem.Index) visitArith(scope, elem.Index, false);
    visit(scope, elem.Value);
  };

  const visitParam = (scope: Scope, node: ShNode) => {
    const name: string = node.Param.Value;
    if (node.Index) visitArith(scope, node.Index, false);
    if (node.Slice) {
      visitArith(scope, node.Slice.Offset);
      visitArith(scope, node.Slice.Length);
    }
    if (node.Repl) {
      visit(scope, node.Repl.Orig);
      visit(scope, node.Repl.With);
    }
    const exp = node.Exp;
    if (exp) visit(scope, exp.Word);
    // `${!prefix*}` lists names; it reads none of them.
    if (node.Excl && node.Names) return;
    if (exp && ops.paramAssign.has(exp.Op)) {
      assign(scope, name);
      return;
    }
    if (exp && ops.paramDefault.has(exp.Op)) return;
    read(scope, name);
  };

  /** Arithmetic reads bare names as variables, except in subscripts (`bareReads` false). */
  const visitArith = (scope: Scope, expr: ShNode, bareReads = true): void => {
    if (!expr) return;
    switch (type(expr)) {
      case 'Word': {
        const parts = expr.Parts as ShNode[];
        const only = parts.length === 1 ? parts[0] : undefined;
        if (only && type(only) === 'Lit') {
          if (bareReads) read(scope, only.Value);
          return;
        }
        visit(scope, expr);
        return;
      }
      case 'BinaryArithm':
        if (ops.arithAssign.has(expr.Op)) {
          visitArith(scope, expr.Y, bareReads);
          const target = arithTarget(scope, expr.X);
          if (target === undefined) return;
          if (expr.Op !== ops.arithPlainAssign) read(scope, target);
          assign(scope, target);
          return;
        }
        visitArith(scope, expr.X, bareReads);
        visitArith(scope, expr.Y, bareReads);
        return;
      case 'UnaryArithm':
        if (ops.arithIncDec.has(expr.Op)) {
          const target = arithTarget(scope, expr.X);
          if (target !== undefined) {
            read(scope, target);
            assign(scope, target);
          }
          return;
        }
        visitArith(scope, expr.X, bareReads);
        return;
      case 'ParenArithm':
        visitArith(scope, expr.X, bareReads);
        return;
      default:
        visit(scope, expr);
    }
  };

  /** The variable an arithmetic assignment writes: `x` or `a[i]` (whose subscript is read). */
  const arithTarget = (scope: Scope, expr: ShNode): string | undefined => {
    if (type(expr) !== 'Word') return undefined;
    const only = expr.Parts.length === 1 ? expr.Parts[0] : undefined;
    if (!only) return undefined;
    if (type(only) === 'Lit') return only.Value;
    if (type(only) === 'ParamExp') {
      if (only.Index) visitArith(scope, only.Index, false);
      return only.Param.Value;
    }
    visit(scope, expr);
    return undefined;
  };

  const visitFor = (scope: Scope, node: ShNode) => {
    const loop = node.Loop;
    if (type(loop) === 'WordIter') {
      visitAll(scope, loop.Items);
      assign(scope, loop.Name.Value);
    } else {
      visitArith(scope, loop.Init);
      visitArith(scope, loop.Cond);
      visitArith(scope, loop.Post);
    }
    visitAll(scope, node.Do);
  };

  const visitDecl = (scope: Scope, node: ShNode) => {
    const variant: string = node.Variant.Value;
    const flags = new Set<string>();
    for (const arg of node.Args as ShNode[]) {
      if (arg.Naked && !arg.Name) {
        const text = literal(arg.Value);
        if (text && /^[-+]/.test(text)) for (const ch of text.slice(1)) flags.add(ch);
      }
    }
    // `declare -p X` prints and `declare -f` lists functions: neither assigns.
    const assigns = !flags.has('p') && !flags.has('f') && !flags.has('F');
    const local =
      scope.inFunction &&
      (variant === 'local' || ((variant === 'declare' || variant === 'typeset') && !flags.has('g')));
    for (const arg of node.Args as ShNode[]) {
      visitAssign(scope, arg, assigns, local ? false : scope.carries);
    }
  };

  const visitCall = (scope: Scope, node: ShNode) => {
    const args = node.Args as ShNode[];
    for (const a of node.Assigns as ShNode[]) visitAssign(scope, a, args.length === 0);
    visitAll(scope, args);
    const words = args.map((w) => literal(w));
    while (words[0] === 'command' || words[0] === 'builtin') words.shift();
    for (const name of assignedByCommand(words)) assign(scope, name);
  };

  const step: Scope = { assigned: new Set(), carries: true, inFunction: false };
  visitAll(step, file.Stmts);
  // Functions defined inside functions are appended while this runs.
  for (let i = 0; i < functions.length; i++) {
    visit({ assigned: new Set(step.assigned), carries: true, inFunction: true }, functions[i] as ShNode);
  }
  return { sets: [...sets], needs: [...needs] };
}
