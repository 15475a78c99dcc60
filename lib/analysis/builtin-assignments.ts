// Variables that bash builtins assign through their arguments rather than with `=`.

/** Names that builtins assign through arguments: read, mapfile, printf -v, getopts, unset. */
export function assignedByCommand(words: Array<string | undefined>): string[] {
  const [command, ...rest] = words;
  switch (command) {
    case 'read': {
      const { names, options } = splitOptions(rest, 'adinNptu');
      const array = options.get('a');
      return [...(array ? [array] : []), ...(options.has('a') ? [] : names)];
    }
    case 'mapfile':
    case 'readarray':
      return splitOptions(rest, 'dnOsuCc').names.slice(0, 1);
    case 'printf': {
      const target = splitOptions(rest, 'v').options.get('v');
      return target ? [target] : [];
    }
    case 'getopts':
      return rest[1] ? [rest[1]] : [];
    case 'unset': {
      const { names, flags } = splitOptions(rest, '');
      return flags.has('f') ? [] : names;
    }
    default:
      return [];
  }
}

/** getopts-style parsing: `-abc`, `-p prompt`, `-pprompt`, `--`; undefined (non-literal) words end options. */
function splitOptions(words: Array<string | undefined>, withArgument: string) {
  const options = new Map<string, string | undefined>();
  const flags = new Set<string>();
  let i = 0;
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
        const value = j + 1 < word.length ? word.slice(j + 1) : words[++i];
        options.set(flag, value);
        break;
      }
    }
  }
  const names = words.slice(i).filter((w): w is string => w !== undefined && /^[A-Za-z_]/.test(w));
  return { options, flags, names };
}
