// The bash side of carried state. A fixed wrapper restores the context, sources the step, then dumps every
// variable, function and the working directory. Values travel as NUL-separated data read with `read -d ''`
// and assigned with `printf -v` or a nameref, so a value is never parsed as code on the way in or out.

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

/**
 * Exit status the wrapper uses when the interpreter is not bash 4+ (it needs `${x@a}`, namerefs, mapfile).
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
const NAME_STARTS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_']
  .map((c) => `"\${!${c}@}"`)
  .join(' ');

export const WRAPPER = `
if [ -z "\${BASH_VERSINFO+x}" ] || [ "\${BASH_VERSINFO[0]}" -lt 4 ] || { [ "\${BASH_VERSINFO[0]}" -eq 4 ] && [ "\${BASH_VERSINFO[1]}" -lt 4 ]; }; then
  echo "runbook: steps need bash 4.4 or newer to carry variables (this is \${BASH_VERSION:-not bash})" >&2
  exit ${EXIT_OLD_BASH}
fi
__rb_restore() {
  local -a __rb_f
  local __rb_i=0 __rb_n __rb_a __rb_t __rb_c
  # One read of the whole stream, then indexing: far faster than a read per field.
  mapfile -d '' __rb_f < "$__RB_DIR/ctx.in"
  while (( __rb_i < \${#__rb_f[@]} )); do
    __rb_n=\${__rb_f[__rb_i]} __rb_a=\${__rb_f[__rb_i+1]} __rb_t=\${__rb_f[__rb_i+2]}
    (( __rb_i += 3 ))
    case $__rb_t in
      u) unset -v "$__rb_n" ;;
      s) unset -v "$__rb_n"
         printf -v "$__rb_n" '%s' "\${__rb_f[__rb_i++]}" ;;
      n) unset -n "$__rb_n" 2>/dev/null; unset -v "$__rb_n"
         declare -gn "$__rb_n=\${__rb_f[__rb_i++]}" ;;
      a|A) __rb_c=\${__rb_f[__rb_i++]}
         unset -v "$__rb_n"
         declare -g"$__rb_t" "$__rb_n"
         local -n __rb_ref="$__rb_n"
         while (( __rb_c-- > 0 )); do
           __rb_ref[\${__rb_f[__rb_i]}]=\${__rb_f[__rb_i+1]}
           (( __rb_i += 2 ))
         done
         unset -n __rb_ref ;;
    esac
    if [[ -n $__rb_a && $__rb_t != u ]]; then declare -g"$__rb_a" "$__rb_n"; fi
  done
}
__rb_dump() {
  { set +xv; } 2>/dev/null
  set +eu
  local __rb_n __rb_a __rb_k __rb_t
  # Every variable name without forking for compgen: \${!X@} lists the names that start with X.
  local -a __rb_names=(${NAME_STARTS})
  {
    printf '%s\\0' "$PWD"
    for __rb_n in "\${__rb_names[@]}"; do
      case $__rb_n in
        ${NOT_CARRIED.join('|')}) continue ;;
      esac
      [[ -v $__rb_n || \${!__rb_n@a} == *[aA]* ]] || continue
      __rb_a=\${!__rb_n@a}
      case $__rb_a in
        *n*) printf '%s\\0%s\\0n\\0%s\\0' "$__rb_n" "\${__rb_a//[rn]/}" "\${!__rb_n}" ;;
        *a*|*A*)
          local -n __rb_ref=$__rb_n
          __rb_t=a; [[ $__rb_a == *A* ]] && __rb_t=A
          printf '%s\\0%s\\0%s\\0%s\\0' "$__rb_n" "\${__rb_a//[raA]/}" "$__rb_t" "\${#__rb_ref[@]}"
          for __rb_k in "\${!__rb_ref[@]}"; do printf '%s\\0%s\\0' "$__rb_k" "\${__rb_ref[$__rb_k]}"; done
          unset -n __rb_ref ;;
        *) printf '%s\\0%s\\0s\\0%s\\0' "$__rb_n" "\${__rb_a//r/}" "\${!__rb_n}" ;;
      esac
    done
  } > "$__RB_DIR/ctx.out"
  # The function list goes through a file rather than $(...), which would fork.
  local -a __rb_fns
  declare -F > "$__RB_DIR/fns.out"
  mapfile -t __rb_fns < "$__RB_DIR/fns.out"
  for __rb_n in "\${__rb_fns[@]}"; do
    __rb_n=\${__rb_n##* }
    [[ $__rb_n == __rb_* ]] || declare -f -- "$__rb_n"
  done > "$__RB_DIR/fns.out"
}
__rb_on_exit() {
  local __rb_status=$?
  if (( __rb_status == 0 )) && [[ $__rb_dumped == 0 ]]; then __rb_dump; fi
  return $__rb_status
}
__rb_dumped=0
__rb_restore
if [[ -s $__RB_DIR/fns.in ]]; then source "$__RB_DIR/fns.in"; fi
# The braces keep a step's set -x from tracing the runner's own bookkeeping.
trap '{ __rb_on_exit; } 2>/dev/null' EXIT
if [[ -n \${__RB_STEP-} ]]; then
  __RB_STEP_FILE=$__RB_STEP; unset -v __RB_STEP __RB_DIR_KEEP
  builtin source "$__RB_STEP_FILE"
fi
{ __rb_dump; } 2>/dev/null
__rb_dumped=1
`;
