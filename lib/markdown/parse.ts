// Markdown runbook → steps. Pure: text in, steps out, no I/O.
import type { Lexer, Token } from 'marked';
import { InputError } from '../core/errors.ts';
import type { ParseWarning, Runbook, Step, StepKind } from '../core/types.ts';
import { isSkipped, parseInfo } from './attributes.ts';
import { betweenBlocks } from './expectation.ts';
import { type Container, readFence } from './fence-lines.ts';
import { createLexer, type Fence, type FenceToken, isFenceToken } from './fences.ts';
import { splitFrontMatter } from './frontmatter.ts';
import { assignNames, type NameRequest } from './names.ts';

/** A fenced code block of the body, whatever its language. Lines are 0-based lines of the body. */
interface Block {
  line: number;
  /** Last line of the block (the closing fence, or the last content line when unterminated). */
  end: number;
  fence: Fence;
  code: string;
  where: 'document' | 'list item' | 'block quote';
  headings: string[];
  /** The nearest heading above, with its order in the file (to number several steps under it). */
  heading?: { text: string; id: number };
}

const SHELL_LANGS = new Set(['', 'sh', 'bash', 'shell']);
const JS_LANGS = new Set(['js', 'javascript', 'mjs']);

function kindOf(lang: string): StepKind | undefined {
  if (SHELL_LANGS.has(lang)) return 'shell';
  if (JS_LANGS.has(lang)) return 'js';
  return undefined;
}

export function parseRunbook(text: string): Runbook {
  const normalized = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const { frontMatter, body, bodyLine, warnings } = splitFrontMatter(normalized);
  const lineStarts = [0];
  for (let i = body.indexOf('\n'); i !== -1; i = body.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const sliceLines = (from: number, to: number) =>
    body.slice(lineStarts[from] ?? body.length, lineStarts[to] ?? body.length);

  const drafts: (Omit<Step, 'name'> & NameRequest)[] = [];
  const bodyLines = body.split('\n');
  let proseStart = 0;
  /** The block before this one, and the step it made (if it made one). */
  let previous: { block: Block; step?: (typeof drafts)[number] } | undefined;
  for (const block of lexedBlocks(body)) {
    const line = bodyLine + block.line + 1;
    const warn = (message: string) => warnings.push({ line, message });
    const marker = block.fence.char.repeat(block.fence.length);
    if (!block.fence.closed) {
      const container = block.where === 'document' ? 'document' : `enclosing ${block.where}`;
      warn(`unterminated code fence (${marker}) runs to the end of the ${container}`);
    }
    const info = parseInfo(block.fence.info);
    if (info.trailing) warn(`text after the attributes is not read: ${info.trailing}`);
    const before = previous;
    previous = { block };
    if (info.lang === 'output') {
      const between = before && betweenBlocks(bodyLines.slice(before.block.end + 1, block.line));
      const step = before?.step;
      if (step && !step.expected && between?.adjacent) {
        step.expected = {
          text: block.code,
          line,
          ...(between.similarity ? { similarity: between.similarity } : {}),
        };
        // The block belongs to its step: it is not prose before the next one.
        proseStart = block.end + 1;
        previous.step = step;
      } else warn(`this output block is not checked: ${unattached(step, between?.adjacent)}`);
      continue;
    }
    const kind = kindOf(info.lang);
    if (!kind || isSkipped(info.attributes)) {
      // A block that is no step only warns; a step whose braces are not all read does not run (what was
      // lost may be skip or timeout), as its `unreadable` says.
      if (info.problem) warn(`attributes not read: ${info.problem}`);
      continue;
    }
    const name = info.attributes.name;
    if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) {
      warn('ignoring an empty name attribute');
    }
    const draft: (typeof drafts)[number] = {
      index: drafts.length + 1,
      lang: info.lang === '' ? 'bash' : info.lang,
      kind,
      line,
      code: block.code,
      attributes: info.attributes,
      prose: sliceLines(proseStart, block.line),
      headings: block.headings,
      explicit: typeof name === 'string' && name.trim() !== '' ? name : undefined,
      heading: block.heading,
      ...(info.problem ? { unreadable: info.problem } : {}),
    };
    drafts.push(draft);
    previous.step = draft;
    proseStart = block.end + 1;
  }
  const names = assignNames(drafts);
  const steps = drafts.map(
    ({ explicit: _explicit, heading: _heading, ...step }, i): Step => ({
      ...step,
      name: names[i] ?? `step-${step.index}`,
    }),
  );
  return {
    frontMatter,
    steps,
    epilogue: sliceLines(proseStart, lineStarts.length),
    warnings: sortByLine(warnings),
  };
}

/** Why an output block is not a step's expected output. */
function unattached(step: { name?: string; expected?: unknown } | undefined, adjacent?: boolean): string {
  if (step?.expected) return 'the step before it already has one';
  if (step && !adjacent) return 'only blank lines may stand between a step and its output block';
  return 'it follows no step (an output block goes right after the step whose output it shows)';
}

function sortByLine(warnings: ParseWarning[]): ParseWarning[] {
  return warnings
    .map((w, i) => ({ w, i }))
    .sort((a, b) => a.w.line - b.w.line || a.i - b.i)
    .map(({ w }) => w);
}

const countNewlines = (text: string) => text.split('\n').length - 1;

/**
 * findBlocks, with the one way marked fails on text it accepts said as bad input: its block patterns
 * recurse per line, and a paragraph of some hundreds of thousands of lines runs them out of stack.
 */
function lexedBlocks(body: string): Block[] {
  try {
    return findBlocks(body);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new InputError(
      'the Markdown parser ran out of stack on this runbook (a paragraph of very many lines?); put blank lines between its paragraphs',
    );
  }
}

/** All fenced code blocks of `body`, in document order, wherever they are nested. */
function findBlocks(body: string): Block[] {
  const source = body.split('\n');
  if (body.endsWith('\n')) source.pop();
  const blocks: Block[] = [];
  const open: { depth: number; text: string; id: number }[] = [];
  let headingCount = 0;
  let lexer = createLexer();

  /** Records a fence; returns a line to lex again from when marked read past the fence's real end. */
  const onFence = (token: FenceToken, line: number, containers: Container[]): number | undefined => {
    const previous = blocks.at(-1);
    // marked may see a fence inside what CommonMark reads as the previous fence's content.
    if (previous && line <= previous.end) return undefined;
    const read = readFence(source, line, containers, token.fence);
    if (!read) return undefined;
    const nearest = open.at(-1);
    const inner = read.containers.at(-1)?.kind;
    blocks.push({
      line,
      end: line + read.lines.length + (read.closed ? 1 : 0),
      fence: { ...token.fence, closed: read.closed },
      code: read.lines.join('\n'),
      where: inner === 'quote' ? 'block quote' : inner === 'item' ? 'list item' : 'document',
      headings: open.map((heading) => heading.text),
      heading: nearest && { text: nearest.text, id: nearest.id },
    });
    // A line outside every container ended the fence, but marked took it as a lazy line of the
    // fence's list item or quote. CommonMark starts afresh on that line, so lex again from there.
    const markedEnd = line + token.fence.lines.length + (token.fence.closed ? 1 : 0);
    return read.cut && read.cut.depth === 0 && read.cut.line <= markedEnd ? read.cut.line : undefined;
  };

  // `text` is the container's content as marked lexed it: one line per source line from `start` on.
  const walk = (
    children: Token[],
    text: string,
    start: number,
    containers: Container[],
  ): number | undefined => {
    let line = start;
    let offset = 0;
    for (const token of children) {
      // Locate each token in its container's text rather than summing raws: after lazy lines marked
      // re-lexes block quotes, and the raws no longer add up to the text.
      const at = text.indexOf(token.raw, offset);
      if (at !== -1) {
        line += countNewlines(text.slice(offset, at));
        offset = at + token.raw.length;
      }
      let restart: number | undefined;
      if (token.type === 'heading') {
        while ((open.at(-1)?.depth ?? 0) >= token.depth) open.pop();
        open.push({
          depth: token.depth,
          text: headingText(token.text, lexer),
          id: headingCount++,
        });
      } else if (isFenceToken(token)) {
        restart = onFence(token, line, containers);
      } else if (token.type === 'list') {
        restart = walk(token.items, token.raw, line, containers);
      } else if (token.type === 'list_item') {
        restart = walk(token.tokens ?? [], token.text, line, [...containers, { kind: 'item', line }]);
      } else if (token.type === 'blockquote') {
        restart = walk(token.tokens ?? [], token.text, line, [...containers, { kind: 'quote' }]);
      }
      if (restart !== undefined) return restart;
      line += countNewlines(token.raw);
    }
    return undefined;
  };

  for (let from: number | undefined = 0; from !== undefined; ) {
    const text = from === 0 ? body : source.slice(from).join('\n');
    lexer = createLexer();
    from = walk(lexer.blockTokens(text), text, from, []);
  }
  return blocks;
}

/** A heading's text without inline Markdown: `code`, *emphasis* and [links](...) keep only their words. */
function headingText(markdown: string, lexer: Lexer): string {
  // Most headings are plain words; the inline lexer costs a few milliseconds the first time it runs.
  const text = /[`*_[\]<>\\&~!]/.test(markdown) ? plainText(lexer.inlineTokens(markdown)) : markdown;
  return text.replace(/\s+/g, ' ').trim();
}

function plainText(tokens: Token[]): string {
  let text = '';
  for (const token of tokens) {
    if (token.type === 'html') continue;
    if ('tokens' in token && Array.isArray(token.tokens)) text += plainText(token.tokens);
    else if ('text' in token && typeof token.text === 'string') text += token.text;
  }
  return text;
}
