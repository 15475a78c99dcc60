// The questions the walkthrough asks, on clack. Each takes its input and output streams, so the choices
// can be driven by a test through a stream, and returns plain values: a cancelled prompt (Ctrl-C, Escape,
// an aborted signal) is 'quit' or undefined, never clack's symbol.
import { type Readable, Writable } from 'node:stream';
import { confirm, isCancel, password, selectKey, text } from '@clack/prompts';
import { colorEnabled } from '../core/style.ts';

export interface PromptIO {
  input: Readable;
  output: Writable;
  /** Aborting it cancels the prompt on screen (SIGTERM while waiting for a key). */
  signal?: AbortSignal;
}

/** What the person picks at a step (and after a failure, and at the end of the walk). */
export type StepChoice =
  | 'run'
  | 'skip'
  | 'edit'
  | 'all'
  | 'go'
  | 'back'
  | 'next'
  | 'output'
  | 'quit'
  | 'finish';

/** Where the walk is, which decides the keys offered and their words. */
export type StepMoment =
  /** A step not run yet (or skipped, or interrupted before). */
  | 'new'
  /** A step that is done: running it again is a re-run. */
  | 'done'
  /** Just after the step failed or was interrupted. */
  | 'failed'
  /** Past the last step of the walk. */
  | 'end';

interface Key<A> {
  key: string;
  label: string;
  action: A;
}

const key = <A>(k: string, label: string, action: A): Key<A> => ({ key: k, label, action });
const QUIT = key<StepChoice>('q', 'Quit (continue later with --resume)', 'quit');
const MOVES = [
  key<StepChoice>('g', 'Go to a step (the outline)', 'go'),
  key<StepChoice>('b', 'Back to the previous step', 'back'),
  key<StepChoice>('n', 'Next step, leaving this one as it is', 'next'),
  key<StepChoice>('o', 'Show its last output', 'output'),
];

/** The keys for a moment; Enter picks the first. */
export function stepKeys(moment: StepMoment): Key<StepChoice>[] {
  switch (moment) {
    case 'new':
      return [
        key('r', 'Run it', 'run'),
        key('s', 'Skip it', 'skip'),
        key('e', 'Edit the code', 'edit'),
        key('a', 'Run it and every remaining step without asking', 'all'),
        ...MOVES,
        QUIT,
      ];
    case 'done':
      return [
        key('r', 'Run it again', 'run'),
        key('n', 'Next step', 'next'),
        key('e', 'Edit the code', 'edit'),
        key('a', 'Run it again, then every remaining step not done, without asking', 'all'),
        key('g', 'Go to a step (the outline)', 'go'),
        key('b', 'Back to the previous step', 'back'),
        key('o', 'Show its last output', 'output'),
        QUIT,
      ];
    case 'failed':
      return [
        key('r', 'Retry', 'run'),
        key('e', 'Edit the code and retry', 'edit'),
        key('s', 'Skip it', 'skip'),
        ...MOVES,
        QUIT,
      ];
    case 'end':
      return [
        key('q', 'Finish', 'finish'),
        key('g', 'Go to a step (the outline)', 'go'),
        key('b', 'Back to the last step', 'back'),
        key('o', "Show a step's last output", 'output'),
      ];
  }
}

/**
 * One keypress picks; Enter picks the first key. Cancelled (Ctrl-C, aborted): `cancelled`; Escape too,
 * unless `escapeStays`, when it asks again (one Escape too many must not end a walkthrough).
 */
async function chooseKey<A>(
  message: string,
  keys: Key<A>[],
  io: PromptIO,
  cancelled: A,
  escapeStays = false,
): Promise<A> {
  let last = '';
  const seen = (d: Buffer | string) => {
    last = String(d);
  };
  let picked: string | symbol | undefined;
  try {
    for (;;) {
      last = '';
      const asking = selectKey({
        message,
        options: keys.map((k) => ({ value: k.key, label: k.label })),
        input: io.input,
        output: io.output,
        signal: io.signal,
      });
      // Listened to once clack listens, so that nothing reaches this listener alone.
      io.input.off('data', seen);
      io.input.on('data', seen);
      picked = await asking;
      if (!(escapeStays && isCancel(picked) && last === '\u001b' && !io.signal?.aborted)) break;
    }
  } finally {
    io.input.off('data', seen);
  }
  releaseInput(io.input);
  if (isCancel(picked)) return cancelled;
  // clack's key prompt submits without a value on Enter.
  const found = keys.find((k) => k.key === picked) ?? keys[0];
  return found ? found.action : cancelled;
}

export function chooseStepAction(message: string, moment: StepMoment, io: PromptIO): Promise<StepChoice> {
  return chooseKey(message, stepKeys(moment), io, moment === 'end' ? 'finish' : 'quit', true);
}

export type EditScope = 'run' | 'save' | 'discard';

/** After an edit: for this run only, or saved into the runbook's file. */
export function chooseEditScope(file: string, io: PromptIO): Promise<EditScope> {
  const keys = [
    key<EditScope>('r', 'For this run only', 'run'),
    key<EditScope>('s', `Save it into ${file} (only this step's code changes)`, 'save'),
    key<EditScope>('d', 'Discard the edit', 'discard'),
  ];
  return chooseKey('Use the edited code how?', keys, io, 'discard');
}

/** Asks for a variable's value (masked when secret); undefined when the person cancels. */
export async function askValue(
  name: string,
  secret: boolean,
  io: PromptIO,
  why?: string,
): Promise<string | undefined> {
  const message = `${why ?? `${name} is not set.`} Value for ${name}:`;
  const common = { message, input: io.input, output: io.output, signal: io.signal };
  const answer = secret ? await password({ ...common, mask: '*' }) : await text(common);
  releaseInput(io.input);
  return isCancel(answer) ? undefined : (answer ?? '');
}

/** Yes or no, default no; used by the preflight when required tools are missing. */
export async function confirmContinue(
  message: string,
  io: { stdin: Readable; stderr: Writable & { isTTY?: boolean }; env?: NodeJS.ProcessEnv },
): Promise<boolean> {
  const output = promptOutput(io.stderr, colorEnabled(io.stderr, io.env));
  const answer = await confirm({ message, initialValue: false, input: io.stdin, output });
  releaseInput(io.stdin);
  return answer === true;
}

/**
 * Hands the terminal back before a step runs: the step inherits stdin, and anything still reading it here
 * (raw mode, a flowing stream) would steal the keys a `read -p` or `kubectl exec -it` is waiting for.
 */
export function releaseInput(input: Readable): void {
  const tty = input as Readable & { isTTY?: boolean; isRaw?: boolean; setRawMode?: (raw: boolean) => void };
  if (tty.isTTY && tty.isRaw && tty.setRawMode) tty.setRawMode(false);
  input.pause();
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: colour escapes are what is removed
const SGR = /\u001b\[[0-9;]*m/g;

/**
 * Where prompts draw. Without colour, a filter: clack styles through util.styleText, and Node 20 applies
 * multi-style formats (`['gray', 'bgWhite']`, the key badges) even when NO_COLOR is set.
 */
export function promptOutput(
  out: Writable & { columns?: number; rows?: number; isTTY?: boolean },
  color: boolean,
) {
  if (color) return out;
  const plain = new Writable({
    decodeStrings: false,
    write(chunk: Buffer | string, _encoding, done) {
      out.write(String(chunk).replace(SGR, ''));
      done();
    },
  });
  // clack wraps to the terminal's width and redraws on resize.
  for (const key of ['columns', 'rows', 'isTTY'] as const) {
    Object.defineProperty(plain, key, { get: () => out[key], enumerable: true });
  }
  out.on('resize', () => plain.emit('resize'));
  return plain;
}
