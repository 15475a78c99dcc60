// The bash side of a run: one long-lived shell that holds the carried state and runs each step in a forked
// subshell of itself (its own process group, the interpreter's flags back on). A fork costs a fraction of
// starting bash, and the state is already there. The protocol (fds, commands, events, files, markers) is
// described once, in ARCHITECTURE.md "The step server's protocol".
import { EXIT_OLD_BASH, RESTORE_FUNCTION } from './restore-script.ts';

/** Exit status of a waiting subshell that found the command pipe closed: the runner is done. */
const EXIT_NO_RUNNER = 198;

export const SERVER = `
if [ -z "\${BASH_VERSINFO+x}" ] || [ "\${BASH_VERSINFO[0]}" -lt 4 ] || { [ "\${BASH_VERSINFO[0]}" -eq 4 ] && [ "\${BASH_VERSINFO[1]}" -lt 4 ]; }; then
  echo "runbook: steps need bash 4.4 or newer to carry variables (this is \${BASH_VERSION:-not bash})" >&2
  exit ${EXIT_OLD_BASH}
fi
# The flags the front matter's shell line asked for are the steps'; the server itself must not stop.
__rb_flags=\${-//[is]/}
__rb_pipefail=0; [[ -o pipefail ]] && __rb_pipefail=1
set +euxv +o pipefail
# Job control gives every step its own process group; its notices go to the server's silenced stderr.
exec {__rb_err}>&2 2>/dev/null
set -m
${RESTORE_FUNCTION}
__rb_snapshot() {
  { builtin declare -p; builtin printf '\\0'; builtin declare -f
    builtin printf '\\0%s\\0%s\\0' "$__rb_token" "$PWD"; } >| "$__RB_DIR/snap"
}
__rb_on_exit() {
  local __rb_status=$?
  if (( __rb_status == 0 )) && [[ $__rb_dumped == 0 ]]; then __rb_snapshot; fi
  return $__rb_status
}
# The markers that end a step's output; the one on stdout says how it ended.
__rb_sync() {
  builtin printf '\\0RBSYNC%s%s exit %s %s\\0' "$__RB_NONCE" "$__rb_count" "$__rb_status" "$__rb_left"
  builtin printf '\\0RBSYNC%s%s\\0' "$__RB_NONCE" "$__rb_count" >&$__rb_err
}
# What the runner hands over before a step: taken by the step's subshell, then by the server.
__rb_take_over() {
  if [[ -e $__RB_DIR/adopt.sh ]]; then builtin source "$__RB_DIR/adopt.sh"; fi
  if [[ -e $__RB_DIR/ctx.in ]]; then __rb_restore "$__RB_DIR/ctx.in"; fi
}
__rb_token=0
__rb_snapshot
builtin printf 'snap 0\\n' >&4
__rb_count=0
while :; do
  (( ++__rb_count ))
  (
    while :; do
      IFS= builtin read -r -N 4 -u 3 __rb_cmd && IFS= builtin read -r -N "$(( 10#$__rb_cmd ))" -u 3 __rb_cmd ||
        builtin exit ${EXIT_NO_RUNNER}
      __rb_token=\${__rb_cmd#run }
      __rb_token=\${__rb_token%% *}
      (( __rb_token >= __rb_count )) && break
    done
    __rb_file=$__RB_DIR/\${__rb_cmd#run * }
    __rb_take_over
    IFS= builtin read -r -d '' __rb_cwd < "$__RB_DIR/cwd.in"
    if [[ $__rb_cwd != "$PWD" ]] && ! builtin cd -- "$__rb_cwd"; then
      builtin printf 'runbook: cannot start in %s\\n' "$__rb_cwd" >&$__rb_err
      builtin exit 1
    fi
    exec 3<&- 4>&- 2>&$__rb_err {__rb_err}>&-
    # The server's helpers are not the step's; its snapshot lists fewer functions without them.
    builtin unset -f __rb_restore __rb_take_over __rb_sync
    # Nor is the nonce: output that could end the step's own output early is none the step can write.
    builtin unset -v __RB_NONCE
    builtin set -$__rb_flags
    if (( __rb_pipefail )); then builtin set -o pipefail; fi
    __rb_dumped=0
    builtin trap '{ __rb_on_exit; } 2>/dev/null' EXIT
    builtin source "$__rb_file"
    { __rb_snapshot; __rb_dumped=1; } 2>/dev/null
  ) &
  __rb_child=$!
  builtin printf 'ready %s\\n' "$__rb_child" >&4
  builtin wait "$__rb_child"
  __rb_status=$?
  # The same status from a step is told apart by the pipe: the runner sends no command while a step's end
  # is still to be reported, so only a closed pipe has something to read now.
  if (( __rb_status == ${EXIT_NO_RUNNER} )) && IFS= builtin read -r -t 0 -u 3; then builtin exit 0; fi
  __rb_take_over
  # Whether the step left background jobs in its process group, for the runner to end.
  __rb_left=0; builtin kill -0 -- "-$__rb_child" && __rb_left=1
  __rb_sync
done
`;
