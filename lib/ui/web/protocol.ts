// What the page and `runbook serve` say to each other over the live channel (a WebSocket). Types only: the
// server (lib/ui/web/) and the page's script (web/) both import them, so the two cannot drift apart.
// Control messages are JSON text frames; a running step's output is binary frames (see OUTPUT_FRAME).

import type { StepStatus } from '../../core/types.ts';

/** A variable a step uses (ui/view.ts's VarView): its value (secrets as ****), or where it will come from. */
export interface VarView {
  name: string;
  value?: string;
  note?: string;
}

/** One step as the page shows it. */
export interface CellView {
  index: number;
  name: string;
  /** `bash` or `javascript`, for highlighting. */
  lang: 'bash' | 'javascript';
  /** The code the step runs (an edit for this run, else the file's). */
  code: string;
  /** The step's code in the file. */
  fileCode: string;
  /** The Markdown before the step, as HTML (the page sanitises it before showing it). */
  proseHtml: string;
  status: StepStatus;
  /** Done, but its code in the file changed since it ran. */
  stale: boolean;
  /** The code differs from the file's for this run. */
  edited: boolean;
  runs: number;
  attempts: number;
  durationMs: number;
  exitCode: number | null;
  /** Why it failed when that is not a plain exit code (timed out, ...), or a warning. */
  message?: string;
  vars: VarView[];
  /** Where "run all" would go next. */
  current: boolean;
}

export interface DocView {
  title: string;
  /** The runbook's file name. */
  file: string;
  cells: CellView[];
  epilogueHtml: string;
}

/** The running step, or undefined when nothing runs. */
export interface Busy {
  step: string;
  /** Identifies the run in output frames. */
  run: number;
  /** Run all from here: the steps after it run without asking. */
  auto: boolean;
}

/** A declared input (front matter `inputs:`) the run was not given, as the page's form asks for it. */
export interface InputField {
  name: string;
  description?: string;
  /** Taken when left empty (not shown for a secret). */
  default?: string;
  secret: boolean;
  required: boolean;
  pattern?: string;
  /** Why the value given last is not acceptable. */
  problem?: string;
}

export interface AskField {
  name: string;
  secret: boolean;
}

export type ServerMessage =
  /** Everything: on connecting, and whenever the runbook was read again. */
  | {
      t: 'doc';
      doc: DocView;
      busy?: Busy;
      tails: Record<string, string>;
      dropped: Record<string, number>;
      /** The declared inputs still to give: no step runs before they are. */
      inputs?: InputField[];
    }
  /** One cell changed (status, variables, code). */
  | { t: 'cell'; cell: CellView }
  /** A step started: its output frames carry `run`. */
  | { t: 'started'; step: string; run: number; auto: boolean }
  /** Nothing runs any more (the step ended, or run all stopped). */
  | { t: 'idle' }
  /**
   * The page fell behind: `bytes` of the run's output were not sent. `tail` is what the step printed last,
   * sent when it ended so the cell shows the end of its output.
   */
  | { t: 'dropped'; step: string; run: number; bytes: number; tail?: string }
  /** The step reads variables nothing has set: the cell asks for them before it runs. */
  | { t: 'ask'; step: string; fields: AskField[]; auto: boolean }
  /** A line for the person: what changed in the file, a warning, why an action was refused. */
  | { t: 'notice'; level: 'info' | 'warn' | 'error'; text: string; step?: string }
  /** An edit was saved into the file. */
  | { t: 'saved'; step: string }
  /** The server is stopping (Ctrl-C in its terminal). */
  | { t: 'bye'; why: string };

export type ClientMessage =
  | { t: 'run'; step: string; values?: Record<string, string> }
  | { t: 'runAll'; step: string; values?: Record<string, string> }
  /** Answers to the declared inputs' form. */
  | { t: 'inputs'; values: Record<string, string> }
  | { t: 'skip'; step: string }
  /**
   * Saves the code into the step's fence in the file (only that fence changes). `base` is the file's code
   * the edit started from: when the file has changed it since, nothing is saved.
   */
  | { t: 'save'; step: string; code: string; base?: string }
  /** Runs this code for the step in this run only; the file stays as it is. */
  | { t: 'edit'; step: string; code: string }
  /** Stops the running step (as Ctrl-C does in the terminal) and run all. */
  | { t: 'stop' }
  /** Keys typed into the running step's terminal. */
  | { t: 'input'; data: string }
  | { t: 'resize'; cols: number; rows: number }
  /** Output the page has drawn, in bytes: the server sends only so much ahead of it. */
  | { t: 'ack'; bytes: number };

/** First byte of a binary frame: a running step's output; then the run as a 32-bit number, then the bytes. */
export const OUTPUT_FRAME = 1;
/** Bytes of output the server sends a page ahead of what it has drawn; beyond that, output is dropped. */
export const OUTPUT_WINDOW = 512 * 1024;
