// Reads a fence's lines from the source the way CommonMark does, given the containers (block quotes,
// list items) marked found around it: each line must carry its containers' markers (a `>`, a list
// item's indentation) or the containers, and the fence in them, end there. Columns, tabs and partly
// used tabs follow commonmark.js (blocks.js advanceOffset / addLine).
import { type Fence, stripColumns } from './fences.ts';

/** A container around a fence, outermost first; `line` is the 0-based line a list item starts on. */
export type Container = { kind: 'quote' } | { kind: 'item'; line: number; width?: number };

class LineCursor {
  offset = 0;
  column = 0;
  partialTab = false;
  constructor(readonly text: string) {}

  advance(count: number, columns: boolean): void {
    let left = count;
    while (left > 0 && this.offset < this.text.length) {
      if (this.text[this.offset] === '\t') {
        const toTab = 4 - (this.column % 4);
        if (columns) {
          this.partialTab = toTab > left;
          const step = Math.min(toTab, left);
          this.column += step;
          if (!this.partialTab) this.offset++;
          left -= step;
        } else {
          this.partialTab = false;
          this.column += toTab;
          this.offset++;
          left--;
        }
      } else {
        this.partialTab = false;
        this.offset++;
        this.column++;
        left--;
      }
    }
  }

  /** Offset and column of the next character that is not a space or tab. */
  nextNonspace(): { offset: number; column: number } {
    let offset = this.offset;
    let column = this.column;
    for (;;) {
      const c = this.text[offset];
      if (c === ' ') column++;
      else if (c === '\t') column += 4 - (column % 4);
      else return { offset, column };
      offset++;
    }
  }

  toNextNonspace(): void {
    const next = this.nextNonspace();
    this.offset = next.offset;
    this.column = next.column;
    this.partialTab = false;
  }

  isSpaceOrTab(): boolean {
    const c = this.text[this.offset];
    return c === ' ' || c === '\t';
  }

  /** The rest of the line as a code block line (a partly used tab becomes spaces). */
  rest(): string {
    if (!this.partialTab) return this.text.slice(this.offset);
    return ' '.repeat(4 - (this.column % 4)) + this.text.slice(this.offset + 1);
  }
}

/** Steps over the containers' markers on line `index`; returns how many containers continue there. */
function enterContainers(cursor: LineCursor, containers: Container[], index: number): number {
  let matched = 0;
  for (const container of containers) {
    const next = cursor.nextNonspace();
    const indent = next.column - cursor.column;
    if (container.kind === 'quote') {
      if (indent > 3 || cursor.text[next.offset] !== '>') return matched;
      cursor.toNextNonspace();
      cursor.advance(1, false);
      if (cursor.isSpaceOrTab()) cursor.advance(1, true);
    } else if (container.line === index) {
      const marker = /^(?:[*+-]|\d{1,9}[.)])/.exec(cursor.text.slice(next.offset))?.[0];
      if (!marker || indent > 3) return matched;
      cursor.toNextNonspace();
      cursor.advance(marker.length, true);
      const spacesStart = { column: cursor.column, offset: cursor.offset };
      do cursor.advance(1, true);
      while (cursor.column - spacesStart.column < 5 && cursor.isSpaceOrTab());
      const spaces = cursor.column - spacesStart.column;
      let padding = marker.length + spaces;
      if (spaces >= 5 || spaces < 1 || cursor.offset >= cursor.text.length) {
        padding = marker.length + 1;
        cursor.column = spacesStart.column;
        cursor.offset = spacesStart.offset;
        cursor.partialTab = false;
        if (cursor.isSpaceOrTab()) cursor.advance(1, true);
      }
      container.width = indent + padding;
    } else if (next.offset >= cursor.text.length) {
      cursor.toNextNonspace();
    } else if (container.width !== undefined && indent >= container.width) {
      cursor.advance(container.width, true);
    } else {
      return matched;
    }
    matched++;
  }
  return matched;
}

export interface FenceLines {
  /** Content lines, as CommonMark reads them. */
  lines: string[];
  /** False when the fence runs to the end of its container (or of the document). */
  closed: boolean;
  /** The containers CommonMark puts the fence in (marked nests it too deep after lazy lines). */
  containers: Container[];
  /** The line on which the fence's containers ended it, and how many containers still went on there. */
  cut?: { line: number; depth: number };
}

/**
 * The fence opening on 0-based line `open` of `source` (lines without their newlines), as CommonMark
 * reads it; undefined when CommonMark sees no fence there (a lazy paragraph line, say). When the
 * opening fence is not on that line at all, marked's own reading of the block is returned.
 */
export function readFence(
  source: string[],
  open: number,
  containers: Container[],
  fence: Fence,
): FenceLines | undefined {
  // An item's content column comes from its first line, read through the containers around it.
  containers.forEach((container, depth) => {
    if (container.kind === 'item' && container.width === undefined) {
      enterContainers(
        new LineCursor(source[container.line] ?? ''),
        containers.slice(0, depth + 1),
        container.line,
      );
    }
  });
  const opening = new LineCursor(source[open] ?? '');
  const inside = containers.slice(0, enterContainers(opening, containers, open));
  const start = opening.nextNonspace();
  const run = /^(`+|~+)/.exec(opening.text.slice(start.offset))?.[0] ?? '';
  if (run[0] !== fence.char || run.length < 3) {
    return {
      lines: fence.lines.map((line) => stripColumns(line, fence.indent)),
      closed: fence.closed,
      containers,
    };
  }
  const indent = start.column - opening.column;
  const info = opening.text.slice(start.offset + run.length);
  if (indent > 3 || (run[0] === '`' && info.includes('`'))) return undefined;
  const lines: string[] = [];
  for (let index = open + 1; index < source.length; index++) {
    const cursor = new LineCursor(source[index] ?? '');
    const depth = enterContainers(cursor, inside, index);
    if (depth < inside.length)
      return { lines, closed: false, containers: inside, cut: { line: index, depth } };
    const next = cursor.nextNonspace();
    const closing = /^(`+|~+)[ \t]*$/.exec(cursor.text.slice(next.offset))?.[1] ?? '';
    if (next.column - cursor.column <= 3 && closing[0] === run[0] && closing.length >= run.length) {
      return { lines, closed: true, containers: inside };
    }
    for (let left = indent; left > 0 && cursor.isSpaceOrTab(); left--) cursor.advance(1, true);
    lines.push(cursor.rest());
  }
  return { lines, closed: false, containers: inside };
}
