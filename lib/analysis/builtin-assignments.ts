// Variables that bash builtins assign through their arguments rather than with `=`: read, mapfile,
// printf -v, getopts, wait -p, unset. A name given by an expansion (`read -r "$field"`) is only known
// at run time: its word's position is reported instead, for the caller to resolve or give up on.

export interface CommandAssignments {
  /** Names the command assigns (or unsets), as written. */
  names: string[];
  /** Positions (in `words`) of words that name an assigned variable but expand something. */
  dynamic: number[];
}

const NONE: CommandAssignments = { names: [], dynamic: [] };

/** `words` are the command's words, undefined where a word expands something. */
export function assignedByCommand(words: Array<string | undefined>): CommandAssignments {
  const [command] = words;
  switch (command) {
    case 'read': {
      const { options, operands } = splitOptions(words, 'adinNptu');
      const array = options.get('a');
      if (array) return fromOperands([array]);
      if (options.has('a')) return fromOperands([]);
      return operands.length ? fromOperands(operands) : { names: ['REPLY'], dynamic: [] };
    }
    case 'mapfile':
    case 'readarray': {
      const { operands } = splitOptions(words, 'dnOsuCc');
      return operands.length ? fromOperands(operands.slice(0, 1)) : { names: ['MAPFILE'], dynamic: [] };
    }
    case 'printf':
      return fromOperands(optionTarget(words, 'v'));
    case 'wait':
      return fromOperands(optionTarget(words, 'p'));
    case 'getopts': {
      const { operands } = splitOptions(words, '');
      return fromOperands(operands.slice(1, 2));
    }
    case 'unset': {
      const { operands, flags } = splitOptions(words, '');
      return flags.has('f') ? NONE : fromOperands(operands);
    }
    default:
      return NONE;
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

/** The argument of option `-flag` (`printf -v NAME`, `wait -p NAME`). */
function optionTarget(words: Array<string | undefined>, flag: string): Operand[] {
  const { options } = splitOptions(words, flag);
  const target = options.get(flag);
  return target ? [target] : [];
}

/**
 * getopts-style parsing of words[1..]: `-abc`, `-p prompt`, `-pprompt`, `--`. A word that expands
 * something ends the options unless it is an option's argument.
 */
function splitOptions(words: Array<string | undefined>, withArgument: string) {
  const options = new Map<string, Operand>();
  const flags = new Set<string>();
  let i = 1;
  for (; i < words.length; i++) {
    const word = words[i];
    if (word === '--') {
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
  return { options, flags, operands };
}
