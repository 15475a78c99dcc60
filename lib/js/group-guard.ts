// A watch over a JavaScript step from outside its process. The step's own watch (runner-watch.ts) runs on
// its event loop, so a step blocked in a synchronous call (execSync, spawnSync, a busy loop) cannot notice
// that the runner was killed outright. This small shell reads a pipe only the runner holds; when it ends
// (the runner is gone), it ends the other members of the step's process group, so that the call the step
// waits in returns and the step's own watch ends what is of the run. A step still there after ten seconds
// (a busy loop) is killed with its group; the run's scratch directory is removed either way (the step may end
// before its watch gets to it). The runner ends the watch itself when the step ends.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/** Ends the group's members but its leader ($1), then the whole group, then removes $2 if given. */
const GUARD = `g=$1 scratch=$2
read -r _ || :
for d in /proc/[0-9]*; do
  p=\${d#/proc/}
  [ "$p" = "$g" ] && continue
  { read -r s < "$d/stat"; } 2>/dev/null || continue
  s=\${s##*) }
  set -- $s
  [ "$3" = "$g" ] && kill -TERM "$p" 2>/dev/null
done
i=0
# The step's own watch ends what is of the run (daemons too) and then the step: give it time.
while [ $i -lt 100 ] && kill -0 "$g" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
kill -KILL -- "-$g" 2>/dev/null
# The step may have ended before its own watch could: the run's scratch directory goes either way.
if [ -n "$scratch" ]; then rm -rf -- "$scratch"; fi`;

/** Starts the watch over the process group `pgid`; undefined where no shell can be started. */
export function guardGroup(pgid: number, scratch: string | undefined): ChildProcess | undefined {
  try {
    const guard = spawn('/bin/sh', ['-c', GUARD, 'runbook-js-guard', String(pgid), scratch ?? ''], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    guard.on('error', () => {});
    guard.stdin?.on('error', () => {});
    // It never holds the runner up: it lives only as long as the step, or the runner.
    guard.unref();
    (guard.stdin as Socket | null)?.unref();
    return guard;
  } catch {
    return undefined;
  }
}
