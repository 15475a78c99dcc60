// While a shell step runs in a walkthrough, the person's keyboard is the step's: keys go to the steps'
// terminal byte for byte (the person's terminal in raw mode, so Ctrl-C is a key the steps' terminal turns
// into SIGINT for the step's foreground process group, as at a shell prompt). Between steps the keyboard
// is the walkthrough's again.

import type { PersonTerminal } from '../core/types.ts';
import type { Pty } from '../os/pty.ts';

const CTRL_C = 0x03;
/** Ctrl-C this many times within ESCAPE_MS ends the step's whole tree, for a step that ignores SIGINT. */
const ESCAPE_PRESSES = 3;
const ESCAPE_MS = 2000;

export interface Keyboard {
  /** Ctrl-C was typed while the step ran. */
  readonly interrupted: boolean;
  /** Gives the keyboard back to the walkthrough. */
  release(): void;
}

/** Hands the person's keyboard to the steps' terminal; `onRepeatedCtrlC` is called when Ctrl-C keeps coming. */
export function lendKeyboard(pty: Pty, person: PersonTerminal, onRepeatedCtrlC: () => void): Keyboard {
  const { input } = person;
  const wasRaw = input.isRaw;
  let presses: number[] = [];
  const state = { interrupted: false };
  const onData = (data: Buffer | string) => {
    pty.write(data);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const count = bytes.filter((b) => b === CTRL_C).length;
    if (count === 0) return;
    state.interrupted = true;
    const now = Date.now();
    presses = [...presses.filter((t) => now - t < ESCAPE_MS), ...Array<number>(count).fill(now)];
    if (presses.length >= ESCAPE_PRESSES) onRepeatedCtrlC();
  };
  if (input.isTTY) input.setRawMode(true);
  input.on('data', onData);
  input.resume();
  return {
    get interrupted() {
      return state.interrupted;
    },
    release() {
      input.off('data', onData);
      if (input.isTTY) input.setRawMode(wasRaw);
      input.pause();
    },
  };
}
