// One run of a runbook, from loading it to the exit code: checks, the run record, the selection, then the
// unattended (--yes) or interactive driver over the same engine.
import path from 'node:path';
import { findMissing, formatMissing, formatUncertain } from '../analysis/needs.ts';
import { emptyContext, withValue } from '../core/context.ts';
import { EXIT, InputError, RunbookError, StateError, UsageError } from '../core/errors.ts';
import { formatInputProblems, resolveInputs } from '../core/inputs.ts';
import type { RunIO, RunOptions } from '../core/options.ts';
import { declaredSecrets } from '../core/secrets.ts';
import { type Selection, selectSteps } from '../core/select.ts';
import { colorEnabled, painter } from '../core/style.ts';
import type { Runbook } from '../core/types.ts';
import { assertDir, baseDirFor } from '../engine/base-dir.ts';
import { Engine } from '../engine/engine.ts';
import { describeLock, loadRecord, lockRun, newRecord, resumePoint } from '../engine/run-record.ts';
import { continueRecord, describeChanges } from '../engine/step-match.ts';
import { loadRunbook } from '../markdown/load.ts';
import { LineEnds, sameDestination } from '../os/line-ends.ts';
import { newRunId, RUN_MARK, type RunProcess, SPARE_MARK } from '../os/run-processes.ts';
import { stopExit, stopped, trapSignals } from '../os/signals.ts';
import { cacheFile, type RunbookPlace } from '../os/state-dir.ts';
import { StreamTap } from '../os/stream-tap.ts';
import { DEFAULT_SHELL, ShellSession, type StepIO } from '../shell/session.ts';
import { warnParse } from '../ui/list.ts';
import { Renderer } from '../ui/renderer.ts';
import { terminalRenderOptions } from '../ui/text.ts';
import { firstShowing } from '../ui/view.ts';
import { checkAttributes, invalidAttributes } from './attribute-check.ts';
import { endEarlierRun, endRunLeftovers } from './leftovers.ts';
import { describeSteps, tallyPassedOver } from './passed-over.ts';
import { backgroundToRestart, restartBackground } from './resume-background.ts';
import { finishRecords, recordsDir, writeRefusedRecords } from './run-records.ts';

/** What is known of a run as it starts, for the records of one refused before its first step. */
interface Known {
  startedAt: string;
  records?: string;
  text?: string;
  runbook?: Runbook;
  place?: RunbookPlace;
  /** Why it did not go on, when it returned rather than threw. */
  refusal?: string;
}

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

async function refusedRecords(known: Known, file: string, code: number, reason: string, io: RunIO) {
  if (!known.records) return;
  const target = {
    dir: known.records,
    text: known.text ?? '',
    steps: known.runbook?.steps ?? [],
    redact: (s: string) => s,
  };
  await writeRefusedRecords(target, known.place?.file ?? file, known.startedAt, code, reason, io);
}

/** A stop that came while the run was starting: the exit code to stop with, recorded as the reason. */
function stopCheck(known: Known): number | undefined {
  const stop = stopped();
  if (!stop) return undefined;
  known.refusal = stop === 'EPIPE' ? 'output closed before step 1' : `${stop} before step 1`;
  return stopExit(stop);
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
  // Served, steps write to the page instead (web/output.ts).
  const web = options.serve ? await import('../ui/web/serve.ts') : undefined;
  const sink = web?.webOutput(io);
  // Steps write to the terminal through a tap that can keep a copy (output blocks, capture=); both
  // streams go through one, which drops what a step writes once the runner's own output is closed.
  const tap = new StreamTap(sink?.io.stdout ?? io.stdout);
  const lines = new LineEnds(sameDestination(sink?.io.stdout ?? io.stdout, sink?.io.stderr ?? io.stderr));
  const stepIO: StepIO = {
    stdin: sink?.io.stdin ?? 'inherit',
    stdout: tap,
    stderr: new StreamTap(sink?.io.stderr ?? io.stderr),
    // Served, shell steps get a terminal of their own shown on the page.
    terminal: sink?.io.terminal,
    saw: lines.saw,
  };
  // At a terminal, shell steps get a terminal of their own (pipes under --yes, or when output is not one).
  if (interactive && io.stdin.isTTY && io.stdout.isTTY)
    stepIO.terminal = { input: io.stdin, output: io.stdout };
  // What the walkthrough showed last time comes back from its cache (ui/renderer.ts).
  const renderer = interactive
    ? new Renderer(terminalRenderOptions(io.stdout, io.env), cacheFile(place, 'render.json'))
    : undefined;
  const session = options.dryRun ? undefined : new ShellSession(fm.shell ?? DEFAULT_SHELL, env, file);
  session?.warmUp(stepIO);
  try {
    if (lock?.earlier) await endEarlierRun(lock.earlier, env, io.stderr);
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
    lock?.release();
  }
}

function walkthroughCode() {
  const code = Promise.all([import('../ui/walkthrough.ts'), import('../engine/notebook.ts')]);
  // A run refused before its walkthrough never awaits it.
  code.catch(() => {});
  return code;
}

interface RunSetup {
  file: string;
  place: RunbookPlace;
  options: RunOptions;
  io: RunIO;
  runbook: Runbook;
  text: string;
  baseDir: string;
  interactive: boolean;
  paint: ReturnType<typeof painter>;
  known: Known;
  /** The run's environment: the runner's, with the run's mark. */
  env: NodeJS.ProcessEnv;
  lines: LineEnds;
  session?: ShellSession;
  stepIO: StepIO;
  tap: StreamTap;
  /** Under serve: where the steps' output goes (the page). */
  sink?: import('../ui/web/output.ts').OutputSink;
  /** The walkthrough's renderer, its cache read. */
  renderer?: Renderer;
}

async function runLocked(setup: RunSetup): Promise<number> {
  const { file, place, options, io, runbook, text, baseDir, interactive, paint, session, known } = setup;
  const fm = runbook.frontMatter;

  const fresh = newRecord(place.identity, runbook.steps, emptyContext(baseDir));
  let record = fresh;
  let selection: Selection;
  /** Secret (or secret-made) values the resumed record does not hold and nothing gives again. */
  let withheld: string[] = [];
  if (options.resume) {
    const prev = loadRecord(place);
    if (!prev) throw new StateError(`no earlier run of ${file} to resume; run without --resume`);
    const continued = continueRecord(prev, fresh, runbook.steps);
    record = continued.record;
    if (continued.changes.length) {
      const notice = describeChanges(path.basename(file), continued.changes).replace(
        ' changed:',
        ' changed since the last run:',
      );
      io.stderr.write(paint('yellow', `runbook: ${notice}\n`));
    }
    const point = resumePoint(record, runbook.steps);
    for (const s of point.stale) {
      io.stderr.write(
        paint('yellow', `runbook: warning: step ${s.index} ${s.name} changed since it ran (stale)\n`),
      );
    }
    if (point.from > runbook.steps.length) {
      io.stderr.write(`runbook: every step of ${file} is already done; nothing to resume\n`);
      return EXIT.ok;
    }
    assertDir(record.context.cwd, 'the working directory the last run ended in,');
    selection = selectSteps(runbook.steps, { from: options.from ?? String(point.from), to: options.to });
    withheld = prev.withheld.filter(
      (name) => !(name in record.context.vars) && !(name in options.set) && io.env[name] === undefined,
    );
  } else {
    selection = selectSteps(runbook.steps, options);
  }
  const first = selection.selected[0];
  if (first) setup.renderer?.ahead(firstShowing(first));
  for (const [name, value] of Object.entries(options.set)) {
    record.context = withValue(record.context, name, value);
  }
  // Declared inputs: under --yes every missing or invalid one is listed and nothing runs; at a terminal
  // the ones not given are asked for in one form before step 1; defaults are taken otherwise.
  const inputs = resolveInputs(fm.inputs, record.context, io.env);
  const badInputs = inputs.filter((i) => i.problem);
  // Served, the page asks for them in one form before any step runs.
  const asksPerson = interactive || options.serve !== undefined;
  if (badInputs.length && !asksPerson && !options.dryRun) {
    throw new InputError(formatInputProblems(badInputs));
  }
  const toAsk = asksPerson
    ? inputs.filter((i) => i.source === undefined || i.source === 'default' || i.problem)
    : [];
  for (const i of inputs) {
    if (i.source === 'default' && !toAsk.includes(i))
      record.context = withValue(record.context, i.name, i.value as string);
  }
  if (selection.skippedOver.length && !options.resume) {
    io.stderr.write(`runbook: passing over ${describeSteps(selection.skippedOver)}\n`);
  } else if (selection.skippedOver.length) {
    const tally = tallyPassedOver(record, selection.skippedOver);
    io.stderr.write(`runbook: resuming at step ${selection.selected[0]?.index} (${tally})\n`);
  }

  const declared = Object.keys(fm.inputs ?? {});
  const plan = withheld.length
    ? await (await import('./resume-withheld.ts')).recoveryPlan(
        withheld,
        record,
        runbook,
        selection,
        place,
        io,
      )
    : undefined;
  const before = plan?.remake.map((r) => r.step);
  const needs = await findMissing(runbook.steps, selection, record.context, io.env, place, {
    declared,
    before,
  });
  if (needs.missing.length) {
    if (!interactive && !options.dryRun && !options.serve) {
      known.refusal = formatMissing(needs);
      io.stderr.write(`runbook: ${known.refusal}\n`);
      return EXIT.usage;
    }
    // Interactively (and on the page) each is asked for just before the step that needs it.
    io.stderr.write(paint('yellow', `runbook: note: ${formatMissing(needs)}\n`));
  }
  if (needs.uncertain.length && !options.dryRun) {
    io.stderr.write(paint('yellow', `runbook: warning: ${formatUncertain(needs.uncertain)}\n`));
  }

  if (options.preflight && !options.dryRun) {
    const { preflight } = await import('./preflight-report.ts');
    const code = await preflight(fm.requires, {
      interactive,
      io,
      cwd: baseDir,
      paint,
      served: !!options.serve,
      // Under --record, a refusal's records say why.
      refused: (reason) => {
        known.refusal = reason;
      },
    });
    if (code !== undefined) return code;
  }
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
  let book: import('../engine/notebook.ts').Notebook | undefined;
  try {
    // Before any step runs: a record that cannot be written stops the run here.
    engine.save();
    await engine.flush();
    running = true;
    // Withheld values first: a background step started again may read them.
    let failed = plan?.remake.length
      ? await (await import('./resume-withheld.ts')).remakeWithheld(engine, plan.remake, io)
      : undefined;
    const restart =
      options.resume && failed === undefined
        ? backgroundToRestart(engine, runbook.steps, selection.selected[0]?.index ?? 1)
        : [];
    if (restart.length) failed = await restartBackground(engine, restart, io, paint);
    if (failed !== undefined) exitCode = failed;
    else if (options.serve && setup.sink) {
      const { serve } = await import('../ui/web/serve.ts');
      const { sink } = setup;
      const onListening = (address: string) => describeLock(place, `runbook serve on http://${address}/`);
      const served = { engine, runbook, text, file, selection, io, sink, onListening, inputs: toAsk };
      exitCode = await serve({ ...served, options: options.serve });
    } else if (interactive) {
      const [{ walkthrough }, { Notebook }] = await (walkCode ?? walkthroughCode());
      const validate = (r: Runbook) => invalidAttributes(r, file)[0];
      book = new Notebook({ file, text, runbook, engine, selection, validate });
      exitCode = await walkthrough(book, engine, io, toAsk, setup.renderer);
    } else {
      const { runUnattended } = await import('./unattended.ts');
      exitCode = await runUnattended(engine, selection, io);
    }
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

/** Ends the run's background steps, saying which, and writes what is pending of the record. */
async function closeEngine(engine: Engine, io: RunIO): Promise<void> {
  const running = engine.background.running().map((r) => r.name);
  if (running.length)
    io.stderr.write(
      `runbook: ending background step${running.length > 1 ? 's' : ''} ${running.join(', ')}\n`,
    );
  await engine.close();
}
