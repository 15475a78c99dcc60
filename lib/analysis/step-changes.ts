// What a bash step can change in the shell it runs in, so that after it the runner asks bash about those
// names only, instead of listing every variable (bash lists them in time quadratic in their number).
//
// Unlike the sets/needs analysis this one must never miss: anything it cannot pin down (eval, source, a
// name built at run time, a trap, a nameref to a computed name) makes the step "open", and the runner then
// compares everything. Subshells, `$(...)`, pipelines and background jobs change nothing of the step's
// shell. A function defined in the step counts where the step calls it; commands that may be functions
// defined by earlier steps are listed as calls, for the runner to check against the functions it holds.
// Known gap, as in any reading of code: arithmetic evaluates variables' values as expressions, so a value
// that is itself an assignment (`op='n+=1'; (( op ))`) changes a name no code shows.

import {
  forEachChild,
  literalWord as literal,
  literalStart,
  type OperatorCodes,
  type ShNode,
} from './bash-parser.ts';
import { assignedByCommand, DECLARATION_BUILTINS } from './builtin-assignments.ts';

/** Either the names a step may change, or why the runner must compare everything. */
export type StepChanges =
  | {
      vars: string[];
      functions: boolean;
      /** Whether it may change shell options (`set`, `shopt`): its snapshot then lists them. */
      options?: boolean;
      calls: string[];
    }
  | { open: string };

interface Effects {
  vars: Set<string>;
  functions: boolean;
  options: boolean;
  calls: Set<string>;
  open?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME_START = /^([A-Za-z_][A-Za-z0-9_]*)(\[|$)/;
/** Builtins that run code the step does not show. */
const RUNS_CODE = new Set(['eval', 'source', '.', 'enable', 'fc', 'trap']);

export function stepChanges(ops: OperatorCodes, file: ShNode): StepChanges {
  const functions = new Map<string, Effects>();
  const fresh = (): Effects => ({ vars: new Set(), functions: false, options: false, calls: new Set() });

  const walk = (fx: Effects, node: ShNode | null | undefined): void => {
    if (!node || fx.open) return;
    switch (node.type) {
      case 'Stmt':
        // A background job, a coprocess's body: other processes.
        if (!node.Background && !node.Coprocess) walk(fx, node.Cmd);
        for (const r of node.Redirs as ShNode[]) redirect(fx, r);
        return;
      case 'Subshell':
      case 'CmdSubst':
      case 'ProcSubst':
        return;
      case 'BinaryCmd':
        // `a | b` runs both sides in subshells (lastpipe, which keeps the last, makes the step open).
        if (!ops.pipe.has(node.Op)) {
          walk(fx, node.X);
          walk(fx, node.Y);
        }
        return;
      case 'FuncDecl': {
        fx.functions = true;
        const body = fresh();
        walk(body, node.Body);
        functions.set(node.Name.Value, body);
        return;
      }
      case 'CallExpr':
        call(fx, node);
        return;
      case 'DeclClause':
        declare(fx, node.Variant.Value, node.Args);
        return;
      case 'Assign':
        assign(fx, node);
        return;
      case 'ParamExp':
        param(fx, node);
        return;
      case 'BinaryArithm':
      case 'UnaryArithm':
        if (ops.arithAssign.has(node.Op) || ops.arithIncDec.has(node.Op)) target(fx, node.X);
        forEachChild(node, (c) => walk(fx, c));
        return;
      case 'LetClause':
        for (const e of node.Exprs as ShNode[]) {
          if (e.type === 'Word' && literal(e) !== undefined && !NAME.test(literal(e) as string))
            fx.open = 'let with a quoted expression';
          walk(fx, e);
        }
        return;
      case 'ForClause':
        if (node.Loop.type === 'WordIter') {
          add(fx, node.Loop.Name.Value);
          if (node.Select) add(fx, 'REPLY');
        }
        forEachChild(node, (c) => walk(fx, c));
        return;
      case 'CoprocClause': {
        const name = literal(node.Name) ?? 'COPROC';
        add(fx, name);
        add(fx, `${name}_PID`);
        return;
      }
      default:
        forEachChild(node, (c) => walk(fx, c));
    }
  };

  const add = (fx: Effects, name: string) => {
    const base = NAME_START.exec(name)?.[1];
    if (base) fx.vars.add(base);
    else fx.open = `assigns ${name}`;
  };

  /** A word naming a variable: literal, or at least a literal `name[` before the subscript expands. */
  const named = (fx: Effects, word: ShNode, what: string) => {
    const text = literal(word);
    if (text !== undefined) return add(fx, text);
    const start = /^([A-Za-z_][A-Za-z0-9_]*)\[/.exec(literalStart(word));
    if (start) fx.vars.add(start[1] as string);
    else fx.open = `${what} a computed name`;
    forEachChild(word, (c) => walk(fx, c));
  };

  const redirect = (fx: Effects, r: ShNode) => {
    const fd = r.N?.Value as string | undefined;
    if (fd?.startsWith('{')) add(fx, fd.slice(1, -1));
    walk(fx, r.Word);
    walk(fx, r.Hdoc);
  };

  const assign = (fx: Effects, a: ShNode) => {
    if (a.Name) add(fx, a.Name.Value);
    walk(fx, a.Index);
    walk(fx, a.Value);
    walk(fx, a.Array);
  };

  const param = (fx: Effects, p: ShNode) => {
    if (p.Exp && ops.paramAssign.has(p.Exp.Op)) {
      if (p.Excl) fx.open = 'assigns through an indirect name';
      else add(fx, p.Param.Value);
    }
    forEachChild(p, (c) => walk(fx, c));
  };

  /** The target of an arithmetic assignment: `x`, `a[i]` or `$x` (which names whatever x holds). */
  const target = (fx: Effects, x: ShNode) => {
    const only = x.type === 'Word' && x.Parts.length === 1 ? x.Parts[0] : undefined;
    if (only?.type === 'Lit') add(fx, only.Value);
    else if (only?.type === 'ParamExp' && !only.Excl) add(fx, only.Param.Value);
    else fx.open = 'arithmetic assigns a computed name';
  };

  const declare = (fx: Effects, variant: string, args: ShNode[]) => {
    const flags = new Set<string>();
    for (const a of args) {
      const text = a.Naked && !a.Name ? literal(a.Value) : undefined;
      if (text && /^[-+]/.test(text)) for (const ch of text.slice(1)) flags.add(ch);
    }
    if (flags.has('p') || flags.has('F') || (flags.has('f') && variant !== 'local')) return;
    for (const a of args) {
      if (a.Naked && !a.Name) {
        const text = literal(a.Value);
        if (text === undefined) named(fx, a.Value, `${variant} of`);
        else if (!/^[-+]/.test(text)) add(fx, text.replace(/[+]?=.*$/s, ''));
        continue;
      }
      assign(fx, a);
      if (flags.has('n')) {
        const to = literal(a.Value);
        if (a.Value && to === undefined) fx.open = 'a nameref to a computed name';
        else if (to) add(fx, to);
      }
    }
  };

  const call = (fx: Effects, node: ShNode) => {
    const args = node.Args as ShNode[];
    for (const a of node.Assigns as ShNode[]) assign(fx, a);
    for (const w of args) walk(fx, w);
    if (args.length === 0) return;
    let i = 0;
    let viaBuiltin = false;
    for (let w = literal(args[0]); w === 'command' || w === 'builtin'; w = literal(args[i])) {
      viaBuiltin = true;
      i++;
    }
    const name = literal(args[i]);
    if (name === undefined) {
      if (i < args.length) fx.open = 'runs a computed command';
      return;
    }
    if (!viaBuiltin) fx.calls.add(name);
    const rest = args.slice(i + 1);
    if (RUNS_CODE.has(name)) {
      if (name !== 'trap' || trapRunsCode(rest)) fx.open = `runs ${name}`;
      return;
    }
    if (DECLARATION_BUILTINS.has(name)) return declareWords(fx, name, rest);
    if (name === 'shopt' && rest.some((w) => /lastpipe|expand_aliases/.test(literal(w) ?? '$'))) {
      fx.open = 'shopt lastpipe or expand_aliases';
      return;
    }
    if (name === 'let') {
      for (const w of rest) if (literal(w) !== undefined) fx.open = 'let with a quoted expression';
      return;
    }
    if (name === 'unset') fx.functions = true;
    if (name === 'shopt' || (name === 'set' && rest.length > 0)) fx.options = true;
    const assigned = assignedByCommand(
      [name, ...rest.map((w) => literal(w))],
      [name, ...rest.map((w) => literalStart(w))],
    );
    if (assigned.computedOptions) fx.open = `${name} with computed options`;
    for (const n of assigned.names) add(fx, n);
    for (const at of assigned.dynamic) named(fx, rest[at - 1] as ShNode, `${name} into`);
  };

  /** `builtin declare a=1 "b=$x"`: words, not a parsed declaration. */
  const declareWords = (fx: Effects, variant: string, words: ShNode[]) => {
    for (const w of words) {
      const text = literal(w);
      if (text === undefined) named(fx, w, `${variant} of`);
      else if (text.startsWith('-') && text.includes('n')) fx.open = 'a nameref made from words';
      else if (!/^[-+]/.test(text)) add(fx, text.replace(/[+]?=.*$/s, ''));
    }
  };

  const top = fresh();
  for (const s of file.Stmts as ShNode[]) walk(top, s);
  // Functions the step defines count where the step calls them, and what they call in turn.
  const seen = new Set<string>();
  const pending = [...top.calls];
  while (pending.length && !top.open) {
    const name = pending.pop() as string;
    const body = functions.get(name);
    if (!body || seen.has(name)) continue;
    seen.add(name);
    if (body.open) top.open = `calls ${name}, which ${body.open}`;
    for (const v of body.vars) top.vars.add(v);
    top.functions ||= body.functions;
    top.options ||= body.options;
    for (const c of body.calls) {
      top.calls.add(c);
      pending.push(c);
    }
  }
  if (top.open) return { open: top.open };
  // A called name the step defines stays a call: the step may call an earlier step's function of that name
  // before it defines its own.
  return {
    vars: [...top.vars].sort(),
    functions: top.functions,
    ...(top.options ? { options: true } : {}),
    calls: [...top.calls].sort(),
  };
}

/**
 * Whether a `trap` sets a handler that may run during the step. `trap - SIG`, `trap '' SIG` and listing
 * set none; an EXIT handler runs after the runner has read what the step left, so it changes nothing carried.
 */
function trapRunsCode(words: ShNode[]): boolean {
  if (words.length === 0) return false;
  const handler = literal(words[0]);
  if (handler !== undefined && (/^-[lp]$/.test(handler) || handler === '-' || handler === '')) return false;
  const signals = words.slice(1).map((w) => literal(w));
  return !signals.length || signals.some((s) => s !== 'EXIT' && s !== '0');
}
