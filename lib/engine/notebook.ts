// The runbook as a notebook, without any rendering: where the person is, moving to any step and back,
// running any step again with the current context, each step's status (stale when its code changed
// since it ran), its last output, edits for this run, and the file itself as the source of truth: read
// again when it changes on disk (the last good version kept while it is broken), and edits saved into
// their fence. The terminal walkthrough and the web notebook both drive it; neither keeps its own state.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Selection } from '../core/select.ts';
import type { Runbook, Step, StepResult, StepStatus } from '../core/types.ts';
import { replaceFile } from '../os/replace-file.ts';
import { watchFile } from '../os/watch-file.ts';
import type { Engine, StepRun } from './engine.ts';
import { placeIn, readVersion } from './new-version.ts';
import { isStale } from './run-record.ts';
import { type DocumentChange, describeChanges, diffRunbooks } from './step-match.ts';

/** One step as a notebook shows it. */
export interface Cell {
  step: Step;
  /** The record's status; `pending` is "not run". */
  status: StepStatus;
  /** Done, but the runbook's code for it changed since it ran. */
  stale: boolean;
  /** How many times it ran (retries= attempts are one run). */
  runs: number;
  /** Where the walkthrough is. */
  current: boolean;
  /** The code differs from the file's for this run (an edit not saved). */
  edited: boolean;
  result: StepResult;
}

/** What reading the file again came to. */
export interface Reload {
  /** A new version is in use. */
  changed: boolean;
  changes: DocumentChange[];
  /** One line for the person: what changed, or why the new version cannot be used. */
  notice?: string;
  /** Why the file's current text is not used (the last good version stays). */
  broken?: string;
  /** Parse warnings of the new version. */
  warnings: string[];
  /** A step was running: nothing was read; ask again when it has ended. */
  deferred?: boolean;
}

const UNCHANGED: Reload = { changed: false, changes: [], warnings: [] };

export interface NotebookOptions {
  file: string;
  text: string;
  runbook: Runbook;
  engine: Engine;
  /** The steps the walk goes through in order (--from, --to, --only); any step can still be visited. */
  selection: Selection;
  /** Checks a new version beyond parsing (attribute values); returns why it cannot be used. */
  validate?: (runbook: Runbook) => string | undefined;
}

export class Notebook {
  text: string;
  runbook: Runbook;
  readonly file: string;
  private readonly engine: Engine;
  /** Index of the current step; one past the last when the walk has reached its end. */
  private at: number;
  /** Names of the steps the walk goes through. */
  private walk: Set<string>;
  /** Code edited for this run only, by step name. */
  private readonly edits = new Map<string, string>();
  /** The broken text last reported, so it is reported once. */
  private brokenText?: string;
  /** The save under way, if one is: a reload waits for it. */
  private saving?: Promise<void>;

  constructor(private readonly opts: NotebookOptions) {
    this.file = opts.file;
    this.text = opts.text;
    this.runbook = opts.runbook;
    this.engine = opts.engine;
    this.walk = new Set(opts.selection.selected.map((s) => s.name));
    this.at = opts.selection.selected[0]?.index ?? this.steps.length + 1;
  }

  get steps(): Step[] {
    return this.runbook.steps;
  }

  /** The step the walk is at; undefined once it has gone past its last step. */
  get current(): Step | undefined {
    return this.steps[this.at - 1];
  }

  step(ref: number | string): Step | undefined {
    if (typeof ref === 'number') return this.steps[ref - 1];
    const trimmed = ref.trim();
    return /^\d+$/.test(trimmed)
      ? this.steps[Number(trimmed) - 1]
      : this.steps.find((s) => s.name === trimmed);
  }

  /** Moves to a step by number or name; undefined (and no move) when there is no such step. */
  goTo(ref: number | string): Step | undefined {
    const step = this.step(ref);
    if (step) this.at = step.index;
    return step;
  }

  /** The step before the current one (or the last step, from the end). */
  back(): Step | undefined {
    return this.at > 1 ? this.goTo(this.at - 1) : undefined;
  }

  /** On to the next step of the walk after the current one; undefined at the end. */
  advance(): Step | undefined {
    const next = this.steps.find((s) => s.index > this.at && this.walk.has(s.name));
    this.at = next?.index ?? this.steps.length + 1;
    return next;
  }

  /** The steps of the walk after `step` (what `run all` goes through). */
  remaining(step: Step): Step[] {
    return this.steps.filter((s) => s.index > step.index && this.walk.has(s.name));
  }

  inWalk(step: Step): boolean {
    return this.walk.has(step.name);
  }

  cell(step: Step): Cell {
    const result = this.engine.result(step);
    return {
      step,
      status: result.status,
      stale: isStale(result, step),
      runs: result.runs ?? (result.attempts > 0 ? 1 : 0),
      current: step.index === this.at,
      edited: this.edits.has(step.name),
      result,
    };
  }

  cells(): Cell[] {
    return this.steps.map((s) => this.cell(s));
  }

  /** The code the step runs: the edit for this run, else the file's. */
  code(step: Step): string {
    return this.edits.get(step.name) ?? step.code;
  }

  /** Edits the step's code for this run only; the file's own code again clears the edit. */
  edit(step: Step, code: string): void {
    if (code === step.code) this.edits.delete(step.name);
    else this.edits.set(step.name, code);
  }

  /** Runs the step (again, if it ran) with the current context and its current code. */
  run(step: Step, onRetry?: Parameters<Engine['run']>[2]): Promise<StepRun> {
    return this.engine.run(step, this.code(step), onRetry);
  }

  skip(step: Step): void {
    this.engine.skip(step);
  }

  /** The last output the step printed (bounded, secrets redacted), empty when it never ran. */
  output(step: Step): string {
    return this.engine.result(step).tail;
  }

  /** Whether the file on disk differs from the version in use (and from a broken one already reported). */
  changedOnDisk(): boolean {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      return this.brokenText !== `\0${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`;
    }
    return text !== this.text && text !== this.brokenText;
  }

  /** Reads the file again and, if it changed and reads well, takes its new version. */
  async refresh(): Promise<Reload> {
    // A save under way has written the file before it takes the new text: the change is its own.
    await this.saving;
    return this.reread();
  }

  private async reread(): Promise<Reload> {
    if (this.engine.running) return { ...UNCHANGED, deferred: true };
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      // Mid-save (an editor that deletes before it writes) or gone: the last good version goes on.
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      return this.report(`cannot read it (${code})`, `\0${code}`);
    }
    if (text === this.text) {
      this.brokenText = undefined;
      return UNCHANGED;
    }
    if (text === this.brokenText) return UNCHANGED;
    return this.take(text);
  }

  /** Uses `text` as the runbook's new version, if it reads well. */
  private async take(text: string): Promise<Reload> {
    const version = await readVersion(text, this.runbook, this.opts.validate);
    if ('why' in version) return this.report(version.why, text);
    const { fresh } = version;
    const { oldOf, changes } = diffRunbooks(this.runbook, fresh);
    const place = placeIn(fresh, oldOf, { current: this.current, walk: this.walk, edits: this.edits });
    this.engine.replaceSteps(fresh.steps, oldOf);
    this.runbook = fresh;
    this.walk = place.walk;
    this.edits.clear();
    for (const [name, code] of place.edits) this.edits.set(name, code);
    this.at = place.at;
    this.text = text;
    this.brokenText = undefined;
    const warnings = fresh.warnings.map((w) => `${this.name}:${w.line}: ${w.message}`);
    return { changed: true, changes, notice: describeChanges(this.name, changes), warnings };
  }

  private report(why: string, text: string): Reload {
    if (text === this.brokenText) return UNCHANGED;
    this.brokenText = text;
    const notice = `${this.name} changed but cannot be used (${why}); the last good version stays in use`;
    return { ...UNCHANGED, broken: why, notice };
  }

  /**
   * Saves `code` into the step's fence in the file: only that fence's content changes. The file must not
   * have changed since it was read; then it is read again instead, and nothing is saved.
   */
  save(step: Step, code: string): Promise<{ saved: true } | { error: string; reload?: Reload }> {
    const saving = this.saveNow(step, code);
    this.saving = saving.then(
      () => {},
      () => {},
    );
    return saving;
  }

  private async saveNow(
    step: Step,
    code: string,
  ): Promise<{ saved: true } | { error: string; reload?: Reload }> {
    const { replaceFenceContent } = await import('../markdown/fence-edit.ts');
    let target: string;
    let onDisk: string;
    try {
      target = realpathSync(this.file);
      onDisk = readFileSync(target, 'utf8');
    } catch (err) {
      return { error: `cannot read ${this.name}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}` };
    }
    if (onDisk !== this.text) {
      const reload = await this.reread();
      return { error: `${this.name} changed on disk since it was read; nothing was saved`, reload };
    }
    const edited = replaceFenceContent(this.text, step, code);
    if ('error' in edited) return { error: `cannot save into ${this.name}: ${edited.error}` };
    try {
      await replaceFile(target, edited.text, statSync(target).mode & 0o7777);
    } catch (err) {
      return { error: `cannot write ${this.name}: ${(err as Error).message}` };
    }
    this.edits.delete(step.name);
    await this.take(edited.text);
    return { saved: true };
  }

  /** Calls `onChange` when the file may have changed on disk; returns the stop function. */
  watch(onChange: () => void): () => void {
    return watchFile(this.file, onChange);
  }

  /** The file's name as notices show it. */
  get name(): string {
    return path.basename(this.file);
  }
}
