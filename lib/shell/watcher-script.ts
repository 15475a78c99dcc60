// The step server's watch over its runner. The runner holds the other end of fd 5 and writes to it only
// the byte `q`, when it ends the server itself. An end of file without it means the runner is gone (SIGKILL,
// the OOM killer): the watcher then ends every process of the run, the running step's whole tree included,
// and removes the scratch directory, as the runner would have. A process of the run is one whose
// environment holds the run's mark (__RB_RUN), which every step and everything it starts inherit, and
// every member of the process group such a process leads (a step's own group).

/** Longest a process of a dead run is given to end on SIGTERM before it gets SIGKILL, in tenths of a second. */
const GRACE_TENTHS = 5;

export const WATCHER = `
__rb_run_processes() {
  __rb_found=()
  local __rb_p __rb_mark=$'\\1'"__RB_RUN=$__RB_RUN"$'\\1' IFS=$'\\1'
  local -a __rb_env
  for __rb_p in /proc/[0-9]*; do
    __rb_p=\${__rb_p#/proc/}
    [[ $__rb_p == "$BASHPID" || $__rb_p == "$$" ]] && continue
    builtin mapfile -t -d '' __rb_env 2>/dev/null < "/proc/$__rb_p/environ" || continue
    [[ $'\\1'"\${__rb_env[*]}"$'\\1' == *"$__rb_mark"* ]] && __rb_found+=("$__rb_p")
  done
}
__rb_signal_run() {
  local __rb_p
  for __rb_p in "\${__rb_found[@]}"; do builtin kill -"$1" -- "-$__rb_p" "$__rb_p"; done 2>/dev/null
}
__rb_watch() {
  exec 0</dev/null 1>/dev/null 2>/dev/null 3<&- 4>&-
  local __rb_q __rb_i
  IFS= builtin read -r -N 1 -u 5 __rb_q && builtin exit 0
  builtin kill -KILL $$
  __rb_run_processes
  __rb_signal_run TERM
  for (( __rb_i = 0; __rb_i < ${GRACE_TENTHS} && \${#__rb_found[@]} > 0; __rb_i++ )); do
    sleep 0.1
    __rb_run_processes
  done
  __rb_signal_run KILL
  rm -rf -- "$__RB_DIR"
  builtin exit 0
}
# Only when the runner gave the server fd 5 (a test harness may not). Forked from a subshell that ends at
# once, so it is none of the server's jobs (fg and wait on a step's subshell must not see it).
if { builtin true <&5; } 2>/dev/null; then ( __rb_watch & ); fi
`;
