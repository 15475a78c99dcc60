// The signals that end a run, caught for its life so that the running step is ended first.

/** Catches SIGINT/SIGTERM/SIGHUP for the life of a run; the first one ends the running step. */
export function trapSignals(onSignal: (sig: NodeJS.Signals) => void): () => void {
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of sigs) process.on(s, onSignal);
  return () => {
    for (const s of sigs) process.off(s, onSignal);
  };
}
