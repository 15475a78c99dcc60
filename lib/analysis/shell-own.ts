// Variables that bash itself, or an ordinary login, provides: reading them never needs an earlier step.
import { NOT_CARRIED_PATTERN } from '../core/not-carried.ts';

const SHELL_OWN = new Set([
  // bash (Shell Variables in the bash manual), besides the ones it changes itself (NOT_CARRIED)
  'CDPATH',
  'CHILD_MAX',
  'COMPREPLY',
  'COPROC',
  'EXECIGNORE',
  'FCEDIT',
  'FIGNORE',
  'FUNCNEST',
  'GLOBIGNORE',
  'HISTCONTROL',
  'HISTFILE',
  'HISTFILESIZE',
  'HISTIGNORE',
  'HISTSIZE',
  'HISTTIMEFORMAT',
  'HOSTFILE',
  'IFS',
  'IGNOREEOF',
  'INPUTRC',
  'INSIDE_EMACS',
  'MAIL',
  'MAILCHECK',
  'MAILPATH',
  'MAPFILE',
  'PATH',
  'POSIXLY_CORRECT',
  'PROMPT_COMMAND',
  'PROMPT_DIRTRIM',
  'PS0',
  'REPLY',
  'SHELL',
  'TIMEFORMAT',
  'TMOUT',
  // a login session
  'HOME',
  'LANG',
  'LANGUAGE',
  'LOGNAME',
  'TERM',
  'USER',
]);

const SHELL_OWN_PREFIXES = ['BASH_', 'COMP_', 'READLINE_', 'LC_'];

/** True for bash's own variables and a login's standard ones (HOME, USER, LANG, LC_*, ...). */
export function isShellOwnVariable(name: string): boolean {
  return (
    NOT_CARRIED_PATTERN.test(name) ||
    SHELL_OWN.has(name) ||
    SHELL_OWN_PREFIXES.some((prefix) => name.startsWith(prefix) && name !== prefix)
  );
}
