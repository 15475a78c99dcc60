// Variables that bash builtins assign through their arguments rather than with `=`: read, mapfile,
// printf -v, getopts, wait -p, unset. A name given by an expansion (`read -r "$field"`) is only known
// at run time: its word's position is reported instead, for the caller to resolve or give up on.

export interface CommandAssignments {
  /** Names the command assigns (or unsets), as written. */
  names: string[];
  /** Positions (in `words`) of words that name an assigned variable but expand something. */
  dynamic: number[];
  /** A word that expands something stands where an option may (given `starts`): any name may be assigned. */
  computedOptions?: boolean;
}

const NONE: CommandAssignments = { names: [], dynamic: [] };

/** The builtins that assign through their arguments, and which of their options take an argument. */
const WITH_ARGUMENT: Record<string, string> = {
  read: 'adinNptu',
  mapfile: 'dnOsuCc',
  readarray: 'dnOsuCc',
  printf: 'v',
  wait: 'p',
  getopts: '',
  unset: '',
};

/** The declaration builtins, which the parser reads as commands when written so (`builtin export A=1`). */
export const DECLARATION_BUILTINS: ReadonlySet<string> = new Set([
  'declare',
  'typeset',
  'local',
  'export',
  'readonly',
]);

/**
 * `words` are the command's words, undefined where a word expands something. `starts`, when given, holds
 * each word's literal start (up to its first expansion): a word that expands where an option may stand,
 * and does not start with literal text other than `-`, is then reported as computed options.
 */
export function assignedByCommand(words: Array<string | undefined>, starts?: string[]): CommandAssignments {
  const [command] = words;
  const withArgument = command === undefined ? undefined : WITH_ARGUMENT[command];
  if (withArgument === undefined) return NONE;
  const { options, flags, operands, ended } = splitOptions(words, withArgument);
  const at = operands[0]?.at ?? words.length;
  const start = ended || words[at] !== undefined ? undefined : starts?.[at];
  if (start !== undefined && (start === '' || start.startsWith('-')))
    return { names: [], dynamic: [], computedOptions: true };
  switch (command) {
    case 'read': {
      const array = options.get('a');
      if (array) return fromOperands([array]);
      if (options.has('a')) return fromOperands([]);
      return operands.length ? fromOperands(operands) : { names: ['REPLY'], dynamic: [] };
    }
    case 'mapfile':
    case 'readarray':
      return operands.length ? fromOperands(operands.slice(0, 1)) : { names: ['MAPFILE'], dynamic: [] };
    case 'printf':
    case 'wait': {
      // The argument of `printf -v NAME`, `wait -p NAME`.
      const target = options.get(withArgument);
      return fromOperands(target ? [target] : []);
    }
    case 'getopts':
      return fromOperands(operands.slice(1, 2));
    default:
      // unset
      return flags.has('f') ? NONE : fromOperands(operands);
  }
}

interface Operand {
  /** The word, undefined when it expands something. */
  word: string | undefined;
  at: number;
}

function fromOperands(operands: Operand[]): CommandAssignments {
  const names: string[] = [];
  const dynamic: number[] = [];
  for (const { word, at } of operands) {
    if (word === undefined) dynamic.push(at);
    else if (/^[A-Za-z_]/.test(word)) names.push(word);
  }
  return { names, dynamic };
}

/**
 * getopts-style parsing of words[1..]: `-abc`, `-p prompt`, `-pprompt`, `--`. A word that expands
 * something ends the options unless it is an option's argument.
 */
function splitOptions(words: Array<string | undefined>, withArgument: string) {
  const options = new Map<string, Operand>();
  const flags = new Set<string>();
  /** Whether `--` ended the options. */
  let ended = false;
  let i = 1;
  for (; i < words.length; i++) {
    const word = words[i];
    if (word === '--') {
      ended = true;
      i++;
      break;
    }
    if (word === undefined || !word.startsWith('-') || word === '-') break;
    for (let j = 1; j < word.length; j++) {
      const flag = word[j] as string;
      flags.add(flag);
      if (withArgument.includes(flag)) {
        if (j + 1 < word.length) options.set(flag, { word: word.slice(j + 1), at: i });
        else {
          i++;
          options.set(flag, { word: words[i], at: i });
        }
        break;
      }
    }
  }
  const operands = words.slice(i).map((word, k) => ({ word, at: i + k }));
  return { options, flags, operands, ended };
}
