// Files that steps name in path-like arguments (--values, -f, -k, --config...) and that are not there.
// A file an earlier command visibly creates (a redirection, tee, cp, curl -o, git clone...) counts as there.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { resolvePath, type StepCommands, stepCommands, writtenByCommand } from '../analysis/commands.ts';
import type { Runbook } from '../core/types.ts';
import type { CheckFinding } from './finding.ts';

/** Long options that name a file or directory for whatever command takes them. */
const PATH_OPTIONS = new Set(['--config', '--values', '--filename', '--kustomize']);

/** Short options that name a file only for some commands (`rm -f`, `tail -f`, `curl -k` do not). */
const SHORT_PATH_OPTIONS: Record<string, Set<string>> = {
  '-f': new Set(['kubectl', 'oc', 'helm', 'istioctl']),
  '-k': new Set(['kubectl', 'oc']),
};

/** Subcommands where a short option means something else (`kubectl logs -f` follows). */
const OTHER_MEANING: Record<string, Set<string>> = { logs: new Set(['-f']) };

export interface PathArgument {
  option: string;
  value: string;
  /** Index of the word holding the value. */
  word: number;
}

/** The path-like arguments of one command's words (undefined = a word that expands something). */
export function pathArguments(words: Array<string | undefined>): PathArgument[] {
  const command = path.basename(words[0] ?? '');
  const subcommand = words.slice(1).find((w) => w !== undefined && !w.startsWith('-'));
  const found: PathArgument[] = [];
  words.forEach((word, i) => {
    if (i === 0 || word === undefined) return;
    const next = words[i + 1];
    const [option, attached] = word.startsWith('--') ? splitOnce(word, '=') : [word, undefined];
    if (PATH_OPTIONS.has(option)) {
      if (attached !== undefined) found.push({ option, value: attached, word: i });
      else if (next !== undefined) found.push({ option, value: next, word: i + 1 });
      return;
    }
    const short = word.slice(0, 2);
    if (!SHORT_PATH_OPTIONS[short]?.has(command) || OTHER_MEANING[subcommand ?? '']?.has(short)) return;
    if (word === short) {
      if (next !== undefined) found.push({ option: short, value: next, word: i + 1 });
    } else found.push({ option: short, value: word.slice(2).replace(/^=/, ''), word: i });
  });
  // kubectl and helm take comma-separated lists.
  return found.flatMap((arg) => arg.value.split(',').map((value) => ({ ...arg, value })));
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** Values that name no local file: stdin, URLs, globs and brace lists (bash expands them), empty. */
function isCheckable(value: string): boolean {
  return value !== '' && value !== '-' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !/[*?[{]/.test(value);
}

/** True when `target` or a directory above it was created by an earlier command. */
function createdEarlier(created: Set<string>, target: string): boolean {
  for (let dir = target; ; dir = path.dirname(dir)) {
    if (created.has(dir)) return true;
    if (path.dirname(dir) === dir) return false;
  }
}

/** `commandsOf`: the commands of a step's code started in a directory (stepCommands, or a cache of it). */
export async function findPathProblems(
  runbook: Runbook,
  runbookDir: string,
  commandsOf: (code: string, startDir: string | undefined) => Promise<StepCommands> = stepCommands,
): Promise<CheckFinding[]> {
  const baseDir = path.resolve(runbookDir, runbook.frontMatter.cwd ?? '.');
  const created = new Set<string>();
  const findings: CheckFinding[] = [];
  let carried: string | undefined = baseDir;
  for (const step of runbook.steps) {
    const own =
      typeof step.attributes.cwd === 'string' ? path.resolve(baseDir, step.attributes.cwd) : undefined;
    if (own && !existsSync(own) && !createdEarlier(created, own)) {
      findings.push({
        line: step.line,
        step: step.name,
        severity: 'error',
        message: `cwd ${step.attributes.cwd} does not exist (${path.relative(runbookDir, own) || '.'})`,
      });
    }
    if (step.kind !== 'shell') continue;
    const start = own ?? carried;
    const { events, endCwd } = await commandsOf(step.code, start);
    for (const event of events) {
      if (event.type === 'write') {
        created.add(event.path);
        continue;
      }
      for (const arg of pathArguments(event.words)) {
        if (!isCheckable(arg.value)) continue;
        const target = resolvePath(event.cwd, arg.value);
        if (target === undefined || existsSync(target) || createdEarlier(created, target)) continue;
        const relative = path.relative(runbookDir, target);
        const lookedFor = relative === arg.value ? '' : ` (looked for ${relative})`;
        findings.push({
          line: step.line + (event.lines[arg.word] ?? 1),
          step: step.name,
          severity: 'error',
          message: `${arg.option} ${arg.value}: no such file or directory${lookedFor}`,
        });
      }
      for (const written of writtenByCommand(event.words)) {
        const target = resolvePath(event.cwd, written);
        if (target !== undefined) created.add(target);
      }
    }
    // A step with its own cwd= does not move where later steps start.
    if (!own) carried = endCwd;
  }
  return findings;
}
