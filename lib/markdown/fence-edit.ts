// Saving an edit of a step's code into the runbook: exactly that fence's content lines are replaced, and
// every other byte of the file stays as it was (front matter, prose, other steps, the fence's own opening
// and closing lines with their info string, the file's line endings), so `git diff` shows just the edit.
// Pure: text in, text out; the result is parsed again and refused when it would not read back as the edit.

import type { Step } from '../core/types.ts';
import { parseRunbook } from './parse.ts';

export type FenceEdit = { text: string } | { error: string };

interface Line {
  body: string;
  eol: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const re = /([^\r\n]*)(\r\n|\r|\n|$)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0] === '') break;
    lines.push({ body: m[1] as string, eol: m[2] as string });
    if (m[2] === '') break;
  }
  return lines;
}

/** The fence run (``` or ~~~) that opens or closes a block, after container markers and indentation. */
function fenceRun(body: string): { run: string; at: number } | undefined {
  const m = /^[ \t>]*?(`{3,}|~{3,})/.exec(body.replace(/^\uFEFF/, ''));
  if (!m?.[1]) return undefined;
  return { run: m[1], at: m[0].length - m[1].length };
}

function isClosing(body: string, open: string): boolean {
  const m = /^[ \t>]*?(`{3,}|~{3,})[ \t]*$/.exec(body);
  return !!m?.[1] && m[1][0] === open[0] && m[1].length >= open.length;
}

/** Replaces the content of `step`'s fence in `text` (the file the step was parsed from) with `code`. */
export function replaceFenceContent(text: string, step: Step, code: string): FenceEdit {
  const lines = splitLines(text);
  const open = step.line - 1;
  const opening = lines[open];
  const fence = opening && fenceRun(opening.body);
  if (!opening || !fence)
    return { error: `line ${step.line} is no longer the opening fence of ${step.name}` };
  const oldCode = step.code.split('\n');
  const next = lines[open + 1];
  const count = step.code === '' && (!next || isClosing(next.body, fence.run)) ? 0 : oldCode.length;
  const content = lines.slice(open + 1, open + 1 + count);
  if (content.length !== count) return { error: `the fence of ${step.name} is shorter than its code` };
  // What each content line carries before its code: container markers and the item's indentation.
  let prefix: string | undefined;
  content.forEach((line, i) => {
    const codeLine = oldCode[i] ?? '';
    if (prefix === undefined && codeLine !== '' && line.body.endsWith(codeLine)) {
      prefix = line.body.slice(0, line.body.length - codeLine.length);
    }
  });
  prefix ??= opening.body.slice(0, fence.at);
  const eol = opening.eol || '\n';
  const newCode = code.split('\n');
  const replaced: Line[] = newCode.map((codeLine, i) => {
    const same = oldCode[i] === codeLine && content[i] !== undefined;
    const body = same
      ? (content[i] as Line).body
      : codeLine === ''
        ? (prefix as string).trimEnd()
        : prefix + codeLine;
    return { body, eol };
  });
  // The last content line keeps its own ending: none when the fence ran to the end of the file.
  const last = content.at(-1);
  const lastNew = replaced.at(-1);
  if (last && lastNew) lastNew.eol = last.eol || (open + 1 + count < lines.length ? eol : '');
  if (!opening.eol && replaced.length) opening.eol = '\n';
  const out = [...lines.slice(0, open + 1), ...replaced, ...lines.slice(open + 1 + count)];
  const edited = out.map((l) => l.body + l.eol).join('');
  return verify(text, edited, step, code);
}

/** The edited file must read back as the same runbook with only this step's code changed. */
function verify(before: string, after: string, step: Step, code: string): FenceEdit {
  const why = 'it would change more than this step (does the code contain a closing fence?)';
  let old: Step[];
  let fresh: Step[];
  try {
    old = parseRunbook(before).steps;
    fresh = parseRunbook(after).steps;
  } catch (err) {
    return { error: `${why}: ${(err as Error).message}` };
  }
  if (old.length !== fresh.length) return { error: why };
  for (const [i, s] of fresh.entries()) {
    const o = old[i] as Step;
    const expected = s.index === step.index ? code : o.code;
    if (s.code !== expected || s.name !== o.name) return { error: why };
    if (s.index <= step.index && s.line !== o.line) return { error: why };
  }
  return { text: after };
}
