// Step names: the `name` attribute, else the nearest heading's slug (-2, -3 ... for later steps under
// the same heading), else step-N. Every name is unique and never purely numeric, because
// `--from N|NAME` reads digits as a step number (a heading whose slug is empty or all digits gives step-N).
import { InputError } from '../core/errors.ts';

export interface NameRequest {
  /** 1-based position among the steps. */
  index: number;
  /** Line of the opening fence, for error messages. */
  line: number;
  /** The `name` attribute, if the fence has one. */
  explicit?: string;
  /** The nearest heading above the step: its text and which heading it is (its order in the file). */
  heading?: { text: string; id: number };
}

/**
 * Lower-case, runs of anything but letters and digits become one `-`, no `-` at either end.
 * Accents are folded (Crème → creme), other letters are kept as they are (Установка → установка),
 * so names stay readable in any language and can still be typed.
 */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
}

const NUMERIC = /^\d+$/;

/** Names for the steps, in order. Throws InputError for duplicate or numeric `name` attributes. */
export function assignNames(requests: NameRequest[]): string[] {
  const taken = new Map<string, number>();
  for (const request of requests) {
    if (request.explicit === undefined) continue;
    const name = request.explicit;
    if (NUMERIC.test(name)) {
      throw new InputError(
        `line ${request.line}: step name "${name}" is a number; --from would read it as a step number`,
      );
    }
    const first = taken.get(name);
    if (first !== undefined) {
      throw new InputError(`duplicate step name "${name}" on lines ${first} and ${request.line}`);
    }
    taken.set(name, request.line);
  }
  const stepsUnderHeading = new Map<number, number>();
  return requests.map((request) => {
    if (request.explicit !== undefined) return request.explicit;
    const slug = request.heading ? slugify(request.heading.text) : '';
    let base = `step-${request.index}`;
    let n = 1;
    if (slug && !NUMERIC.test(slug) && request.heading) {
      base = slug;
      n = (stepsUnderHeading.get(request.heading.id) ?? 0) + 1;
      stepsUnderHeading.set(request.heading.id, n);
    }
    let name = n === 1 ? base : `${base}-${n}`;
    while (taken.has(name)) {
      n++;
      name = `${base}-${n}`;
    }
    taken.set(name, request.line);
    return name;
  });
}
