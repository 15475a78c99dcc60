// The simple commands a bash step runs, in order, with the directory each runs in and the files it
// writes: what `runbook check` needs to see which files a step names, and where they must be.
import { homedir } from 'node:os';
import path from 'node:path';
import { forEachChild, literalWord, loadShellParser, type ShNode } from './bash-parser.ts';

export type ShellEvent =
  | {
      type: 'command';
      /** The words after wrappers such as sudo or env; undefined where a word expands something. */
      words: Array<string | undefined>;
      /** 1-based line in the step's code of each word. */
      lines: number[];
      /** Absolute directory it runs in; undefined after a `cd` whose target cannot be known. */
      cwd: string | undefined;
    }
  | { type: 'write'; path: string; line: number };

export interface StepCommands {
  events: ShellEvent[];
  /** Where the step ends, for the next step; undefined when unknown. */
  endCwd: string | undefined;
  error?: string;
}

interface Scope {
  dir: string | undefined;
}

/** Expands `~` and resolves against `dir`; undefined when the place cannot be known. */
export function resolvePath(dir: string | undefined, target: string): string | undefined {
  if (target === '~' || target.startsWith('~/')) return path.join(homedir(), target.slice(1));
  if (path.isAbsolute(target)) return path.normalize(target);
  return dir === undefined ? undefined : path.resolve(dir, target);
}

/** Never throws: code that does not parse gives no events and an error message. */
export async function stepCommands(code: string, startDir: string | undefined): Promise<StepCommands> {
  let parser: Awaited<ReturnType<typeof loadShellParser>>;
  let file: ShNode;
  try {
    parser = await loadShellParser();
    file = parser.parse(code);
  } catch (error) {
    return { events: [], endCwd: startDir, error: (error as Error).message };
  }
  const { ops } = parser;
  const events: ShellEvent[] = [];

  const visitAll = (scope: Scope, nodes: ShNode[] | null | undefined) => {
    for (const node of nodes ?? []) visit(scope, node);
  };
  const visitChildren = (scope: Scope, node: ShNode) => forEachChild(node, (child) => visit(scope, child));
  const sub = (scope: Scope): Scope => ({ dir: scope.dir });

  const visit = (scope: Scope, node: ShNode): void => {
    if (!node) return;
    switch (node.type) {
      case 'Stmt': {
        const inner = node.Background || node.Coprocess ? sub(scope) : scope;
        for (const redirect of node.Redirs as ShNode[]) {
          const target = ops.redirectWrite.has(redirect.Op) ? literalWord(redirect.Word) : undefined;
          const resolved = target === undefined ? undefined : resolvePath(inner.dir, target);
          if (resolved) events.push({ type: 'write', path: resolved, line: redirect.line });
          visit(inner, redirect.Word);
        }
        visit(inner, node.Cmd);
        return;
      }
      case 'CallExpr': {
        visitChildren(scope, node);
        const args = node.Args as ShNode[];
        if (args.length === 0) return;
        const words = args.map((w) => literalWord(w));
        const lines = args.map((w) => w.line);
        const start = commandStart(words);
        const command = { words: words.slice(start), lines: lines.slice(start) };
        events.push({ type: 'command', ...command, cwd: scope.dir });
        changeDirectory(scope, command.words);
        return;
      }
      case 'Subshell':
      case 'CmdSubst':
      case 'ProcSubst':
        visitAll(sub(scope), node.Stmts);
        return;
      case 'BinaryCmd':
        if (ops.pipe.has(node.Op)) {
          visit(sub(scope), node.X);
          visit(sub(scope), node.Y);
        } else {
          visit(scope, node.X);
          visit(scope, node.Y);
        }
        return;
      case 'FuncDecl':
        visit(sub(scope), node.Body);
        return;
      case 'Lit':
      case 'SglQuoted':
        return;
      default:
        visitChildren(scope, node);
    }
  };

  const main: Scope = { dir: startDir };
  visitAll(main, file.Stmts);
  return { events, endCwd: main.dir };
}

/** `cd DIR`, `pushd DIR`: follow literal targets; anything else makes the directory unknown. */
function changeDirectory(scope: Scope, words: Array<string | undefined>): void {
  const [command, ...rest] = words;
  if (command === 'popd') {
    scope.dir = undefined;
    return;
  }
  if (command !== 'cd' && command !== 'pushd') return;
  const operands = rest.filter((w) => w === undefined || !/^-[LPe@]+$/.test(w));
  const target = operands[0];
  if (operands.length === 0) scope.dir = homedir();
  else if (target === undefined || target === '-') scope.dir = undefined;
  else scope.dir = resolvePath(scope.dir, target);
}

/** Index of the real command after wrappers: sudo, env, command, exec, time, nice, nohup, timeout. */
function commandStart(words: Array<string | undefined>): number {
  let i = 0;
  const skipFlags = () => {
    while (words[i]?.startsWith('-')) i++;
  };
  while (i < words.length) {
    const word = words[i];
    if (word === 'command' || word === 'exec' || word === 'time' || word === 'nohup' || word === 'builtin')
      i++;
    else if (word === 'sudo' || word === 'nice') {
      i++;
      skipFlags();
    } else if (word === 'env') {
      i++;
      skipFlags();
      while (words[i]?.includes('=')) i++;
    } else if (word === 'timeout') {
      i++;
      skipFlags();
      i++;
    } else break;
  }
  return i;
}

/** Files or directories a command creates: tee, touch, mkdir, cp/mv/ln/install, curl -o, wget -O, git clone. */
export function writtenByCommand(words: Array<string | undefined>): string[] {
  const [command, ...rest] = words;
  const operands = rest.filter((w): w is string => w !== undefined && !w.startsWith('-'));
  const optionValue = (...flags: string[]): string[] => {
    const found: string[] = [];
    rest.forEach((word, i) => {
      if (word === undefined) return;
      const next = rest[i + 1];
      for (const flag of flags) {
        // Short flags may be bundled: `curl -fsSLo file URL`.
        const bundled = !flag.startsWith('--') && /^-[A-Za-z]+$/.test(word) && word.endsWith(flag.slice(1));
        if ((word === flag || (flag.length === 2 && bundled)) && next !== undefined) found.push(next);
        else if (flag.startsWith('--') && word.startsWith(`${flag}=`))
          found.push(word.slice(flag.length + 1));
      }
    });
    return found;
  };
  switch (command) {
    case 'tee':
    case 'touch':
    case 'mkdir':
      return operands;
    case 'cp':
    case 'mv':
    case 'ln':
    case 'install':
      return operands.length >= 2 ? operands.slice(-1) : [];
    case 'curl':
      return optionValue('-o', '--output');
    case 'wget':
      return optionValue('-O', '--output-document');
    case 'openssl':
      return optionValue('-out');
    case 'git': {
      if (operands[0] !== 'clone') return [];
      // Option values (`--depth 1`) are operands here too; the repository is the first with / or :.
      const at = operands.findIndex((w) => /[/:]/.test(w));
      const url = operands[at];
      if (at === -1 || url === undefined) return [];
      return [operands[at + 1] ?? path.basename(url).replace(/\.git$/, '')];
    }
    default:
      return [];
  }
}
