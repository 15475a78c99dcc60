// Where bash assigns and reads inside words and declarations: an assignment's value and subscripts,
// declare/local/export (local, nameref, a name given by an expansion), parameter expansions (which may
// assign, test or read) and arithmetic (which reads bare names, and may assign). shell-vars.ts walks the
// commands and compound statements around them.

import { literalWord, type OperatorCodes, type ShNode } from './bash-parser.ts';
import { type Findings, type Scope, ScopeWalk } from './shell-scope.ts';

export abstract class AssignmentWalk extends ScopeWalk {
  constructor(
    protected readonly ops: OperatorCodes,
    found: Findings,
    alone: boolean,
  ) {
    super(found, alone);
  }

  abstract visit(scope: Scope, node: ShNode | null | undefined): void;

  protected visitAssign(scope: Scope, node: ShNode, isSet: boolean, local = false, isRef = false): void {
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

  protected visitParam(scope: Scope, node: ShNode): void {
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
  protected visitArith(outer: Scope, expr: ShNode | null | undefined, bareReads = true): void {
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
  protected arithTarget(scope: Scope, expr: ShNode): string | undefined {
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

  protected visitDecl(scope: Scope, node: ShNode): void {
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
      if (arg.Naked && !arg.Name) this.declaredWord(scope, arg.Value, assigns, local);
      else this.visitAssign(scope, arg, assigns, local, isRef);
    }
  }

  /**
   * `builtin export A=1`, `command declare -i "N=$x"`, `\\export B`: a declaration the parser reads as a
   * command, its words as written. A nameref made so is a computed name.
   */
  protected visitDeclWords(scope: Scope, variant: string, words: ShNode[]): void {
    const flags = new Set<string>();
    for (const w of words) {
      const text = literalWord(w);
      if (text?.startsWith('-')) for (const ch of text.slice(1)) flags.add(ch);
    }
    const assigns = !flags.has('p') && !flags.has('f') && !flags.has('F');
    const local =
      scope.inFunction &&
      (variant === 'local' || ((variant === 'declare' || variant === 'typeset') && !flags.has('g')));
    if (assigns && flags.has('n') && variant !== 'export') this.mayAny(scope, 'a nameref');
    for (const w of words) this.declaredWord(scope, w, assigns, local);
  }

  /** One word of a declaration that is not a parsed assignment: a name, `NAME=value`, or an expansion. */
  private declaredWord(scope: Scope, word: ShNode, assigns: boolean, local: boolean): void {
    const text = literalWord(word);
    if (text === undefined) {
      this.visit(scope, word);
      if (assigns) this.assignDynamic(scope, word);
    } else if (assigns && !/^[-+]/.test(text)) {
      // A quoted literal `'NAME=value'` or `"NAME"`.
      const name = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[.*\])?(?:\+?=|$)/s.exec(text)?.[1];
      if (name) this.assign(scope, name, local);
    }
  }
}
