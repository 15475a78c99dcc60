// Version requirements as runbooks write them: "5", "v3", "1.23", "1.23.x", ">=1.23 <1.24", "^3.16",
// "~1.23.2", alternatives with "||". Partial versions mean ranges, as in npm's semver: "1.23" is any
// 1.23.z, "<=1.23" is below 1.24.0, ">1.23" is 1.24.0 or later. Pre-release and build suffixes are ignored.

type Triple = [number, number, number];

const INFINITY: Triple = [Number.POSITIVE_INFINITY, 0, 0];

function compare(a: Triple, b: Triple): number {
  for (let i = 0; i < 3; i++) {
    const difference = (a[i] as number) - (b[i] as number);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** The first version-looking token in a tool's output, e.g. "5.7.4" in "k3d version v5.7.4". */
export function versionIn(output: string): string | undefined {
  return /\bv?(\d+\.\d+(?:\.\d+)?)/.exec(output)?.[1];
}

function parseVersion(version: string): Triple | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

interface Partial {
  parts: number[];
}

function parsePartial(text: string): Partial | undefined {
  const match = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$/.exec(text);
  if (!match) return undefined;
  const parts: number[] = [];
  for (const part of match.slice(1)) {
    if (part === undefined || /^[xX*]$/.test(part)) break;
    parts.push(Number(part));
  }
  return { parts };
}

function floor({ parts }: Partial): Triple {
  return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0];
}

/** The first version above every version `partial` stands for. */
function ceiling({ parts }: Partial): Triple {
  if (parts.length === 0) return INFINITY;
  const bumped = [...parts];
  bumped[bumped.length - 1] = (bumped.at(-1) as number) + 1;
  return [bumped[0] ?? 0, bumped[1] ?? 0, bumped[2] ?? 0];
}

type Predicate = (version: Triple) => boolean;

function comparator(operator: string, partial: Partial): Predicate {
  const low = floor(partial);
  const high = ceiling(partial);
  const exact = partial.parts.length === 3;
  switch (operator) {
    case '>=':
      return (v) => compare(v, low) >= 0;
    case '>':
      return exact ? (v) => compare(v, low) > 0 : (v) => compare(v, high) >= 0;
    case '<':
      return (v) => compare(v, low) < 0;
    case '<=':
      return exact ? (v) => compare(v, low) <= 0 : (v) => compare(v, high) < 0;
    case '^': {
      const [major, minor, patch] = low;
      const n = partial.parts.length;
      const upper: Triple =
        major > 0 || n <= 1
          ? [major + 1, 0, 0]
          : minor > 0 || n === 2
            ? [0, minor + 1, 0]
            : [0, 0, patch + 1];
      return (v) => compare(v, low) >= 0 && compare(v, upper) < 0;
    }
    case '~': {
      const upper: Triple = partial.parts.length <= 1 ? [low[0] + 1, 0, 0] : [low[0], low[1] + 1, 0];
      return (v) => compare(v, low) >= 0 && compare(v, upper) < 0;
    }
    default:
      return (v) => compare(v, low) >= 0 && compare(v, high) < 0;
  }
}

/** Parses a requirement into alternatives of conjunctions, or undefined when it is not one. */
function parseSpec(spec: string): Predicate[][] | undefined {
  const alternatives = spec.split('||').map((alternative) => alternative.trim());
  const parsed: Predicate[][] = [];
  for (const alternative of alternatives) {
    // ">= 1.23" and ">=1.23" alike.
    const tokens = alternative
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .split(/\s+/)
      .filter(Boolean);
    if (tokens.length === 0) return undefined;
    const predicates: Predicate[] = [];
    for (const token of tokens) {
      const match = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(token);
      const partial = parsePartial(match?.[2] ?? '');
      if (!partial) return undefined;
      predicates.push(comparator(match?.[1] ?? '=', partial));
    }
    parsed.push(predicates);
  }
  return parsed;
}

/** Whether `version` meets `spec`; 'invalid' when either cannot be read. */
export function satisfies(version: string, spec: string): boolean | 'invalid' {
  const parsed = parseSpec(spec);
  const triple = parseVersion(version);
  if (!parsed || !triple) return 'invalid';
  return parsed.some((predicates) => predicates.every((predicate) => predicate(triple)));
}
