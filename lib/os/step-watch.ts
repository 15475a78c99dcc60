// Ending a step when the person interrupts it or its timeout= runs out: the same for shell and JavaScript
// steps, which differ only in what `stop` ends.

export interface StepWatch {
  /** The signal fired (Ctrl-C, quit) while the step ran, or before it started. */
  readonly interrupted: boolean;
  /** The step ran past its timeout. */
  readonly timedOut: boolean;
  /** Stops watching: the step has ended. */
  dispose(): void;
}

/** Calls `stop` once the signal aborts or the timeout passes, and remembers which happened. */
export function watchStep(opts: { signal?: AbortSignal; timeoutMs?: number }, stop: () => void): StepWatch {
  const state = { interrupted: opts.signal?.aborted ?? false, timedOut: false };
  const onAbort = () => {
    state.interrupted = true;
    stop();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = opts.timeoutMs
    ? setTimeout(() => {
        state.timedOut = true;
        stop();
      }, opts.timeoutMs)
    : undefined;
  return {
    get interrupted() {
      return state.interrupted;
    },
    get timedOut() {
      return state.timedOut;
    },
    dispose() {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    },
  };
}
