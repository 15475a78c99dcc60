// Keeps the run record on disk as steps end (run-record.ts says what it holds): atomic rewrites, saves
// close together written as one, long values in files of their own (record-json.ts).
import { mkdir, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsReason, StateError } from '../core/errors.ts';
import { makeDirs } from '../os/make-dirs.ts';
import { replaceFile } from '../os/replace-file.ts';
import { RecordJson, valuesDir } from './record-json.ts';
import type { RunRecord } from './run-record.ts';

/** Saves closer together than this are written as one (see RecordWriter). */
const RECORD_INTERVAL_MS = 50;

/**
 * Keeps the run record on disk: every save goes to a temp file then a rename, so a crash or Ctrl-C never
 * leaves half a record. The work is done after the current turn of the event loop, when the next step has
 * usually been started, and the file system calls run off the main thread (on ext4 a rename over the old
 * record costs a flush of about half a millisecond). A save comes out at once after a quiet spell; saves
 * made within RECORD_INTERVAL_MS of the last write are written together at the end of that interval, so
 * a run of quick steps costs a few writes, not one per step. `flush()` writes what is pending at once;
 * every way a run ends calls it. Only a run killed outright (SIGKILL, power loss) can lose the steps of
 * its last interval, which --resume then runs again, as it does the step that was running.
 */
export class RecordWriter {
  private writing?: Promise<void>;
  private next?: () => RunRecord;
  private failed?: Error;
  /** Told once, as soon as a write fails (the run goes on; flush and later saves report it too). */
  onError?: (err: Error) => void;
  private madeDir = false;
  /** Ends the wait between writes early. */
  private hurry?: () => void;
  private flushing = false;
  private readonly json: RecordJson;
  private readonly values: string;
  /** The value files the record on disk refers to (see record-json.ts). */
  private referenced?: Set<string>;

  /** `omit`: variables whose values never reach the file (secrets); they are listed as withheld. */
  constructor(
    readonly file: string,
    private readonly intervalMs = RECORD_INTERVAL_MS,
    omit?: (name: string) => boolean,
  ) {
    this.json = new RecordJson(omit);
    this.values = valuesDir(file);
  }

  /** Schedules a save of the record `snapshot` returns (called once, when the save is written). */
  save(snapshot: () => RunRecord): void {
    if (this.failed) throw this.failed;
    this.next = snapshot;
    this.writing ??= this.drain();
  }

  /** Writes what is pending now; resolves once the newest save is on disk, rejects if one failed. */
  async flush(): Promise<void> {
    this.flushing = true;
    this.hurry?.();
    try {
      await this.writing;
    } finally {
      this.flushing = false;
    }
    if (this.failed) throw this.failed;
  }

  private async drain(): Promise<void> {
    try {
      await new Promise((resolve) => setImmediate(resolve));
      if (!this.madeDir) {
        makeDirs(path.dirname(this.file));
        this.madeDir = true;
      }
      for (let snapshot = this.next; snapshot; snapshot = this.next) {
        this.next = undefined;
        const record = snapshot();
        record.updatedAt = new Date().toISOString();
        // Compact: it is rewritten after every step, and tools read it with jq as easily.
        const { text, files, referenced } = this.json.text(record);
        if (files.length) await mkdir(this.values, { recursive: true, mode: 0o700 });
        for (const f of files) {
          await replaceFile(path.join(this.values, f.name), f.text, 0o600);
          this.json.wrote(f.name);
        }
        await replaceFile(this.file, `${text}\n`, 0o600);
        await this.forgetValues(referenced);
        await this.pause();
      }
    } catch (err) {
      this.failed = new StateError(`cannot write the run record ${this.file}: ${fsReason(err)}`);
      this.onError?.(this.failed);
    } finally {
      this.writing = undefined;
    }
  }

  /** Removes value files the record on disk no longer refers to, when that set changed. */
  private async forgetValues(referenced: Set<string>): Promise<void> {
    const before = this.referenced;
    this.referenced = referenced;
    if (before && before.size === referenced.size && [...before].every((f) => referenced.has(f))) return;
    let names: string[];
    try {
      names = await readdir(this.values);
    } catch {
      return;
    }
    for (const name of names) {
      if (!referenced.has(name)) await unlink(path.join(this.values, name)).catch(() => {});
    }
  }

  /** Waits out the interval after a write, unless flush() hurries it. */
  private pause(): Promise<void> {
    if (this.flushing) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.hurry = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.intervalMs);
      this.hurry = done;
    });
  }
}
