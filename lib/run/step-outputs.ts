// Where a run's steps write: the terminal, or under `runbook serve` the page, whose output sink is made
// before the step shell starts so that steps write there from the first; through taps that can keep a
// copy of what a step prints, and with a terminal of their own for shell steps where there is one.
import type { RunIO, RunOptions } from '../core/options.ts';
import { LineEnds, sameDestination } from '../os/line-ends.ts';
import { StreamTap } from '../os/stream-tap.ts';
import type { StepIO } from '../shell/session.ts';
import type { OutputSink } from '../ui/web/output.ts';

export interface StepOutputs {
  stepIO: StepIO;
  /** What the steps' stdout goes through. */
  tap: StreamTap;
  /** Where the steps' output left the cursor. */
  lines: LineEnds;
  /** Under serve: where the steps' output goes (the page). */
  sink?: OutputSink;
}

export async function stepOutputs(
  options: RunOptions,
  io: RunIO,
  interactive: boolean,
): Promise<StepOutputs> {
  // Served, steps write to the page instead (web/output.ts).
  const web = options.serve ? await import('../ui/web/serve.ts') : undefined;
  const sink = web?.webOutput(io);
  // Steps write to the terminal through a tap that can keep a copy (output blocks, capture=); both
  // streams go through one, which drops what a step writes once the runner's own output is closed.
  const tap = new StreamTap(sink?.io.stdout ?? io.stdout);
  const lines = new LineEnds(sameDestination(sink?.io.stdout ?? io.stdout, sink?.io.stderr ?? io.stderr));
  const stepIO: StepIO = {
    stdin: sink?.io.stdin ?? 'inherit',
    stdout: tap,
    stderr: new StreamTap(sink?.io.stderr ?? io.stderr),
    // Served, shell steps get a terminal of their own shown on the page.
    terminal: sink?.io.terminal,
    saw: lines.saw,
  };
  // At a terminal, shell steps get a terminal of their own (pipes under --yes, or when output is not one).
  if (interactive && io.stdin.isTTY && io.stdout.isTTY)
    stepIO.terminal = { input: io.stdin, output: io.stdout };
  return { stepIO, tap, lines, sink };
}
