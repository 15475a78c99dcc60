// The step server's output: its stdout and stderr, and in a walkthrough at a terminal the steps' own
// pseudo-terminal, each forwarded to the person with the end-of-step markers taken out and bash's messages
// naming the runbook's lines; what passes is kept in the running step's tail.
import path from 'node:path';
import type { PersonTerminal, StepIO } from '../core/types.ts';
import type { Pty } from '../os/pty.ts';
import { ScriptNameFilter } from './script-names.ts';
import { SCRIPTS } from './session-files.ts';
import { MarkerFilter } from './sync-marker.ts';

/** Output of a step: its markers taken out, bash's messages naming the runbook, a tap for the tail. */
/** What the output is for: where the steps' scripts are, the runbook they name, the person's streams. */
export interface OutputOptions {
  dir: string;
  runbook: string;
  io: StepIO;
}

/** The server that takes the markers and keeps the tail (set once it exists). */
export interface OutputHolder {
  server?: { marked(stream: 'out' | 'err' | 'tty', report: string): void; tail: { push(d: Buffer): void } };
}

export function stepOutput(
  opts: OutputOptions,
  marker: Buffer,
  onMarker: (report: string) => void,
  closed?: string,
) {
  const filter = new MarkerFilter(marker, onMarker, closed);
  const names = new ScriptNameFilter(path.join(opts.dir, SCRIPTS), opts.runbook);
  filter.pipe(names);
  return { filter, out: names };
}

/**
 * Opens the steps' terminal: what the steps write to it goes to the person's screen (and the tail), with
 * the end-of-step marker taken out; it follows the person's window size. Undefined when no terminal can be
 * opened here (the steps then keep pipes).
 */
export async function offerTerminal(
  opts: OutputOptions,
  marker: Buffer,
  holder: OutputHolder,
): Promise<{ pty: Pty; stop: () => void } | undefined> {
  const { io } = opts;
  const person = io.terminal as PersonTerminal;
  let pty: Pty;
  try {
    const { Pty } = await import('../os/pty.ts');
    pty = new Pty(person.output.columns ?? 80, person.output.rows ?? 24);
  } catch {
    return undefined;
  }
  const { filter, out } = stepOutput(opts, marker, (report) => holder.server?.marked('tty', report));
  out.on('data', (d: Buffer) => {
    holder.server?.tail.push(d);
    io.saw?.('out', d);
  });
  pty.output.pipe(filter);
  out.pipe(io.stdout, { end: false });
  const resize = () => pty.resize(person.output.columns ?? 80, person.output.rows ?? 24);
  person.output.on('resize', resize);
  return {
    pty,
    stop: () => {
      person.output.off('resize', resize);
      pty.output.unpipe(filter);
      out.unpipe(io.stdout);
      pty.close();
    },
  };
}
