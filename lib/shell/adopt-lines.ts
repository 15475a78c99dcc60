// The lines the server sources to take over what a step changed: a variable declared again as bash printed
// it (unset first where `declare` cannot get there), a variable unset, functions replaced; and functions as
// `declare -f` prints them, split by name with the server's own left out. Text only: nothing here runs.
import type { CarriedVar } from '../core/types.ts';
import { adoptableLine } from './declare-p.ts';

const INTERNAL_FUNCTION = /^__rb_/;
/** Commands the lines handed to the server use as keywords, which a function of the same name would shadow. */
export const SHADOWS = new Set(['declare', 'unset']);

/** Splits `declare -f` output into functions by name, leaving out the server's own. */
export function userFunctions(text: string): string {
  const blocks = text.split(/\n(?=[^\s}][^\n]* \(\) \n)/);
  return blocks
    .filter((b) => b.trim() && !INTERNAL_FUNCTION.test(b))
    .join('\n')
    .trim();
}

/** The names of the functions in `declare -f` output. */
export function functionNames(text: string): string[] {
  return [...text.matchAll(/^(\S+) \(\) $/gm)].map((m) => m[1] as string);
}

/** Lines that replace the functions defined by `from` with those in `to`. */
export function replaceFunctions(from: string, to: string): string[] {
  const drop = functionNames(from);
  return [...(drop.length ? [`builtin unset -f -- ${drop.join(' ')}`] : []), ...(to ? [to] : [])];
}

/**
 * The lines that make the server's `before` (undefined: it has none) into what bash printed as `line`.
 * `declare` adds attributes but never takes one away (`export -n X`, `declare +i N`), nor turns an array
 * into a scalar: such a variable is unset first, and then declared as the step left it.
 */
export function declareAgain(
  name: string,
  before: CarriedVar | undefined,
  value: CarriedVar | undefined,
  line: string,
): string[] {
  const dropped = before !== undefined && [...before.attrs].some((a) => !value?.attrs.includes(a));
  const fresh = !before || dropped || before.type !== value?.type;
  const plain = (fresh || !before.attrs) && value?.type === 'scalar' && !value.attrs;
  return [...(before && fresh ? [unsetLine(name, before)] : []), adoptableLine(line, plain)];
}

/** Unsets the variable: `unset -n` for a nameref (-v would unset its target), which leaves others alone. */
export function unsetLine(name: string, held: CarriedVar | undefined): string {
  return `builtin unset ${held?.attrs.includes('n') ? '-n' : '-v'} ${name}`;
}
