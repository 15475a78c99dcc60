// `runbook serve`: the runbook as a web notebook. Starts the page's server on the run's engine, prints the
// URL (with its token), opens a browser when asked, and runs until Ctrl-C or SIGTERM in its terminal, which
// end the running step's whole tree, every page's channel and the server.
import { spawn } from 'node:child_process';
import type { ResolvedInput } from '../../core/inputs.ts';
import type { RunIO } from '../../core/options.ts';
import type { Selection } from '../../core/select.ts';
import { colorEnabled, painter } from '../../core/style.ts';
import type { Runbook } from '../../core/types.ts';
import type { Engine } from '../../engine/engine.ts';
import { Notebook } from '../../engine/notebook.ts';
import { attributeProblems } from '../../markdown/attributes-known.ts';
import { type Stop, trapSignals } from '../../os/signals.ts';
import { runbookTitle } from '../view.ts';
import { Hub } from './channel.ts';
import { WebController } from './controller.ts';
import { DocBuilder } from './doc.ts';
import { isLoopback, urlHost } from './guard.ts';
import { OutputSink } from './output.ts';
import { WebServer } from './server.ts';

export interface ServeOptions {
  host: string;
  /** 0: a free one. */
  port: number;
  open: boolean;
}

export interface ServeSetup {
  engine: Engine;
  runbook: Runbook;
  text: string;
  file: string;
  selection: Selection;
  io: RunIO;
  sink: OutputSink;
  options: ServeOptions;
  /** Declared inputs the run was not given: the page asks for them before any step runs. */
  inputs?: ResolvedInput[];
  /**
   * What a resumed run does before the first step (steps run again to make withheld values): once the
   * inputs are given, when there are any; an exit code when that fails.
   */
  ready?: () => Promise<number | undefined>;
  /** Called with the address once the server listens (the run lock says who holds it). */
  onListening?: (address: string) => void;
}

/** Where steps' output goes under serve; made before the step shell starts. */
export function webOutput(io: RunIO): OutputSink {
  return new OutputSink(io.stderr);
}

/** Serves until a signal; 130 when it ended a running step, else 0. */
export async function serve(setup: ServeSetup): Promise<number> {
  const { engine, runbook, file, selection, io, sink, options } = setup;
  const paint = painter(colorEnabled(io.stderr, io.env));
  const notebook = new Notebook({ file, text: setup.text, runbook, engine, selection, validate });
  const hub = new Hub();
  const docs = new DocBuilder(() => ({
    context: engine.context,
    env: io.env,
    isSecret: (name) => engine.secret(name),
    redact: (text) => engine.redact(text),
    width: 160,
  }));
  const inputs = setup.inputs ?? [];
  // With no inputs to wait for, before the page is served (as an unattended run does it).
  if (inputs.length === 0) {
    const failed = await setup.ready?.();
    if (failed !== undefined) return failed;
  }
  // Once, however many pages send the form.
  let readied: Promise<number | undefined> | undefined;
  const ready =
    inputs.length && setup.ready
      ? () => (readied ??= (setup.ready as () => Promise<number | undefined>)())
      : undefined;
  const controller = new WebController(notebook, engine, hub, sink, docs, inputs, ready);
  engine.background.onNotice = (notice) => controller.backgroundEnded(notice);
  let signalled: (sig: Stop) => void = () => {};
  const stop = new Promise<Stop>((resolve) => {
    signalled = resolve;
  });
  const untrap = trapSignals((sig) => signalled(sig));
  try {
    const server = await WebServer.start({
      host: options.host,
      port: options.port,
      onPage: (ws) => void controller.connect(ws),
    });
    setup.onListening?.(`${urlHost(options.host)}:${server.port}`);
    const unwatch = controller.watch();
    if (!isLoopback(options.host)) {
      io.stderr.write(
        paint(
          'yellow',
          `runbook: warning: serving on ${options.host}, which other machines may reach: anyone with the URL can run this runbook's commands here\n`,
        ),
      );
    }
    // Only the URL goes to stdout (`runbook serve x.md | head -1` is the URL); the words around it to stderr.
    io.stderr.write(`runbook: ${runbookTitle(runbook, file)} is served at\n`);
    io.stdout.write(`${server.url}\n`);
    io.stderr.write('runbook: Ctrl-C stops the server and any step it runs\n');
    if (options.open) openBrowser(server.url, io);
    const sig = await stop;
    // The reader of stdout went away (`| true`): said on stderr, if it is still there.
    const why = sig === 'SIGINT' ? 'Ctrl-C' : sig === 'EPIPE' ? 'output closed' : sig;
    io.stderr.write(`${sig === 'EPIPE' ? '' : '\n'}runbook: ${why}: stopping the server\n`);
    unwatch();
    const interrupted = await controller.close(sig === 'SIGINT' ? 'Ctrl-C in the terminal' : why);
    await server.close();
    return interrupted ? 130 : 0;
  } finally {
    untrap();
  }
}

/** A new version of the file whose attribute values the runner cannot use is not taken (as at start). */
function validate(runbook: Runbook): string | undefined {
  for (const step of runbook.steps) {
    for (const p of attributeProblems(step.attributes, step.unreadable)) {
      if (p.error) return `step ${step.name}: ${p.message}`;
    }
  }
  return undefined;
}

/** $BROWSER (a command line, run by sh with the URL), else the desktop's opener. */
function openBrowser(url: string, io: RunIO): void {
  const browser = io.env.BROWSER?.trim();
  const [cmd, args] = browser
    ? ['sh', ['-c', `${browser} "$1"`, 'browser', url]]
    : process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  const child = spawn(cmd as string, args as string[], { stdio: 'ignore', detached: true, env: io.env });
  child.once('error', (err) => {
    io.stderr.write(`runbook: cannot open a browser (${cmd}: ${err.message}); open the URL yourself\n`);
  });
  child.unref();
}
