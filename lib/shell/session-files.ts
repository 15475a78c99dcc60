// What the runner leaves for the step server in the session directory before a step (ARCHITECTURE.md
// lists the files and who reads them): the step's script, where it starts (cwd.in), what its snapshot lists
// (names.in, or known.in for a step that must be compared whole), and only when there is something to hand
// over, adopt.sh (bash's own lines for what the last step changed) and ctx.in (values as NUL-separated
// data: the runner's own, and long ones a step set, those in val.N files). Each is written only when it changes. cwd.in also
// holds the umask the step starts with.
//
// A step's script puts its code at the lines it has in the runbook: bash's own messages and $LINENO then
// give runbook lines (script-names.ts turns the script's name in them into the runbook's). The line of the
// fence switches on the tracing the shell line asked for (-x, -v), so only the step's lines are traced.
// A write that fails (a full disk) is the runner's failure, said with the file and the reason.
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeContext } from '../core/context.ts';
import { RunnerError } from '../core/errors.ts';
import type { Context } from '../core/types.ts';
import { stepFileName } from '../os/state-dir.ts';
import { writeFailure } from '../os/write-error.ts';

/** Where the steps' scripts go in the session directory, apart from the server's own files. */
export const SCRIPTS = 'step';

/** A step as its script is written: its name, its code, and the line of its opening fence. */
export interface ScriptStep {
  name: string;
  code: string;
  line: number;
}

export class SessionFiles {
  /** Scripts as written, by file name: a step's script may be written ahead while the one before runs. */
  private readonly scripts = new Map<string, string>();
  /** Hand-over files that exist now. */
  private readonly present = new Set<string>();
  private start?: string;
  private listed?: string;
  private knownVersion?: number;
  /** The long values of the last hand-over, in files of their own. */
  private readonly valueFiles: string[] = [];
  private valueCount = 0;

  constructor(readonly dir: string) {
    mkdirSync(this.path(SCRIPTS), { mode: 0o700 });
  }

  /** The names a step can change, for its snapshot to list (and its functions and shell options, if it may). */
  names(names: string[], functions: boolean, options = false): string {
    const what = `${functions ? 'f' : ''}${options ? 'o' : ''}` || '-';
    const text = `${what}\n${names.map((n) => `${n}\n`).join('')}`;
    if (text !== this.listed) {
      this.write('names.in', text);
      this.listed = text;
    }
    return 'names.in';
  }

  /** Every name the server holds, for a step whose snapshot must list everything; `version` says when they changed. */
  known(names: () => string[], version: number): string {
    if (version !== this.knownVersion) {
      this.write(
        'known.in',
        names()
          .map((n) => `${n}\n`)
          .join(''),
      );
      this.knownVersion = version;
    }
    return '*';
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  /** Writes a step's script, named after the step; returns its name in the session directory. */
  script(step: ScriptStep): string {
    const name = `${SCRIPTS}/${stepFileName(step.name, 'sh')}`;
    const text = `${'\n'.repeat(Math.max(0, step.line - 1))}\${__rb_xv:+builtin set -$__rb_xv}\n${step.code}\n`;
    if (this.scripts.get(name) !== text) {
      this.write(name, text);
      this.scripts.set(name, text);
    }
    return name;
  }

  /**
   * What the next step starts from: the runner's own values, bash lines to source, its directory. Long
   * values go in files of their own (`val.N`); those of the last hand-over are gone by then, since the
   * server has taken them over before it said the last step ended.
   */
  handOver(values: Context, adopt: string): void {
    const hasValues = values.unset.length > 0 || Object.keys(values.vars).length > 0;
    for (const file of this.valueFiles.splice(0)) removeFile(this.path(file));
    const valueFile = (value: string) => {
      const name = `val.${++this.valueCount}`;
      this.valueFiles.push(name);
      this.write(name, value);
      return this.path(name);
    };
    this.only('ctx.in', hasValues ? encodeContext(values, valueFile) : '');
    this.only('adopt.sh', adopt);
    const fields = (list: string[] = []) => list.map((f) => `${f}\0`).join('');
    const args = values.args ?? [];
    const start = `${values.cwd}\0${values.umask ?? ''}\0${values.options ?? ''}\0${args.length}\0${fields(args)}${fields(values.dirs)}`;
    if (start !== this.start) {
      this.write('cwd.in', start);
      this.start = start;
    }
  }

  /** A file whose existence is the message (`pipes`: this step keeps pipes on a terminal server). */
  flag(name: string, on: boolean): void {
    this.only(name, on ? '1' : '');
  }

  /** The file exists only while it has something in it: most steps hand nothing over. */
  private only(name: string, content: string | Buffer): void {
    if (content.length) {
      this.write(name, content);
      this.present.add(name);
    } else if (this.present.delete(name)) removeFile(this.path(name));
  }

  private write(name: string, content: string | Buffer): void {
    const file = this.path(name);
    try {
      writeFileSync(file, content, { mode: 0o600 });
    } catch (err) {
      removeFile(file);
      this.scripts.delete(name);
      throw new RunnerError(writeFailure(file, err));
    }
  }
}

/** Removes a file of the session directory; one already gone (a step may clean up) is no error. */
function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Gone already.
  }
}
