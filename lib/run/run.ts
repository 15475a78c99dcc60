// One run of a runbook, from loading it to the exit code: checks, the run record, the selection, then the
// unattended (--yes) or interactive driver over the same engine.
import path from 'node:path';
import { EXIT, RunbookError, UsageError } from '../core/errors.ts';
import type { RunIO, RunOptions } from '../core/options.ts';
import { declaredSecrets } from '../core/secrets.ts';
import { colorEnabled, painter } from '../core/style.ts';
import { assertDir, baseDirFor } from '../engine/base-dir.ts';
import { Engine } from '../engine/engine.ts';
import type { Notebook } from '../engine/notebook.ts';
import { lockRun } from '../engine/run-lock.ts';
import { loadRunbook } from '../markdown/load.ts';
import type { LineEnds } from '../os/line-ends.ts';
import { newRunId, RUN_MARK, type RunProcess, SPARE_MARK } from '../os/run-processes.ts';
import { stopped, trapSignals } from '../os/signals.ts';
import { cacheFile } from '../os/state-dir.ts';
import type { StreamTap } from '../os/stream-tap.ts';
import { DEFAULT_SHELL, ShellSession, type StepIO } from '../shell/session.ts';
import { warnParse } from '../ui/list.ts';
import { Renderer } from '../ui/renderer.ts';
import { terminalRenderOptions } from '../ui/text.ts';
import type { OutputSink } from '../ui/web/output.ts';
import { checkAttributes } from './attribute-check.ts';
import { checkBeforeStepOne } from './before-step-one.ts';
import { closeEngine, drive, type Ready, walkthroughCode } from './drivers.ts';
import { endEarlierRun, endRunLeftovers, removeOrphanScratch } from './leftovers.ts';
import { type Known, refusedRecords, stopCheck } from './refused.ts';
import { backgroundToRestart, restartBackground } from './resume-background.ts';
import type { RunStart } from './run-basics.ts';
import { finishRecords, recordsDir } from './run-records.ts';
import { startingPoint } from './starting-point.ts';
import { stepOutputs } from './step-outputs.ts';

export async function runRunbook(file: string, options: RunOptions, io: RunIO): Promise<number> {
  const known: Known = { startedAt: new Date().toISOString() };
  // A stop while the run starts is acted on at its next step, once what it started can be ended.
  const untrap = trapSignals(() => {});
  try {
    const code = await start(file, options, io, known);
    if (known.refusal) await refusedRecords(known, file, code, known.refusal, io);
    return code;
  } catch (err) {
    const refused = err instanceof RunbookError && err.exitCode === EXIT.usage;
    if (refused && !known.refusal) await refusedRecords(known, file, EXIT.usage, err.message, io);
    throw err;
  } finally {
    untrap();
  }
}

async function start(file: string, options: RunOptions, io: RunIO, known: Known): Promise<number> {
  if (options.record && !options.dryRun) {
    const dir = recordsDir(options.record);
    const { prepareRecordDir } = await import('../records/write.ts');
    prepareRecordDir(dir);
    known.records = dir;
  }
  const loaded = await loadRunbook(file, { cwd: process.cwd(), env: io.env });
  Object.assign(known, loaded);
  const { text, runbook, place } = loaded;
  file = place.file;
  const paint = painter(colorEnabled(io.stderr, io.env));
  warnParse(runbook, file, io.stderr);
  if (runbook.steps.length === 0) {
    io.stderr.write(`runbook: ${file} has no steps (fenced sh, bash, shell or js blocks); nothing to run\n`);
    return EXIT.ok;
  }
  checkAttributes(runbook, file, io, paint);
  // Served, the page asks what the walkthrough would; the terminal only runs the server.
  const interactive = !options.yes && !options.dryRun && !options.serve;
  if (interactive && !io.stdin.isTTY) {
    throw new UsageError('stdin is not a terminal: pass --yes to run every step unattended (or --dry-run)');
  }
  const fm = runbook.frontMatter;
  const baseDir = baseDirFor(place.dir, fm.cwd);
  assertDir(baseDir, fm.cwd ? 'front matter cwd' : 'runbook directory');
  const stop = stopCheck(known);
  if (stop !== undefined) return stop;
  // Dry runs only read; real runs hold the runbook's lock so two cannot overwrite one record.
  const runId = newRunId();
  const lock = options.dryRun
    ? undefined
    : lockRun(
        place,
        options.serve ? 'runbook serve' : options.yes ? 'runbook --yes' : 'a walkthrough',
        runId,
      );
  // Every process of the run carries its mark, so none outlives it (leftovers.ts).
  const env = { ...io.env, [RUN_MARK]: runId };
  // bash starts up while the runner finishes its own start: the needs check, preflight, the first save.
  const { sink, tap, lines, stepIO } = await stepOutputs(options, io, interactive);
  // What the walkthrough showed last time comes back from its cache (ui/renderer.ts).
  const renderer = interactive
    ? new Renderer(terminalRenderOptions(io.stdout, io.env), cacheFile(place, 'render.json'))
    : undefined;
  const session = options.dryRun ? undefined : new ShellSession(fm.shell ?? DEFAULT_SHELL, env, file);
  session?.warmUp(stepIO);
  let sweeping: Promise<void> | undefined;
  try {
    if (lock?.earlier) await endEarlierRun(lock.earlier, env, io.stderr);
    sweeping = session ? removeOrphanScratch(path.dirname(session.dir)).catch(() => {}) : undefined;
    const setup = { file, place, options, io, runbook, text, baseDir, interactive, paint, known, env, lines };
    return await runLocked({ ...setup, session, stepIO, tap, sink, renderer });
  } finally {
    // The one place the session ends, however the run went: a step launched ahead is ended too.
    await session?.close();
    if (session) {
      // The session's own processes, and a JavaScript step's process started ahead (it ends on its own).
      const own = (p: RunProcess) => session.owns(p.pid) || p.env.includes(`${SPARE_MARK}=1`);
      await endRunLeftovers(runId, session.heldOutputLinks, own, io.stderr);
    }
    await sweeping;
    lock?.release();
  }
}

interface RunSetup extends RunStart {
  text: string;
  known: Known;
  /** The run's environment: the runner's, with the run's mark. */
  env: NodeJS.ProcessEnv;
  lines: LineEnds;
  session?: ShellSession;
  stepIO: StepIO;
  tap: StreamTap;
  /** Under serve: where the steps' output goes (the page). */
  sink?: OutputSink;
  /** The walkthrough's renderer, its cache read. */
  renderer?: Renderer;
}

async function runLocked(setup: RunSetup): Promise<number> {
  const { file, place, options, io, runbook, text, baseDir, interactive, paint, session, known, renderer } =
    setup;
  const fm = runbook.frontMatter;
  const start = startingPoint({ file, place, options, io, runbook, baseDir, interactive, paint, renderer });
  if (!start) return EXIT.ok;
  const { record, selection, inputs, toAsk } = start;
  const checked = await checkBeforeStepOne(setup, start);
  if (typeof checked === 'number') return checked;
  const { needs, plan } = checked;
  const stop = stopCheck(known);
  if (stop !== undefined) return stop;

  if (options.dryRun || !session) {
    const { dryRun } = await import('../ui/dry-run.ts');
    return dryRun(runbook, selection, record.context, io, file, inputs, needs.analyses);
  }
  // The walkthrough's code loads while the shell comes up and the record is first written.
  const walkCode = interactive ? walkthroughCode() : undefined;
  // A shell that is not installed, not bash or too old is refused before step 1, not at its first step.
  if (selection.selected.some((s) => s.kind === 'shell')) await session.prepare(setup.stepIO);

  // A record that cannot be written before step 1 stops the run (below); after that the run goes on.
  let running = false;
  const engine = new Engine({
    file,
    place,
    steps: runbook.steps,
    record,
    env: setup.env,
    baseDir,
    secrets: declaredSecrets(fm),
    retryDelayMs: Number(io.env.RUNBOOK_RETRY_DELAY_MS ?? 2000) || 0,
    io: setup.stepIO,
    session,
    tap: setup.tap,
    shellLine: fm.shell ?? DEFAULT_SHELL,
    analyses: needs.analyses,
    onRecordError: (err) => {
      if (!running) return;
      io.stderr.write(
        paint('yellow', `runbook: warning: ${err.message}; the run goes on, but --resume will not find it\n`),
      );
    },
    lines: setup.lines,
  });
  let exitCode: number;
  let book: Notebook | undefined;
  try {
    // Before any step runs: a record that cannot be written stops the run here.
    engine.save();
    await engine.flush();
    running = true;
    // What --resume makes again before the first step, once the driver has what was given (the inputs
    // form): withheld values first, since a background step started again may read them.
    const ready: Ready = async (provide) => {
      const failed = plan?.remake.length
        ? await (await import('./resume-withheld.ts')).remakeWithheld(engine, plan.remake, io, provide)
        : undefined;
      const restart =
        options.resume && failed === undefined
          ? backgroundToRestart(engine, runbook.steps, selection.selected[0]?.index ?? 1)
          : [];
      return restart.length ? restartBackground(engine, restart, io, paint) : failed;
    };
    const driven = await drive(engine, { ...setup, selection, toAsk, walkCode, ready });
    exitCode = driven.exitCode;
    book = driven.book;
  } catch (err) {
    await closeEngine(engine, io).catch(() => {});
    throw err;
  }
  // A closed output ends the run as a signal does, with its own exit code.
  if (stopped() === 'EPIPE' && exitCode === EXIT.interrupted) exitCode = EXIT.outputClosed;
  const recordError = await closeEngine(engine, io).then(
    () => engine.recordError,
    (err: Error) => engine.recordError ?? err,
  );
  // The runbook as it is at the end: edits made on disk during the walkthrough included.
  const final = book ? { text: book.text, steps: book.steps } : { text, steps: runbook.steps };
  const target = known.records
    ? { dir: known.records, ...final, redact: (s: string) => engine.redact(s) }
    : undefined;
  return finishRecords(target, engine.report(exitCode, known.startedAt), recordError, io);
}
