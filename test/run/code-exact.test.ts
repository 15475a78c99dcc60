// A step's code is exactly what CommonMark says it is, as the built CLI lists it and as bash runs it:
// blank lines before the closing fence of a fence inside a list item (CommonMark example 318) included.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Parser } from 'commonmark';
import spec from 'commonmark-spec';
import { describe, expect, it } from 'vitest';
import { bashCli, expectNothingLeft, sandbox } from '../helpers/sandbox.ts';

/** The code of each fenced block, as commonmark.js reads it (its literal ends with the last line's newline). */
function reference(markdown: string): string[] {
  const walker = new Parser().parse(markdown).walker();
  const found: string[] = [];
  for (let e = walker.next(); e; e = walker.next()) {
    const node = e.node as unknown as { type: string; info: string | null; literal: string | null };
    if (e.entering && node.type === 'code_block' && node.info !== null) found.push(node.literal ?? '');
  }
  return found;
}

const example318 = (spec.tests as { number: number; markdown: string }[]).find((t) => t.number === 318);

// A heredoc without its terminator runs to the end of the script, so bash writes every line the step has,
// blank ones included: what it writes is the step's code as bash got it.
const heredoc = (container: (line: string) => string, blanks: string[]) =>
  [
    container('```bash'),
    container('cat <<EOF >> "$OUT"'),
    container('x'),
    ...blanks,
    container('```'),
    '',
  ].join('\n');
const containers: [string, (line: string) => string, string[]][] = [
  ['a list item', (l) => `- ${l}`.replace(/^- (?!```bash)/, '  '), ['', '']],
  ['a nested list item', (l) => `- a\n  - ${l}`.replace(/^- a\n {2}- (?!```bash)/, '    '), ['', '   ', '']],
  ['a block quote', (l) => `> ${l}`, ['>', '> ', '>']],
  ['an ordered list item in a quote', (l) => `> 1. ${l}`.replace(/^> 1\. (?!```bash)/, '>    '), ['>', '>']],
];

describe('the code of a step', () => {
  it('is CommonMark example 318 exactly, blank lines before the closing fence included', async () => {
    const box = sandbox();
    const markdown = example318?.markdown as string;
    writeFileSync(path.join(box.dir, 'e318.md'), markdown);
    const r = await bashCli(box, 'runbook --list --json e318.md');
    expect(r.code).toBe(0);
    const listed = JSON.parse(r.stdout).steps.map((s: { code: string }) => `${s.code}\n`);
    expect(listed).toEqual(reference(markdown));
    expect(listed).toEqual(['b\n\n\n']);
  }, 30_000);

  it.each(containers)(
    'in %s is what bash runs, blank lines included',
    async (_what, container, blanks) => {
      const box = sandbox();
      const markdown = heredoc(container, blanks);
      writeFileSync(path.join(box.dir, 'h.md'), markdown);
      const out = path.join(box.dir, 'out.txt');
      const r = await bashCli(box, 'runbook --yes h.md 2>/dev/null', { env: { OUT: out } });
      expect(r.code).toBe(0);
      const [code] = reference(markdown);
      // What the heredoc wrote is the code after its first line.
      expect(readFileSync(out, 'utf8')).toBe(code?.slice(code.indexOf('\n') + 1));
      expect(readFileSync(out, 'utf8')).toMatch(/^x\n\n/);
      await expectNothingLeft(box);
    },
    30_000,
  );
});
