// Terminal text without the Markdown renderer: runbook text with the characters that would drive the
// terminal taken out, colour escapes taken off, and the options a rendering takes. Apart from render.ts so
// that what only needs these never loads marked-terminal.
import { colorEnabled } from '../core/style.ts';

export interface RenderOptions {
  color: boolean;
  /** Columns prose is wrapped to. */
  width: number;
}

/** How the walkthrough renders at this terminal: colour as the terminal and NO_COLOR say, its width. */
export function terminalRenderOptions(stdout: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv) {
  return { color: colorEnabled(stdout, env), width: Math.max(40, Math.min(stdout.columns ?? 80, 100) - 2) };
}

// C0 controls other than tab and newline, DEL and C1: text from a runbook must not drive the terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters removed
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

export function stripControl(text: string): string {
  return text.replace(CONTROL, '');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
const ANSI = /\u001b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** A piece of a screen to render: a runbook's prose, or code in a language (`text` for plain). */
export interface Piece {
  kind: 'prose' | 'code';
  text: string;
  lang?: string;
}

/** Pieces already rendered, looked up as the views use them. */
export interface Rendered {
  prose(text: string): string;
  code(text: string, lang: string): string;
}
