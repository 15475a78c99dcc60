// The shell options a step leaves (`set -o nounset`, `shopt -s extglob`), carried to later steps as one
// bash script keeps them. Read from bash's own `shopt -p` and `set +o` lines and kept as the lines that
// differ from the plain step shell, so a context holds only what steps changed. Options that would change
// how the runner's own code in the step's shell behaves, or that bash does not let a script set, are
// not carried. The shell line's flags (front matter `shell:`) still hold at the start of every step.

/** `set -o` options carried: those a script sets for the rest of itself. */
const SET_OPTIONS = new Set([
  'allexport',
  'braceexpand',
  'errexit',
  'errtrace',
  'functrace',
  'hashall',
  'keyword',
  'noclobber',
  'noglob',
  'nounset',
  'physical',
  'pipefail',
]);

/** `shopt` options not carried: read-only ones, and one that changes how functions and traps behave. */
const SHOPT_KEPT_OUT = new Set(['login_shell', 'restricted_shell', 'extdebug', 'progcomp_alias']);

/** One option line as bash prints it, and as a context holds it. */
export const OPTION_LINE = /^(?:shopt -[su] [a-z_0-9]+|set [-+]o [a-z]+)$/;

/** The option lines of `shopt -p` and `set +o` output that carry, by option: `shopt extglob` → its line. */
export function parseOptions(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const shopt = /^shopt -[su] ([a-z_0-9]+)$/.exec(line);
    if (shopt) {
      if (!SHOPT_KEPT_OUT.has(shopt[1] as string)) out.set(`shopt ${shopt[1]}`, line);
      continue;
    }
    const set = /^set [-+]o ([a-z]+)$/.exec(line);
    if (set && SET_OPTIONS.has(set[1] as string)) out.set(`set ${set[1]}`, line);
  }
  return out;
}

/** The lines of `now` that differ from `base`, in bash's order, as text to run (empty when none). */
export function optionChanges(base: Map<string, string>, now: Map<string, string>): string {
  return [...now]
    .filter(([option, line]) => base.get(option) !== line)
    .map(([, line]) => line)
    .join('\n');
}
