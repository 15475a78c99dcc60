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
const COMPUTED: CommandAssignments = { names: [], dynamic: [], computedOptions: true };

/**
 * `words` are the command's words, undefined where a word expands something. `starts`, when given, holds
 * each word's literal start (up to its first expansion): a word that expands where an option may stand,
 * and does not start with literal text other than `-`, is then reported as computed options.
 */
export function assignedByCommand(words: Array<string | undefined>, starts?: string[]): CommandAssignments {
  const split = (withArgument: string) => {
    const parts = splitOptions(words, withArgument);
    const at = parts.operands[0]?.at ?? words.length;
    const start = parts.ended || words[at] !== undefined ? undefined : starts?.[at];
    return { ...parts, computed: start !== undefined && (start === '' || start.startsWith('-')) };
  };
  return assignedBy(words[0], split);
}

type Split = (withArgument: string) => ReturnType<typeof splitOptions> & { computed: boolean };

function assignedBy(command: string | undefined, splitOptions: Split): CommandAssignments {
  switch (command) {
    case 'read': {
      const { options, operands, computed } = splitOptions('adinNptu');
      if (computed) return COMPUTED;
      const array = options.get('a');
      if (array) return fromOperands([array]);
      if (options.has('a')) return fromOperands([]);
      return operands.length ? fromOperands(operands) : { names: ['REPLY'], dynamic: [] };
    }
    case 'mapfile':
    case 'readarray': {
      const { operands, computed } = splitOptions('dnOsuCc');
      if (computed) return COMPUTED;
      return operands.length ? fromOperands(operands.slice(0, 1)) : { names: ['MAPFILE'], dynamic: [] };
    }
    case 'printf':
      return optionTarget(splitOptions('v'), 'v');
    case 'wait':
      return optionTarget(splitOptions('p'), 'p');
    case 'getopts': {
      const { operands, computed } = splitOptions('');
      return computed ? COMPUTED : fromOperands(operands.slice(1, 2));
    }
    case 'unset': {
      const { operands, flags, computed } = splitOptions('');
      if (computed) return COMPUTED;
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
function optionTarget(split: ReturnType<Split>, flag: string): CommandAssignments {
  if (split.computed) return COMPUTED;
  const target = split.options.get(flag);
  return fromOperands(target ? [target] : []);
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
