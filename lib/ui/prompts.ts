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

export type StepChoice = 'run' | 'skip' | 'edit' | 'all' | 'quit';
export type FailureChoice = 'retry' | 'edit' | 'skip' | 'quit';

interface Key<A> {
  key: string;
  label: string;
  action: A;
}

const STEP_KEYS: Key<StepChoice>[] = [
  { key: 'r', label: 'Run it', action: 'run' },
  { key: 's', label: 'Skip it', action: 'skip' },
  { key: 'e', label: 'Edit the code for this run', action: 'edit' },
  { key: 'a', label: 'Run it and every remaining step without asking', action: 'all' },
  { key: 'q', label: 'Quit (continue later with --resume)', action: 'quit' },
];

const FAILURE_KEYS: Key<FailureChoice>[] = [
  { key: 'r', label: 'Retry', action: 'retry' },
  { key: 'e', label: 'Edit the code and retry', action: 'edit' },
  { key: 's', label: 'Skip it', action: 'skip' },
  { key: 'q', label: 'Quit (continue later with --resume)', action: 'quit' },
];

/** One keypress picks; Enter picks the first key. */
async function chooseKey<A>(message: string, keys: Key<A>[], io: PromptIO, cancelled: A): Promise<A> {
  const picked = await selectKey({
    message,
    options: keys.map((k) => ({ value: k.key, label: k.label })),
    input: io.input,
    output: io.output,
    signal: io.signal,
  });
  releaseInput(io.input);
  if (isCancel(picked)) return cancelled;
  // clack's key prompt submits without a value on Enter.
  const key = keys.find((k) => k.key === picked) ?? keys[0];
  return key ? key.action : cancelled;
}

export function chooseStepAction(message: string, io: PromptIO): Promise<StepChoice> {
  return chooseKey(message, STEP_KEYS, io, 'quit');
}

export function chooseAfterFailure(message: string, io: PromptIO): Promise<FailureChoice> {
  return chooseKey(message, FAILURE_KEYS, io, 'quit');
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
