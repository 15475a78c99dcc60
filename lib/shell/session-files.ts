// What the runner leaves for the step server in the session directory before a step (ARCHITECTURE.md
// lists the files and who reads them): the step's script, where it starts (cwd.in), what its snapshot lists
// (names.in, or known.in for a step that must be compared whole), and only when there is something to hand
// over, adopt.sh (bash's own lines for what the last step changed) and ctx.in (values as NUL-separated
// data: the runner's own, and long ones a step set). Each is written only when it changes.
import { unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeContext } from '../core/context.ts';
import type { Context } from '../core/types.ts';
import { stepFileName } from '../os/state-dir.ts';

export class SessionFiles {
  /** Scripts as written, by file name: a step's script may be written ahead while the one before runs. */
  private readonly scripts = new Map<string, string>();
  /** Hand-over files that exist now. */
  private readonly present = new Set<string>();
  private cwd?: string;
  private listed?: string;
  private knownVersion?: number;

  constructor(readonly dir: string) {}

  /** The names a step can change, for its snapshot to list (and its functions, with `functions`). */
  names(names: string[], functions: boolean): string {
    const text = `${functions ? 'f' : '-'}\n${names.map((n) => `${n}\n`).join('')}`;
    if (text !== this.listed) {
      writeFileSync(this.path('names.in'), text, { mode: 0o600 });
      this.listed = text;
    }
    return 'names.in';
  }

  /** Every name the server holds, for a step whose snapshot must list everything; `version` says when they changed. */
  known(names: () => string[], version: number): string {
    if (version !== this.knownVersion) {
      writeFileSync(
        this.path('known.in'),
        names()
          .map((n) => `${n}\n`)
          .join(''),
        { mode: 0o600 },
      );
      this.knownVersion = version;
    }
    return '*';
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  /** Writes a step's script, named after the step so bash's own messages name it; returns the name. */
  script(step: { name: string; code: string }): string {
    const name = stepFileName(step.name, 'sh');
    if (this.scripts.get(name) !== step.code) {
      writeFileSync(this.path(name), `${step.code}\n`, { mode: 0o600 });
      this.scripts.set(name, step.code);
    }
    return name;
  }

  /** What the next step starts from: the runner's own values, bash lines to source, its directory. */
  handOver(values: Context, adopt: string): void {
    const hasValues = values.unset.length > 0 || Object.keys(values.vars).length > 0;
    this.only('ctx.in', hasValues ? encodeContext(values) : '');
    this.only('adopt.sh', adopt);
    if (values.cwd !== this.cwd) {
      writeFileSync(this.path('cwd.in'), values.cwd, { mode: 0o600 });
      this.cwd = values.cwd;
    }
  }

  /** A file whose existence is the message (`pipes`: this step keeps pipes on a terminal server). */
  flag(name: string, on: boolean): void {
    this.only(name, on ? '1' : '');
  }

  /** The file exists only while it has something in it: most steps hand nothing over. */
  private only(name: string, content: string | Buffer): void {
    if (content.length) {
      writeFileSync(this.path(name), content, { mode: 0o600 });
      this.present.add(name);
    } else if (this.present.delete(name)) removeFile(this.path(name));
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
