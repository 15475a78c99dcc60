// The driver a run's engine is handed to once step 1 can start: the web notebook (`runbook serve`), the
// walkthrough at a terminal, or the unattended --yes run. Each one's code is loaded only when it is the
// one taken (the walkthrough's while the step shell comes up); and how the engine ends, however it went.

import type { ResolvedInput } from '../core/inputs.ts';
import type { RunIO } from '../core/options.ts';
import type { Selection } from '../core/select.ts';
import type { Runbook } from '../core/types.ts';
import type { Engine } from '../engine/engine.ts';
import type { Notebook } from '../engine/notebook.ts';
import { describeLock } from '../engine/run-lock.ts';
import type { Renderer } from '../ui/renderer.ts';
import type { OutputSink } from '../ui/web/output.ts';
import { invalidAttributes } from './attribute-check.ts';
import type { Provide } from './resume-withheld.ts';
import type { RunBasics } from './run-basics.ts';

/** The walkthrough's code and the notebook it drives, loaded (once asked for) while the run goes on. */
export function walkthroughCode() {
  const code = Promise.all([import('../ui/walkthrough.ts'), import('../engine/notebook.ts')]);
  // A run refused before its walkthrough never awaits it.
  code.catch(() => {});
  return code;
}

/**
 * What a resumed run does before its first step and after the declared inputs are given: makes withheld
 * values again and starts background steps again (run.ts). An exit code when that fails. `provide` sets
 * what a step run again needs that nothing has set (the walkthrough asks for it).
 */
export type Ready = (provide?: Provide) => Promise<number | undefined>;

export interface Drive extends RunBasics {
  ready: Ready;
  text: string;
  selection: Selection;
  /** Declared inputs the person is asked for. */
  toAsk: ResolvedInput[];
  /** Under serve: where the steps' output goes (the page). */
  sink?: OutputSink;
  /** The walkthrough's renderer, its cache read. */
  renderer?: Renderer;
  /** The walkthrough's code, when its loading started early (walkthroughCode). */
  walkCode?: ReturnType<typeof walkthroughCode>;
}

/** Runs the steps through the driver the run asked for: its exit code, and the walkthrough's notebook. */
export async function drive(engine: Engine, d: Drive): Promise<{ exitCode: number; book?: Notebook }> {
  const { file, place, options, io, runbook, text, selection, toAsk } = d;
  if (options.serve && d.sink) {
    const { serve } = await import('../ui/web/serve.ts');
    const { sink } = d;
    const onListening = (address: string) => describeLock(place, `runbook serve on http://${address}/`);
    const served = {
      engine,
      runbook,
      text,
      file,
      selection,
      io,
      sink,
      onListening,
      inputs: toAsk,
      ready: d.ready,
    };
    return { exitCode: await serve({ ...served, options: options.serve }) };
  }
  if (d.interactive) {
    const [{ walkthrough }, { Notebook }] = await (d.walkCode ?? walkthroughCode());
    const validate = (r: Runbook) => invalidAttributes(r, file)[0];
    const book = new Notebook({ file, text, runbook, engine, selection, validate });
    return { exitCode: await walkthrough(book, engine, io, toAsk, d.renderer, d.ready), book };
  }
  const failed = await d.ready();
  if (failed !== undefined) return { exitCode: failed };
  const { runUnattended } = await import('./unattended.ts');
  return { exitCode: await runUnattended(engine, selection, io) };
}

/** Ends the run's background steps, saying which, and writes what is pending of the record. */
export async function closeEngine(engine: Engine, io: RunIO): Promise<void> {
  const running = engine.background.running().map((r) => r.name);
  if (running.length)
    io.stderr.write(
      `runbook: ending background step${running.length > 1 ? 's' : ''} ${running.join(', ')}\n`,
    );
  await engine.close();
}
