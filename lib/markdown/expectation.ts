// What a step says it will print: the `output` block right after it, and how to compare (`expect=`).
// Pure: the parser attaches the block, this resolves the mode; the engine does the comparing.
import type { AttributeValue, ExpectedOutput } from '../core/types.ts';

export type { ExpectedOutput };

/**
 * lines: line by line, `...` alone on a line for any number of lines, `...` in a line for any text there;
 * contains: every expected line appears in order, other lines between; regex: each line a regular
 * expression for one whole line; similar: a similarity score of at least `threshold`.
 */
export type ExpectMode = 'lines' | 'contains' | 'regex' | 'similar';

export interface Expectation {
  mode: ExpectMode;
  /** For similar: the lowest score that passes, in (0, 1]. */
  threshold?: number;
  text: string;
  line: number;
}

export type ExpectSetting = { mode: ExpectMode | 'off'; threshold?: number } | { problem: string };

const SIMILAR = /^similar\s*[:=]\s*([0-9]*\.?[0-9]+)$/;

function threshold(text: string): number | undefined {
  const n = Number(text);
  return Number.isFinite(n) && n > 0 && n <= 1 ? n : undefined;
}

/** Reads an `expect=` value; undefined (no attribute) is the default, line matching. */
export function readExpect(value: AttributeValue | undefined): ExpectSetting {
  if (value === undefined) return { mode: 'lines' };
  const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (text === 'lines' || text === 'contains' || text === 'regex' || text === 'off') return { mode: text };
  if (text === 'false') return { mode: 'off' };
  const similar = SIMILAR.exec(text);
  if (similar) {
    const t = threshold(similar[1] as string);
    if (t !== undefined) return { mode: 'similar', threshold: t };
    return { problem: `expect=similar takes a score above 0 and at most 1, like similar:0.8; got ${text}` };
  }
  if (text === 'similar')
    return { problem: 'expect=similar needs the lowest score that passes, like similar:0.8' };
  const got = value === true ? 'a bare flag' : JSON.stringify(value);
  return { problem: `expect must be lines, contains, regex, similar:SCORE or off; got ${got}` };
}

/** Innovation Engine's comment that sets the similarity of the output block after it. */
const SIMILARITY = /^<!--\s*expected_similarity\s*=\s*"?([0-9]*\.?[0-9]+)"?\s*-->$/;
/** HTML comments, which may span lines: invisible when rendered, so they do not part a step from its output. */
const COMMENT = /<!--[\s\S]*?-->/g;

/**
 * Whether the lines between a step's block and an `output` block leave them adjacent (only blank lines,
 * block-quote markers or HTML comments, one line or several), and the similarity an Innovation Engine
 * comment among them sets. An unterminated comment hides what follows, so it parts them.
 */
export function betweenBlocks(lines: string[]): { adjacent: boolean; similarity?: number } {
  const text = lines.map((line) => line.replace(/^[\s>]*/, '')).join('\n');
  let similarity: number | undefined;
  const rest = text.replace(COMMENT, (comment) => {
    const found = SIMILARITY.exec(comment.replace(/\s+/g, ' '));
    if (found) similarity = threshold(found[1] as string) ?? similarity;
    return ' ';
  });
  if (rest.trim() !== '') return { adjacent: false };
  return similarity === undefined ? { adjacent: true } : { adjacent: true, similarity };
}

/** How a step's output is checked; undefined when it has no output block or says expect=off. */
export function expectationOf(step: {
  attributes: Record<string, AttributeValue>;
  expected?: ExpectedOutput;
}): Expectation | undefined {
  const block = step.expected;
  if (!block) return undefined;
  const explicit = step.attributes.expect;
  const setting =
    explicit === undefined && block.similarity !== undefined
      ? { mode: 'similar' as const, threshold: block.similarity }
      : readExpect(explicit);
  if ('problem' in setting || setting.mode === 'off') return undefined;
  const { mode } = setting;
  return {
    mode,
    ...(setting.threshold === undefined ? {} : { threshold: setting.threshold }),
    text: block.text,
    line: block.line,
  };
}

/** `lines`, `contains`, `regex`, `similar:0.8`: the mode as the attribute writes it. */
export function describeExpectation(e: Pick<Expectation, 'mode' | 'threshold'>): string {
  return e.mode === 'similar' ? `similar:${e.threshold}` : e.mode;
}
