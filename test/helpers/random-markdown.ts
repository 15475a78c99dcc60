// Seeded random Markdown runbooks for comparing the parser with the CommonMark reference parser:
// headings, prose, fences of every shape (tildes, long fences, shorter inner fences, indented openers,
// tabbed heredoc lines, trailing blanks after the closing fence, unterminated ones), indented code and
// HTML blocks, wrapped in list items (space- or tab-indented), block quotes (with lazy lines), and
// lists inside quotes and quotes inside lists; sometimes with CRLF line ends.
//
// Not generated, because marked's block structure differs from CommonMark there and the parser does
// not repair it: lazy lines inside quoted lists, and a fence line outdented past its quoted list item.

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomRunbook(random: () => number): string {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
  const chance = (p: number) => random() < p;
  let names = 0;

  const codeLine = () =>
    pick([
      'echo hello',
      'kubectl get pods -A',
      '',
      '  indented',
      '\tcat <<-EOF',
      '\t\ttabbed',
      'EOF',
      '```',
      '~~~',
    ]);
  const fence = (indents: string[]): string[] => {
    const char = pick(['`', '`', '~']);
    const length = pick([3, 3, 3, 4, 5]);
    const lang = pick(['sh', 'bash', '', 'shell', 'yaml', 'console', 'js', `sh {name=step${++names}}`]);
    const indent = pick(indents);
    const lines = [indent + char.repeat(length) + (lang && chance(0.2) ? ' ' : '') + lang];
    for (let n = Math.floor(random() * 4); n > 0; n--) lines.push((chance(0.3) ? indent : '') + codeLine());
    lines.push(
      pick(['', '', ' ', '  ']) + char.repeat(length + pick([0, 0, 0, 1, 2])) + pick(['', '', ' ', '\t']),
    );
    return lines;
  };
  const block = (indents: string[]): string[] =>
    pick([
      () => [`${pick(['#', '##', '###'])} ${pick(['Install', 'Set up the cluster', 'Verify'])}`, ''],
      () => [
        pick(['Some prose.', 'Run the following:', 'Then *check* `this`.']),
        ...(chance(0.3) ? ['more.'] : []),
        '',
      ],
      () => [...fence(indents), ''],
      () => ['    indented code', ''],
      () => ['---', ''],
      () => ['<details>', '', ...fence(indents), '', '</details>', ''],
    ])();

  const lazy = (line: string, i: number) =>
    i > 0 && /^[A-Za-z]/.test(line) && chance(0.15) ? line : undefined;
  const wrapped = (): string[] => {
    const kind = pick(['list', 'ordered', 'tabbed', 'quote', 'quoted-list', 'listed-quote']);
    // Fences in quoted lists open at the item's column, so no content line is outdented past the item.
    const indents = kind === 'quoted-list' ? [''] : ['', '', '', ' ', '  ', '   '];
    const lines = [...block(indents), ...(chance(0.5) ? block(indents) : [])];
    const prefix = (first: string, rest: string) => (line: string, i: number) =>
      (i === 0 ? first : rest) + line;
    switch (kind) {
      case 'list':
        return lines.map((line, i) => (i === 0 ? '- ' : line ? '  ' : '') + line);
      case 'ordered':
        return lines.map((line, i) => (i === 0 ? '1. ' : line ? '   ' : '') + line);
      case 'tabbed':
        return lines.map((line, i) => (i === 0 ? '- ' : line ? '\t' : '') + line);
      case 'quote':
        return lines.map((line, i) => lazy(line, i) ?? `> ${line}`.trimEnd());
      case 'quoted-list':
        return lines.map((line, i) => prefix('> - ', '>   ')(line, i).trimEnd());
      default:
        return lines.map(prefix('- > ', '  > '));
    }
  };

  const out: string[] = [];
  for (let n = 1 + Math.floor(random() * 6); n > 0; n--) {
    out.push(...(chance(0.5) ? wrapped() : block(['', '', '', ' ', '  ', '   '])), '');
  }
  if (chance(0.1)) out.push(...fence(['']).slice(0, -1));
  // A first line of --- would open front matter, which is not CommonMark's business.
  if (out[0] === '---') out.unshift('Intro.', '');
  const text = `${out.join('\n')}\n`;
  return chance(0.15) ? text.replace(/\n/g, '\r\n') : text;
}
