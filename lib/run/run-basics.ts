// What every part of a run's start is handed: the runbook and where it belongs, the options and streams.
// Said once here; each part's own shape adds what only it needs.
import type { RunIO, RunOptions } from '../core/options.ts';
import type { Paint } from '../core/style.ts';
import type { Runbook } from '../core/types.ts';
import type { RunbookPlace } from '../os/state-dir.ts';

export interface RunBasics {
  file: string;
  place: RunbookPlace;
  options: RunOptions;
  io: RunIO;
  runbook: Runbook;
  interactive: boolean;
}

/** The basics with where steps start (the runbook's directory, or `--cwd`) and the run's colours. */
export interface RunStart extends RunBasics {
  baseDir: string;
  paint: Paint;
}
