// What ends the runner from outside: a signal (Ctrl-C, Ctrl-\ (SIGQUIT, whose default would leave the step
// tree running and the record saying running), SIGTERM, SIGHUP) or the reader of its output going
// away (EPIPE, as in `runbook --list | head`). The CLI watches for them from start to end; whatever must
// be ended first (a run's step, its step shell and scratch directory) listens meanwhile. A stop nobody
// listens for is the CLI's to act on at once: nothing is running. One that came before a listener did is
// told to it as it starts listening, so a run that was starting stops before its first step.
import { EXIT } from '../core/errors.ts';

export type Stop = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGQUIT' | 'EPIPE';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

let first: Stop | undefined;
const listeners = new Set<(stop: Stop) => void>();
let unheard: (stop: Stop) => void = () => {};

function deliver(stop: Stop): void {
  // The reader goes once; every write after that fails the same way.
  if (stop === 'EPIPE' && first === 'EPIPE') return;
  first ??= stop;
  if (listeners.size === 0) unheard(stop);
  for (const listener of [...listeners]) listener(stop);
}

/**
 * Starts watching the signals and the output streams (for the CLI, once). `onUnheard` acts on a stop
 * nobody listens for. Returns the function that stops watching.
 */
export function watchStops(outputs: NodeJS.WritableStream[], onUnheard: (stop: Stop) => void): () => void {
  unheard = onUnheard;
  const onSignal = (sig: NodeJS.Signals) => deliver(sig as Stop);
  // Any error on an output stream means nothing more can be written there; EPIPE is the usual one.
  const onError = () => deliver('EPIPE');
  for (const s of SIGNALS) process.on(s, onSignal);
  for (const o of outputs) o.on('error', onError);
  return () => {
    for (const s of SIGNALS) process.off(s, onSignal);
    // A write that failed just before may report it after this: still nothing to crash over.
    for (const o of outputs) {
      o.off('error', onError);
      o.on('error', () => {});
    }
  };
}

/** The first stop so far, if any. */
export function stopped(): Stop | undefined {
  return first;
}

/** The exit code for a run ended by `stop`: 141 when its output was closed, else 130. */
export function stopExit(stop: Stop): number {
  return stop === 'EPIPE' ? EXIT.outputClosed : EXIT.interrupted;
}

/**
 * Listens for stops for as long as a run (or its start) needs to end something first; a stop that already
 * came is told at once. Returns the function that stops listening.
 */
export function trapSignals(onStop: (stop: Stop) => void): () => void {
  listeners.add(onStop);
  if (first) onStop(first);
  return () => {
    listeners.delete(onStop);
  };
}
