// The resumable run record: one JSON file per runbook in its state directory (.runbook/ beside it, see
// os/state-dir.ts), rewritten atomically after every step change, mode 0600 because carried values can be
// secrets.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { validateContext } from '../core/context.ts';
import { fsReason, RunnerError, StateError } from '../core/errors.ts';
import { type Context, STEP_STATUSES, type Step, type StepResult } from '../core/types.ts';
import { makeDirs } from '../os/make-dirs.ts';
import { replaceFile } from '../os/replace-file.ts';
import { type RunbookPlace, stateFile } from '../os/state-dir.ts';
import { writeFailure } from '../os/write-error.ts';
import { RecordJson, readValueFiles, valuesDir } from './record-json.ts';

export const STATE_FORMAT = 'runbook-state/1';
const STATUSES = new Set<string>(STEP_STATUSES);

export interface RunRecord {
  format: typeof STATE_FORMAT;
  runbook: string;
  startedAt: string;
  updatedAt: string;
  /** Context after the last step that completed. */
  context: Context;
  /** Secret variables whose values were not written (they must be provided again on resume). */
  withheld: string[];
  steps: StepResult[];
}

/** Asked for each step when the record is made and again when it runs: each code is hashed once. */
const hashes = new Map<string, string>();

export function codeHash(code: string): string {
  let hash = hashes.get(code);
  if (hash === undefined) {
    hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
    hashes.set(code, hash);
  }
  return hash;
}

export function recordPath(place: RunbookPlace): string {
  return stateFile(place, 'state.json');
}

/** A record of nothing run yet; `runbook` is what it belongs to (RunbookPlace.identity). */
export function newRecord(runbook: string, steps: Step[], context: Context): RunRecord {
  const now = new Date().toISOString();
  return {
    format: STATE_FORMAT,
    runbook,
    startedAt: now,
    updatedAt: now,
    context,
    withheld: [],
    steps: steps.map((s) => ({
      index: s.index,
      name: s.name,
      status: 'pending',
      exitCode: null,
      durationMs: 0,
      attempts: 0,
      codeHash: codeHash(s.code),
      setVars: [],
      tail: '',
    })),
  };
}

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

/** Reads a record for --resume; anything unusable is a StateError that suggests a fresh run. */
export function loadRecord(place: RunbookPlace): RunRecord | undefined {
  const file = recordPath(place);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateError(`cannot read the run record ${file}: ${fsReason(err)}`);
  }
  const fresh = 'run without --resume to start afresh';
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StateError(`the run record ${file} is corrupt (${(err as Error).message}); ${fresh}`);
  }
  const r = raw as Partial<RunRecord> | null;
  if (typeof r !== 'object' || r === null || r.format !== STATE_FORMAT) {
    throw new StateError(`${file} is not a run record of this version of runbook; ${fresh}`);
  }
  if (r.runbook !== place.identity) {
    throw new StateError(
      `the run record ${file} belongs to ${String(r.runbook)}, not this runbook; ${fresh}`,
    );
  }
  try {
    if (!Array.isArray(r.steps)) throw new StateError('steps missing');
    for (const s of r.steps) {
      if (typeof s !== 'object' || s === null || typeof s.name !== 'string' || !STATUSES.has(s.status)) {
        throw new StateError('a step entry is malformed');
      }
    }
    if (!Array.isArray(r.withheld)) throw new StateError('withheld list missing');
    const vars = (r.context as { vars?: unknown } | undefined)?.vars;
    if (vars && typeof vars === 'object') readValueFiles(vars as Record<string, unknown>, valuesDir(file));
    validateContext(r.context);
  } catch (err) {
    throw new StateError(`the run record ${file} is corrupt (${(err as Error).message}); ${fresh}`);
  }
  return r as RunRecord;
}

export interface ResumePoint {
  /** Index (1-based) of the first step that is not done; steps.length + 1 when all are. */
  from: number;
  /** Done steps whose code changed since they ran. */
  stale: Step[];
}

/**
 * A done step whose code in the runbook changed since it ran. What counts is the runbook's code when it
 * ran (sourceHash); a record from before that was kept says only what ran, so an edited run is not stale.
 */
export function isStale(result: StepResult, step: Step): boolean {
  if (result.status !== 'done') return false;
  const ran = result.sourceHash ?? (result.editedCode === undefined ? result.codeHash : undefined);
  return ran !== undefined && ran !== codeHash(step.code);
}

/** Where --resume continues: the first step that is not done or deliberately skipped. */
export function resumePoint(record: RunRecord, steps: Step[]): ResumePoint {
  const byName = new Map(record.steps.map((s) => [s.name, s]));
  const stale: Step[] = [];
  let from = steps.length + 1;
  for (const step of steps) {
    const prev = byName.get(step.name);
    const finished = prev && (prev.status === 'done' || prev.status === 'skipped');
    if (!finished) {
      from = step.index;
      break;
    }
    if (isStale(prev, step)) stale.push(step);
  }
  return { from, stale };
}

function lockPath(place: RunbookPlace): string {
  return stateFile(place, 'lock');
}

/** A run's hold on its runbook; `earlier` is the run that held it and is gone (killed outright). */
export interface RunLock {
  release(): void;
  earlier?: { pid: number; run?: string };
}

/** The lock's text: the pid, `run:ID` (what the run's processes carry, os/run-processes.ts), who holds it. */
function lockText(run: string, what: string): string {
  return [String(process.pid), run ? `run:${run}` : '', what].filter(Boolean).join(' ');
}

function readLock(file: string): { pid: number; run?: string; who: string } {
  const [pid = '', ...rest] = readFileSync(file, 'utf8').trim().split(' ');
  const run = rest[0]?.startsWith('run:') ? (rest.shift() as string).slice(4) : undefined;
  return { pid: Number(pid), run, who: rest.join(' ').trim() };
}

/**
 * Takes the runbook's run lock, so two runs of one runbook cannot overwrite each other's record. A lock
 * left by a process that no longer exists is taken over, and said (`earlier`): what that run left running
 * must end first. `what` says who holds it (`runbook serve at ...`), for the run that is refused.
 */
export function lockRun(place: RunbookPlace, what = '', run = ''): RunLock {
  const file = lockPath(place);
  let earlier: RunLock['earlier'];
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, lockText(run, what), { flag: 'wx', mode: 0o600 });
      const release = () => {
        try {
          rmSync(file, { force: true });
        } catch {
          // A step took the state directory away; the lock went with it.
        }
      };
      return { release, earlier };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        // Created but not written (a full disk): no empty lock is left to be taken for a stale one.
        if ((err as NodeJS.ErrnoException).syscall === 'write') rmSync(file, { force: true });
        throw new RunnerError(writeFailure(file, err, 'cannot take the run lock'));
      }
      const { pid: holder, run: held, who } = readLock(file);
      if (holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new StateError(
          `another run of this runbook (pid ${holder}${who ? `, ${who}` : ''}) is in progress; wait for it or stop it`,
        );
      }
      if (holder > 0 && holder !== process.pid) earlier = { pid: holder, run: held };
      rmSync(file, { force: true });
    }
  }
  throw new StateError(`cannot take the run lock ${file}`);
}

/** Says who holds the lock this process holds (serve knows its address only once it listens). */
export function describeLock(place: RunbookPlace, what: string): void {
  const file = lockPath(place);
  try {
    const { pid, run } = readLock(file);
    if (pid === process.pid) writeFileSync(file, lockText(run ?? '', what), { mode: 0o600 });
  } catch {
    // The lock is only a courtesy to the next run's message here; it still holds.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
