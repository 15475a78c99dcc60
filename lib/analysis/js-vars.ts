// Which carried variables a JavaScript step assigns and reads through its `vars` object, found with acorn.
// Like `${X:-d}` in shell, reads that bring their own default (`vars.X ?? 'd'`, `vars.X || 'd'`,
// `const { X = 'd' } = vars`, `'X' in vars`) do not need X. Like `[ -z "$X" ]`, a step that tests X
// (`if (vars.X)`, `vars.X === undefined`, `typeof vars.X`, `vars.X?.y`, `vars.X && ...`) handles it
// unset: its reads of X are not certain. A write to a computed name (`vars[k] = v`) or `vars` handed to
// other code may set anything.
import { createRequire } from 'node:module';
import type * as Acorn from 'acorn';
import type { SoftReason, VariableAnalysis } from './variables.ts';

// Loaded on first use, synchronously, so commands that never analyse JavaScript do not pay it.
let acorn: typeof Acorn | undefined;
function loadAcorn(): typeof Acorn {
  acorn ??= createRequire(import.meta.url)('acorn') as typeof Acorn;
  return acorn;
}

interface EsNode {
  type: string;
  [key: string]: unknown;
}

const VARS = 'vars';

function isNode(value: unknown): value is EsNode {
  return typeof value === 'object' && value !== null && typeof (value as EsNode).type === 'string';
}

/** `vars.NAME`, `vars['NAME']`, `vars?.NAME`: the NAME, else undefined. */
function varsMember(node: unknown): string | undefined {
  if (!isNode(node)) return undefined;
  if (node.type === 'ChainExpression') return varsMember(node.expression);
  if (node.type !== 'MemberExpression') return undefined;
  const object = node.object as EsNode;
  if (object.type !== 'Identifier' || object.name !== VARS) return undefined;
  const property = node.property as EsNode;
  if (!node.computed && property.type === 'Identifier') return property.name as string;
  if (node.computed && property.type === 'Literal' && typeof property.value === 'string')
    return property.value;
  return undefined;
}

function isVars(node: unknown): boolean {
  return isNode(node) && node.type === 'Identifier' && node.name === VARS;
}

function propertyKey(property: EsNode): string | undefined {
  const key = property.key as EsNode;
  if (!property.computed && key.type === 'Identifier') return key.name as string;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  return undefined;
}

export function analyzeJs(code: string): VariableAnalysis {
  let program: EsNode;
  try {
    program = loadAcorn().parse(code, {
      ecmaVersion: 'latest',
      sourceType: 'module',
      allowAwaitOutsideFunction: true,
      allowReturnOutsideFunction: true,
      allowHashBang: true,
      locations: true,
    }) as unknown as EsNode;
  } catch (error) {
    return { sets: [], needs: [], maySetAny: 'unreadable', error: (error as Error).message };
  }
  const sets = new Set<string>();
  const needs = new Set<string>();
  const guarded = new Set<string>();
  let maySetAny: string | undefined;
  /** The line of the node being visited, and where each name is first read. */
  let line = 0;
  const readLines: Record<string, number> = {};
  const read = (name: string) => {
    if (!sets.has(name)) needs.add(name);
    if (line && !(name in readLines)) readLines[name] = line;
  };
  const guard = (node: unknown): boolean => {
    const name = varsMember(node);
    if (name === undefined) return false;
    guarded.add(name);
    read(name);
    return true;
  };
  /** `vars[expr] = ...`: a name known only when it runs. */
  const computedWrite = (node: unknown) => {
    if (
      isNode(node) &&
      node.type === 'MemberExpression' &&
      isVars(node.object) &&
      varsMember(node) === undefined
    )
      maySetAny = 'a computed name';
  };

  /** `{ A, B: b, C = 'd' } = vars`: each key is read unless it has a default. */
  const destructure = (pattern: EsNode) => {
    for (const property of pattern.properties as EsNode[]) {
      if (property.type !== 'Property') continue;
      const key = propertyKey(property);
      if (key !== undefined && (property.value as EsNode).type !== 'AssignmentPattern') read(key);
      visit(property.value);
    }
  };

  const visit = (node: unknown): void => {
    const at = (node as { loc?: { start?: { line?: number } } } | null)?.loc?.start?.line;
    if (at) line = at;
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!isNode(node)) return;
    switch (node.type) {
      case 'AssignmentExpression': {
        const target = varsMember(node.left);
        const op = node.operator as string;
        computedWrite(node.left);
        if (isVars(node.right) && !(isNode(node.left) && node.left.type === 'ObjectPattern'))
          maySetAny = 'vars handed on';
        if (target !== undefined) {
          if (op !== '=' && op !== '??=' && op !== '||=') read(target);
          visit(node.right);
          sets.add(target);
          return;
        }
        if (isVars(node.right) && isNode(node.left) && node.left.type === 'ObjectPattern') {
          destructure(node.left);
          return;
        }
        visit(node.right);
        visit(node.left);
        return;
      }
      case 'VariableDeclarator':
        if (isVars(node.init) && isNode(node.id) && node.id.type === 'ObjectPattern') {
          destructure(node.id);
          return;
        }
        if (isVars(node.init)) maySetAny = 'vars handed on';
        break;
      case 'IfStatement':
      case 'WhileStatement':
      case 'DoWhileStatement':
      case 'ConditionalExpression':
      case 'ForStatement':
        guardTest(node.test);
        break;
      case 'UpdateExpression': {
        const target = varsMember(node.argument);
        if (target === undefined) break;
        read(target);
        sets.add(target);
        return;
      }
      case 'UnaryExpression': {
        if (node.operator === 'delete') computedWrite(node.argument);
        if ((node.operator === '!' || node.operator === 'typeof') && guard(node.argument)) return;
        const target = node.operator === 'delete' ? varsMember(node.argument) : undefined;
        if (target === undefined) break;
        sets.add(target);
        return;
      }
      case 'LogicalExpression':
        if ((node.operator === '??' || node.operator === '||') && varsMember(node.left) !== undefined) {
          visit(node.right);
          return;
        }
        if (guard(node.left)) {
          visit(node.right);
          return;
        }
        break;
      case 'BinaryExpression':
        if (node.operator === 'in' && isVars(node.right)) {
          visit(node.left);
          return;
        }
        if (['===', '!==', '==', '!='].includes(node.operator as string)) {
          if (guard(node.left)) {
            visit(node.right);
            return;
          }
          if (guard(node.right)) {
            visit(node.left);
            return;
          }
        }
        break;
      case 'ChainExpression':
        // `vars.X?.y`: handles X unset.
        {
          const base = chainBase(node.expression);
          if (base !== node.expression && guard(base)) return;
        }
        break;
      case 'CallExpression':
        if ((node.arguments as EsNode[]).some(isVars) && !assignsObject(node)) maySetAny = 'vars handed on';
        if (assignsObject(node)) {
          const object = (node.arguments as EsNode[])[1] as EsNode;
          for (const property of object.properties as EsNode[]) {
            const key = property.type === 'Property' ? propertyKey(property) : undefined;
            visit(property.type === 'Property' ? property.value : property);
            if (key !== undefined) sets.add(key);
          }
          return;
        }
        break;
      default: {
        const name = varsMember(node);
        if (name !== undefined) {
          read(name);
          return;
        }
      }
    }
    for (const key of Object.keys(node)) {
      if (key !== 'type' && key !== 'loc') visit(node[key]);
    }
  };

  /** `if (vars.X)`: the test itself, negated or not, guards X. */
  function guardTest(test: unknown): void {
    if (isNode(test) && test.type === 'UnaryExpression' && test.operator === '!') guard(test.argument);
    else guard(test);
  }

  visit(program);
  const mayNeed: Record<string, SoftReason> = {};
  for (const name of guarded) {
    if (!needs.delete(name) && sets.has(name)) continue;
    mayNeed[name] = 'test';
  }
  return {
    sets: [...sets],
    needs: [...needs],
    ...(Object.keys(mayNeed).length ? { mayNeed } : {}),
    ...(maySetAny ? { maySetAny } : {}),
    ...(Object.keys(readLines).length ? { readLines } : {}),
  };
}

/** The innermost object of a member chain: `vars.X` in `vars.X?.y.z`. */
function chainBase(node: unknown): unknown {
  let current = node;
  while (isNode(current) && current.type === 'MemberExpression' && !isVars(current.object))
    current = current.object;
  return current;
}

/** `Object.assign(vars, { A: 1, B })`. */
function assignsObject(call: EsNode): boolean {
  const callee = call.callee as EsNode;
  const args = call.arguments as EsNode[];
  return (
    callee.type === 'MemberExpression' &&
    (callee.object as EsNode).type === 'Identifier' &&
    (callee.object as EsNode).name === 'Object' &&
    (callee.property as EsNode).name === 'assign' &&
    args.length === 2 &&
    isVars(args[0]) &&
    (args[1] as EsNode).type === 'ObjectExpression'
  );
}
