// Terminal colours by the usual conventions: NO_COLOR turns them off, FORCE_COLOR on, else only on a TTY.
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export type Paint = (style: Style, text: string) => string;

/** Colours on or off as the caller decided (colorEnabled, a test): styleText's own stream check is bypassed. */
export function painter(enabled: boolean): Paint {
  return enabled
    ? (style, text) => styleText(style, text, { validateStream: false })
    : (_style, text) => text;
}

export { formatDuration } from './duration.ts';
