// The bash side of a run: one long-lived shell that holds the carried state and runs each step in a forked
// subshell of itself (its own process group, the interpreter's flags back on). A fork costs a fraction of
// starting bash, and the state is already there. The protocol (fds, commands, events, files, markers) is
// described once, in ARCHITECTURE.md "The step server's protocol". Nothing of the server's own shows: its
// first line turns tracing off (a -x or -v shell line traces the step's lines only, see session-files.ts),
// and the runner discards its output until the marker "0" it writes on each stream once it is up.
import { EXIT_OLD_BASH, RESTORE_FUNCTION } from './restore-script.ts';
import { WATCHER } from './watcher-script.ts';

/** Exit status of a waiting subshell that found the command pipe closed: the runner is done. */
const EXIT_NO_RUNNER = 198;

/**
 * The functions that end a step, defined again if the step took them away (a step that unsets every
 * function): the runner's end of a step is not the step's to break.
 */
const ENDS = `builtin declare -F __rb_snapshot __rb_snapshot_failed __rb_on_exit >/dev/null || builtin eval "$__rb_end_defs"`;

/** What a step's subshell does once it has its command and its directory: the step itself. */
const STEP = `    # The server's helpers are not the step's; its snapshot lists fewer functions without them.
    builtin unset -f __rb_restore __rb_take_over __rb_sync __rb_await_terminal __rb_watch __rb_run_processes \\
      __rb_signal_run
    # Nor is the nonce: output that could end the step's own output early is none the step can write.
    builtin unset -v __RB_NONCE
    # $0 names the runbook, as it names the script in a script (bash 5 and newer).
    if [[ -n \${__RB_RUNBOOK-} ]]; then BASH_ARGV0=$__RB_RUNBOOK; fi
    builtin set -$__rb_flags
    if (( __rb_pipefail )); then builtin set -o pipefail; fi
    __rb_dumped=0
    builtin trap '{ __rb_s=$? __rb_argv=("$@"); ${ENDS}; __rb_on_exit "$__rb_s"; } 2>/dev/null' EXIT
    # The shell options earlier steps left (only option lines: the runner writes nothing else there).
    if [[ -n $__rb_opts ]]; then builtin eval "$__rb_opts" 2>/dev/null || :; fi
    builtin source "$__rb_file"
    # An EXIT trap the step set runs as the subshell ends, after its snapshot: at the end of the step, as
    # at the end of a script (GitHub Actions runs each step as one). Ours, if still set, does nothing now.
    # The step's status is its last command's, as a script's is (errexit off, a failing last command fails
    # it). Inside the group, so that a step's set -x does not trace the runner's lines.
    { __rb_s=$? __rb_argv=("$@"); ${ENDS}; __rb_snapshot "$__rb_list" || __rb_snapshot_failed "$__rb_list" || :; __rb_dumped=1; builtin exit "$__rb_s"; } 2>/dev/null`;

/**
 * In a walkthrough at a terminal the runner opens a pseudo-terminal for the steps and passes its path in
 * __RB_TTY (and the binding's descriptors it leaked to this process in __RB_TTY_FDS, closed here). The
 * server is a session leader without a terminal (started detached), so opening the terminal makes it the
 * session's controlling terminal (Linux does this; where it does not, /dev/tty cannot be opened and steps
 * keep pipes). Each step then gets it as stdin, stdout and stderr, in the foreground: \`[ -t 1 ]\`, /dev/tty
 * prompts, the window size and SIGWINCH, and Ctrl-C for its foreground process group, as at a prompt.
 * Ctrl-Z is switched off: nothing here could resume a stopped step. The server ignores SIGTTOU, as a job
 * control shell does, to set the terminal back after a step from the background.
 */
const TERMINAL = `__rb_pty=0
if [[ -n \${__RB_TTY-} ]]; then
  for __rb_fd in \${__RB_TTY_FDS-}; do
    if [[ $__rb_fd =~ ^[0-9]+$ ]]; then builtin eval "exec $__rb_fd>&-"; fi
  done
  if { exec {__rb_tty}<>"$__RB_TTY"; } 2>/dev/null; then
    if { : </dev/tty; } 2>/dev/null; then
      __rb_pty=1
      builtin trap '' TTOU
      __rb_stty=$( { stty susp undef && stty -g; } <&$__rb_tty 2>/dev/null)
    else
      exec {__rb_tty}>&-
    fi
  fi
fi
builtin unset -v __RB_TTY __RB_TTY_FDS __rb_fd`;

export const SERVER = `{ __rb_flags=$-; set +xv; } 2>/dev/null
if [ -z "\${BASH_VERSINFO+x}" ] || [ "\${BASH_VERSINFO[0]}" -lt 4 ] || { [ "\${BASH_VERSINFO[0]}" -eq 4 ] && [ "\${BASH_VERSINFO[1]}" -lt 4 ]; }; then
  echo "runbook-shell-version \${BASH_VERSION:-}" >&2
  exit ${EXIT_OLD_BASH}
fi
# The flags the front matter's shell line asked for are the steps'; the server itself must not stop.
# Tracing (x, v) is switched on by the step's own script, so that only the step's lines are traced.
__rb_xv=\${__rb_flags//[^xv]/}
__rb_flags=\${__rb_flags//[isxv]/}
__rb_pipefail=0; [[ -o pipefail ]] && __rb_pipefail=1
set +euxv +o pipefail
${WATCHER}
# Job control gives every step its own process group; its notices go to the server's silenced stderr.
# Copies of the output pipes that no redirection moves: the runner reads which pipes they are (snap 0).
exec {__rb_out}>&1 {__rb_err}>&2 2>/dev/null
set -m
${RESTORE_FUNCTION}
# What a step left, to the file snap. $1 says what to list: nothing, everything; "*", the names in known.in,
# then what is left with those unset, which is what is new (bash lists every variable in time quadratic in
# their number, names it is given in linear time); else a file of the names the step can change.
__rb_snapshot() {
  builtin local __rb_what=vf __rb_d
  builtin local -a __rb_names
  if [[ -n $1 && $1 != '*' ]]; then
    builtin mapfile -t __rb_names < "$__RB_DIR/$1"
    # Under the step's own options still (set -u among them): nothing here may read an unset name.
    __rb_what=\${__rb_names[0]-}
    __rb_what=\${__rb_what/-/}
  fi
  # The shell options first, as the step left them (before this function changes any), when it may have.
  { if [[ $__rb_what == *[vo]* ]]; then { builtin shopt -p; builtin set +o; } 2>/dev/null; fi
    builtin printf '\\0'
    builtin set +euo pipefail
    if [[ -z $1 ]]; then builtin declare -p
    elif [[ $1 == '*' ]]; then
      builtin mapfile -t __rb_names < "$__RB_DIR/known.in"
      if (( \${#__rb_names[@]} )); then
        builtin declare -p -- "\${__rb_names[@]}"
        # Namerefs first: unset -v on one unsets what it points at.
        builtin unset -n -- "\${__rb_names[@]}"
        builtin unset -v -- "\${__rb_names[@]}"
      fi
      builtin declare -p
    elif (( \${#__rb_names[@]} > 1 )); then builtin declare -p -- "\${__rb_names[@]:1}"
    fi 2>/dev/null
    builtin printf '\\0'
    if [[ $__rb_what == *f* ]]; then builtin declare -f; fi
    builtin printf '\\0%s\\0%s\\0%s\\0' "$__rb_token" "$PWD" "$__rb_what"; builtin umask; builtin printf '\\0'
    # The step's positional parameters (set --, shift), counted; the directory stack below the working
    # directory (pushd), one field each.
    builtin printf '%s\\0' "\${#__rb_argv[@]}"
    for __rb_d in "\${__rb_argv[@]}" "\${DIRSTACK[@]:1}"; do builtin printf '%s\\0' "$__rb_d"; done
  } >| "$__RB_DIR/snap"
}
# The snapshot could not be written: say so in its place, with bash's reason, once its space is freed.
__rb_snapshot_failed() {
  local __rb_why
  __rb_why=$( { __rb_snapshot "$1"; } 2>&1 )
  : >| "$__RB_DIR/snap"
  builtin printf 'RBFAIL\\0%s\\0%s\\0' "$__rb_token" "\${__rb_why##*: }" >| "$__RB_DIR/snap"
}
# A failed step's snapshot too: its variables are not carried, but the secrets among them are hidden.
__rb_on_exit() {
  local __rb_status=$1
  if [[ $__rb_dumped == 0 ]]; then
    __rb_snapshot "$__rb_list" || __rb_snapshot_failed "$__rb_list" || :
  fi
  return $__rb_status
}
# The functions that end a step, as text, for a step that unset them (see ENDS).
__rb_end_defs=$(builtin declare -f __rb_snapshot __rb_snapshot_failed __rb_on_exit)
# The markers that end a step's output; the one on stdout says how it ended.
__rb_sync() {
  builtin printf '\\0RBSYNC%s%s exit %s %s\\0' "$__RB_NONCE" "$__rb_count" "$__rb_status" "$__rb_left"
  builtin printf '\\0RBSYNC%s%s\\0' "$__RB_NONCE" "$__rb_count" >&$__rb_err
}
# A step's subshell starts its step once fg has made it the terminal's foreground process group, so that
# what it reads and Ctrl-C are its own from its first command (bounded: it goes on regardless after that).
__rb_await_terminal() {
  builtin local __rb_i __rb_s
  for (( __rb_i = 0; __rb_i < 5000; __rb_i++ )); do
    IFS= builtin read -r __rb_s < /proc/$BASHPID/stat 2>/dev/null || builtin return 0
    # Fields after the command name: state, ppid, pgrp, session, tty, tpgid (the foreground group).
    __rb_s=\${__rb_s##*) }
    __rb_s=($__rb_s)
    [[ \${__rb_s[5]} == "\${__rb_s[2]}" ]] && builtin return 0
  done
}
# What the runner hands over before a step: taken by the step's subshell, then by the server.
__rb_take_over() {
  if [[ -e $__RB_DIR/adopt.sh ]]; then builtin source "$__RB_DIR/adopt.sh"; fi
  if [[ -e $__RB_DIR/ctx.in ]]; then __rb_restore "$__RB_DIR/ctx.in"; fi
}
${TERMINAL}
__rb_token=0
__rb_snapshot ''
builtin printf '\\0RBSYNC%s0\\0' "$__RB_NONCE"
builtin printf '\\0RBSYNC%s0\\0' "$__RB_NONCE" >&$__rb_err
if (( __rb_pty )); then __rb_how=' pty'; else __rb_how=''; fi
builtin printf 'snap 0 %s %s%s\\n' "$__rb_out" "$__rb_err" "$__rb_how" >&4
__rb_count=0
while :; do
  (( ++__rb_count ))
  (
    # Until it has its command, Ctrl-C typed at the steps' terminal is not for this subshell.
    if (( __rb_pty )); then builtin trap '' INT; fi
    while :; do
      IFS= builtin read -r -N 4 -u 3 __rb_cmd && IFS= builtin read -r -N "$(( 10#$__rb_cmd ))" -u 3 __rb_cmd ||
        builtin exit ${EXIT_NO_RUNNER}
      __rb_token=\${__rb_cmd#run }
      __rb_token=\${__rb_token%% *}
      (( __rb_token >= __rb_count )) && break
    done
    __rb_file=\${__rb_cmd#run * }
    __rb_list=\${__rb_file#* }
    [[ $__rb_list == "$__rb_file" ]] && __rb_list=
    __rb_file=$__RB_DIR/\${__rb_file%% *}
    __rb_take_over
    # Where the step starts: directory, umask, shell options, the positional parameters (counted), then
    # the directory stack below the directory.
    builtin mapfile -d '' -t __rb_start < "$__RB_DIR/cwd.in"
    __rb_cwd=\${__rb_start[0]-} __rb_umask=\${__rb_start[1]-} __rb_opts=\${__rb_start[2]-} __rb_argc=\${__rb_start[3]:-0}
    builtin set -- "\${__rb_start[@]:4:__rb_argc}"
    if [[ $__rb_cwd != "$PWD" ]] && ! builtin cd -- "$__rb_cwd"; then
      builtin printf 'runbook: cannot start in %s\\n' "$__rb_cwd" >&$__rb_err
      builtin exit 1
    fi
    if (( \${#__rb_start[@]} > 4 + __rb_argc )); then
      builtin dirs -c
      for (( __rb_i = \${#__rb_start[@]} - 1; __rb_i >= 4 + __rb_argc; __rb_i-- )); do
        builtin pushd -n -- "\${__rb_start[__rb_i]}" >/dev/null
      done
    fi
    if [[ -n $__rb_umask ]]; then builtin umask "$__rb_umask"; fi
    if (( __rb_pty )) && [[ ! -e $__RB_DIR/pipes ]]; then
      exec 3<&- 4>&- 5<&- 0<&$__rb_tty 1>&$__rb_tty 2>/dev/null {__rb_err}>&- {__rb_out}>&-
      __rb_await_terminal
      # Ctrl-C ends the step (the inner subshell) as at a prompt; this one then exits with its status,
      # rather than dying of SIGINT, which would make the server act as if it was interrupted itself. So
      # with SIGTERM (a timeout, the runner ending the step): no "Terminated" from bash, the status says it.
      builtin trap : INT
      builtin trap 'builtin exit 143' TERM
      ( builtin trap - INT TERM TTOU
        exec 2>&$__rb_tty {__rb_tty}>&-
${STEP}
      )
      builtin exit
    fi
    # Pipes (and, on a terminal server, SIGINT as the runner's to send).
    if (( __rb_pty )); then builtin trap - INT; exec {__rb_tty}>&-; fi
    exec 3<&- 4>&- 5<&- 2>&$__rb_err {__rb_err}>&- {__rb_out}>&-
${STEP}
  ) &
  __rb_child=$!
  builtin printf 'ready %s\\n' "$__rb_child" >&4
  if (( __rb_pty )); then
    # fg gives the subshell the terminal (job control works through fd 2, so it is the terminal here).
    builtin fg %+ >/dev/null 2>&$__rb_tty
    __rb_status=$?
    # A subshell that ended before fg got to it (the runner went away) is still a job: its status.
    if builtin jobs %+ >/dev/null 2>&1; then builtin wait "$__rb_child"; __rb_status=$?; fi
  else
    builtin wait "$__rb_child"
    __rb_status=$?
  fi
  # The same status from a step is told apart by the pipe: the runner sends no command while a step's end
  # is still to be reported, so only a closed pipe has something to read now.
  if (( __rb_status == ${EXIT_NO_RUNNER} )) && IFS= builtin read -r -t 0 -u 3; then builtin exit 0; fi
  __rb_take_over
  # Whether the step left background jobs in its process group, for the runner to end.
  __rb_left=0; builtin kill -0 -- "-$__rb_child" && __rb_left=1
  if (( __rb_pty )); then
    # The terminal as it was before the step (a step that set raw mode or -echo and ended), then the
    # marker that says all the step wrote to it has been read.
    if [[ -n $__rb_stty ]]; then ( builtin exec stty "$__rb_stty" ) <&$__rb_tty 2>/dev/null; fi
    builtin printf '\\0RBSYNC%s%s\\0' "$__RB_NONCE" "$__rb_count" >&$__rb_tty
  fi
  __rb_sync
done
`;
