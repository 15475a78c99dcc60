// The code of a runbook's shell fences that stand at the top level, found in one pass over its lines
// without the Markdown parser: what the analysis thread (analysis/thread-worker.ts) starts analysing while
// the main thread is still parsing. A guess, never the steps: the parse decides what a step is and what its
// code is, and a step whose code this did not find the same way is simply analysed when it comes.
const OPENING = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const CLOSING = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;
const SHELL = new Set(['', 'sh', 'bash', 'shell']);

/** The content of each top-level fence whose language is a shell one, in document order. */
export function shellFenceCode(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n?|\n/);
  // A final newline starts no line.
  if (lines.at(-1) === '') lines.pop();
  const found: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPENING.exec(lines[i] as string);
    if (!open) continue;
    const [, indent = '', marker = '', info = ''] = open;
    if (marker[0] === '`' && info.includes('`')) continue;
    const content: string[] = [];
    // Unclosed, it runs to the end of the document.
    for (i++; i < lines.length; i++) {
      const line = lines[i] as string;
      const close = CLOSING.exec(line)?.[1];
      if (close !== undefined && close[0] === marker[0] && close.length >= marker.length) break;
      // CommonMark: as many spaces as the opening fence had are taken off each content line.
      let cut = 0;
      while (cut < indent.length && line[cut] === ' ') cut++;
      content.push(line.slice(cut));
    }
    const lang = (info.trim().split(/[\s{]/, 1)[0] ?? '').toLowerCase();
    if (SHELL.has(lang)) found.push(content.join('\n'));
  }
  return found;
}
