// Shared shapes. Parsing, the engine, the UI and the records all speak these.

/** YAML front matter of a runbook. Unknown keys are kept as they were written. */
export interface FrontMatter {
  title?: string;
  /** Where steps start, relative to the runbook's directory. */
  cwd?: string;
  /** Tools the procedure needs; checked before step 1 (see preflight). */
  requires?: Requirement[];
  /** Interpreter command line for shell steps, e.g. "bash --noprofile --norc -e -o pipefail {0}". */
  shell?: string;
  /** Names whose values are redacted in everything the runner writes. */
  secrets?: string[];
  /** Values the person running the runbook gives, by variable name, in the order written. */
  inputs?: Record<string, InputSpec>;
  [key: string]: unknown;
}

/** A declared input (front matter `inputs:`). */
export interface InputSpec {
  description?: string;
  /** Taken when nothing else gives a value; an input with a default is never missing. */
  default?: string;
  /** Masked when asked, redacted and never written, like a secret-looking name. */
  secret?: boolean;
  /** Default true: a run cannot start without it. */
  required?: boolean;
  /** A JavaScript regular expression the value must match (not anchored: write ^...$). */
  pattern?: string;
}

/**
 * A `requires:` entry: a bare command name, or an object with details. `warn: true` makes an unmet one a
 * warning that lets the run go on; otherwise it stops the run before step 1.
 */
export type Requirement =
  | string
  | { name: string; version?: string; check?: string; hint?: string; warn?: boolean; [key: string]: unknown };

export type StepKind = 'shell' | 'js';

export type AttributeValue = string | boolean;

export interface Step {
  /** 1-based position among the runbook's steps. */
  index: number;
  /** Unique within the runbook: the `name` attribute, else the heading slug (-2, -3...), else step-N. */
  name: string;
  /** Language of the fence, lower-cased; `bash` for a fence without one. */
  lang: string;
  kind: StepKind;
  /** 1-based line of the opening fence in the original file (front matter and CRLF included). */
  line: number;
  /** The block's content, without the final newline. */
  code: string;
  /** Attributes from `{...}` in the info string. Bare flags are `true`. */
  attributes: Record<string, AttributeValue>;
  /** Markdown between the previous step (or the start of the body) and this step's fence. */
  prose: string;
  /** Texts of the headings enclosing this step, outermost first. */
  headings: string[];
  /** The `output` block right after the step: what it is expected to print (see markdown/expectation.ts). */
  expected?: ExpectedOutput;
  /** What in the attribute braces could not be read: the step cannot run until it is fixed. */
  unreadable?: string;
}

/** An `output` fence that follows a step with only blank lines (or HTML comments) between. */
export interface ExpectedOutput {
  /** The block's content, without the final newline. */
  text: string;
  /** 1-based line of the block's opening fence in the original file. */
  line: number;
  /** Innovation Engine's `<!-- expected_similarity=0.8 -->` comment before the block, if any. */
  similarity?: number;
}

export interface ParseWarning {
  line: number;
  message: string;
}

export interface Runbook {
  frontMatter: FrontMatter;
  steps: Step[];
  /** Markdown after the last step. */
  epilogue: string;
  warnings: ParseWarning[];
}

/** One carried shell variable, as bash reported it. */
export type CarriedValue =
  | { type: 'scalar'; value: string }
  | { type: 'indexed'; value: Record<string, string> }
  | { type: 'assoc'; value: Record<string, string> };

export type CarriedVar = CarriedValue & {
  /** declare attributes other than a/A/r, e.g. "x" (exported), "i", "l", "u", "n". */
  attrs: string;
  /** Declared with no value yet (`declare -A M`, `export X`): its value is empty, and bash holds none. */
  declared?: true;
};

/** The shell state carried from one step to the next. */
export interface Context {
  vars: Record<string, CarriedVar>;
  /** Variables of the runner's environment that a step unset. */
  unset: string[];
  /** Function definitions, as `declare -f` printed them. */
  functions: string;
  /** Working directory at the end of the last step. */
  cwd: string;
  /** The umask at the end of the last step ("0022"); absent until a shell step reported one. */
  umask?: string;
  /** The directory stack below `cwd` (`pushd`), top first; absent when empty. */
  dirs?: string[];
  /** The positional parameters steps left (`set -- a b`); absent when none. */
  args?: string[];
  /**
   * The shell options steps changed from the plain step shell, as bash's own lines (`shopt -s extglob`,
   * `set -o nounset`, one a line; see core/shell-options.ts); absent when none.
   */
  options?: string;
}

export const STEP_STATUSES = ['pending', 'running', 'done', 'failed', 'skipped', 'interrupted'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface StepResult {
  index: number;
  name: string;
  status: StepStatus;
  exitCode: number | null;
  durationMs: number;
  attempts: number;
  /** sha256 of the code that ran (the edited code, if the person edited it). */
  codeHash: string;
  /** Present when the code that ran differs from the runbook's. */
  editedCode?: string;
  /** sha256 of the runbook's own code for the step when it last ran (differs from codeHash after an edit). */
  sourceHash?: string;
  /** How many times the step was run (a re-run in the walkthrough counts; retries= attempts do not). */
  runs?: number;
  /** Why the step failed, when it was not a plain non-zero exit (timeout, trap replaced, ...). */
  message?: string;
  /** Names this step assigned, changed or unset. */
  setVars: string[];
  /** Values of setVars after the step, rendered as text (arrays as bash would print them); unset ones absent. */
  setValues?: Record<string, string>;
  /** Bounded tail of the step's combined output (a background step's: of its log). */
  tail: string;
  startedAt?: string;
  /** How its output compared with its output block, when it has one and exited 0. */
  output?: OutputCheck;
  /** A background step: whether it still runs, and how it ended. */
  background?: BackgroundState;
}

export interface OutputCheck {
  /** The mode as expect= writes it: lines, contains, regex, similar:0.8. */
  expect: string;
  matched: boolean;
  /** With similar: the score the output got. */
  score?: number;
  /** Expected against printed (redacted), when it did not match. */
  diff?: string;
}

export interface BackgroundState {
  /** running; exited on its own; stopped by a later step's stop=; ended with the run. */
  state: 'running' | 'exited' | 'stopped' | 'ended';
  pid?: number;
  /** How it ended, once it has. */
  exitCode?: number | null;
  signal?: string | null;
}

/** Everything a finished (or failed, or interrupted) run leaves for records and summaries. */
export interface RunReport {
  runbookPath: string;
  startedAt: string;
  endedAt: string;
  exitCode: number;
  /** Every step of the runbook, in order; steps never reached are 'pending'. */
  steps: StepResult[];
  /** Why the run did not go on (it was refused, or stopped before step 1): none of its steps ran. */
  error?: string;
}

/** Where a step's input and output go. */
export interface StepIO {
  stdin: 'inherit' | 'ignore';
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /**
   * The person's terminal, in a walkthrough: shell steps then get a pseudo-terminal of their own, shown
   * on it, sized like it, and fed what is typed while they run (shell/step-terminal.ts).
   */
  terminal?: PersonTerminal;
  /** Told of every chunk of a step's output as it is forwarded (see os/line-ends.ts). */
  saw?: (stream: 'out' | 'err', chunk: Buffer) => void;
}

/** A person's terminal: keyboard and screen. */
export interface PersonTerminal {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

/** How one step (shell or JavaScript) ended. */
export interface StepOutcome {
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  tail: string;
  interrupted: boolean;
  timedOut: boolean;
  /** The context after the step, when it succeeded and its shell reported one. */
  context?: Context;
  /** With `context`, when the shell knows: the names the step assigned, changed or unset. */
  changed?: string[];
  /** Why variables could not be carried, when the step succeeded but reported nothing. */
  warning?: string;
  /**
   * A failed step's variables that differ from what its shell held, when it reported them: never carried,
   * only looked at for the secrets it set (a token it fetched before the call that failed).
   */
  leftVars?: Record<string, CarriedVar>;
}
