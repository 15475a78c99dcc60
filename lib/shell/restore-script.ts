// Shared pieces of the bash side of carried state: which variables are never carried, and the function
// that takes the runner's own values (NUL-separated data, assigned with `printf -v` or a nameref) into a
// shell, so such a value is never parsed as code.

/** Bash's own changing variables and the shell's bookkeeping: never carried. */
export const NOT_CARRIED = [
  'BASH*',
  'BASHOPTS',
  'BASHPID',
  'COLUMNS',
  'COMP_*',
  'COPROC*',
  'DIRSTACK',
  'EPOCHREALTIME',
  'EPOCHSECONDS',
  'EUID',
  'FUNCNAME',
  'GROUPS',
  'HISTCMD',
  'HOSTNAME',
  'HOSTTYPE',
  'LINENO',
  'LINES',
  'MACHTYPE',
  'OLDPWD',
  'OPTARG',
  'OPTERR',
  'OPTIND',
  'OSTYPE',
  'PIPESTATUS',
  'PPID',
  'PS1',
  'PS2',
  'PS3',
  'PS4',
  'PWD',
  'RANDOM',
  'SECONDS',
  'SHELLOPTS',
  'SHLVL',
  'SRANDOM',
  'UID',
  '_',
  '__rb_*',
  '__RB_*',
] as const;

/** The same names as a pattern, for reading `declare -p` output. */
export const NOT_CARRIED_PATTERN = new RegExp(
  `^(${NOT_CARRIED.map((g) => g.replace(/\*/g, '.*')).join('|')})$`,
);

/**
 * Exit status the step shell uses when the interpreter is not bash 4+ (it needs `${x@a}`, namerefs, mapfile).
 * Chosen outside the range steps commonly use.
 */
export const EXIT_OLD_BASH = 197;

// Record layout (each field NUL-terminated):
//   header:  cwd
//   scalar:  name  attrs  's'  value
//   nameref: name  attrs  'n'  target
//   array:   name  attrs  'a'|'A'  count  (key value) * count
//   unset:   name  ''     'u'           (restore only)
//   then the functions, as `declare -f` prints them, go to a separate file.
/** Restores a NUL-separated context file ("$1") into the calling shell's globals. */
export const RESTORE_FUNCTION = `
__rb_restore() {
  builtin local -a __rb_f
  builtin local __rb_i=0 __rb_n __rb_a __rb_t __rb_c
  # One read of the whole stream, then indexing: far faster than a read per field.
  builtin mapfile -d '' __rb_f < "$1"
  while (( __rb_i < \${#__rb_f[@]} )); do
    __rb_n=\${__rb_f[__rb_i]} __rb_a=\${__rb_f[__rb_i+1]} __rb_t=\${__rb_f[__rb_i+2]}
    (( __rb_i += 3 ))
    case $__rb_t in
      u) builtin unset -v "$__rb_n" ;;
      s) builtin unset -v "$__rb_n"
         builtin printf -v "$__rb_n" '%s' "\${__rb_f[__rb_i++]}" ;;
      n) builtin unset -n "$__rb_n" 2>/dev/null; builtin unset -v "$__rb_n"
         builtin declare -gn "$__rb_n=\${__rb_f[__rb_i++]}" ;;
      a|A) __rb_c=\${__rb_f[__rb_i++]}
         builtin unset -v "$__rb_n"
         builtin declare -g"$__rb_t" "$__rb_n"
         builtin local -n __rb_ref="$__rb_n"
         while (( __rb_c-- > 0 )); do
           __rb_ref[\${__rb_f[__rb_i]}]=\${__rb_f[__rb_i+1]}
           (( __rb_i += 2 ))
         done
         builtin unset -n __rb_ref ;;
    esac
    if [[ -n $__rb_a && $__rb_t != u ]]; then builtin declare -g"$__rb_a" "$__rb_n"; fi
  done
}
`;
