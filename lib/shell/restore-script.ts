// The bash side of handing the runner's own values to the shell (ctx.in, written by encodeContext in
// core/context.ts): NUL-separated data assigned through a nameref, never parsed as code.
// ARCHITECTURE.md describes the whole step server protocol.

/**
 * Exit status the step shell uses when the interpreter is not bash 4+ (it needs `${x@a}`, namerefs, mapfile).
 * Chosen outside the range steps commonly use.
 */
export const EXIT_OLD_BASH = 197;

// Record layout (each field NUL-terminated), one record per variable:
//   scalar:  name  attrs  's'  value
//   long:    name  attrs  'f'  file  newlines   (the value is the file's text, then that many newlines)
//   nameref: name  attrs  'n'  target
//   array:   name  attrs  'a'|'A'  count  (key value) * count
//   unset:   name  ''     'u'
//   declared with no value:  name  attrs  'd'  ''|'a'|'A'
/** Restores a NUL-separated context file ("$1") into the calling shell's globals. */
export const RESTORE_FUNCTION = `
__rb_restore() {
  builtin local -a __rb_f
  builtin local __rb_i=0 __rb_n __rb_a __rb_t __rb_c __rb_a0
  # One read of the whole stream, then indexing: far faster than a read per field.
  builtin mapfile -d '' __rb_f < "$1"
  while (( __rb_i < \${#__rb_f[@]} )); do
    __rb_n=\${__rb_f[__rb_i]} __rb_a=\${__rb_f[__rb_i+1]} __rb_t=\${__rb_f[__rb_i+2]}
    (( __rb_i += 3 ))
    case $__rb_t in
      u) builtin unset -v "$__rb_n" ;;
      d) builtin unset -n "$__rb_n" 2>/dev/null; builtin unset -v "$__rb_n"
         builtin declare -g\${__rb_f[__rb_i++]} "$__rb_n" ;;
      # Through a nameref, not printf -v: a value of megabytes is copied, not formatted.
      s) builtin unset -v "$__rb_n"
         builtin declare -g "$__rb_n"
         builtin local -n __rb_ref="$__rb_n"
         __rb_ref=\${__rb_f[__rb_i++]}
         builtin unset -n __rb_ref ;;
      # A long value, read whole: far faster than one field of megabytes out of the data above.
      f) builtin unset -v "$__rb_n"
         builtin declare -g "$__rb_n"
         builtin local -n __rb_ref="$__rb_n"
         __rb_ref=$(< "\${__rb_f[__rb_i]}")
         __rb_c=\${__rb_f[__rb_i+1]}
         (( __rb_i += 2 ))
         if (( __rb_c > 0 )); then
           builtin printf -v __rb_a0 '%*s' "$__rb_c" ''
           __rb_ref+=\${__rb_a0// /$'\\n'}
         fi
         builtin unset -n __rb_ref ;;
      n) builtin unset -n "$__rb_n" 2>/dev/null; builtin unset -v "$__rb_n"
         builtin declare -gn "$__rb_n=\${__rb_f[__rb_i++]}" ;;
      a|A) __rb_c=\${__rb_f[__rb_i++]}
         builtin unset -v "$__rb_n"
         builtin declare -g"$__rb_t" "$__rb_n"
         builtin local -n __rb_ref="$__rb_n"
         # An empty array is one: declared alone it would have no value (unset, for set -u).
         __rb_ref=()
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
