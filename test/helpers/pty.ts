// The built CLI in a real pseudo-terminal, with the screen rendered by a headless xterm: tests press keys
// and read what a person would see.
import pty from '@lydell/node-pty';
import xterm from '@xterm/headless';
import { BIN } from './cli.ts';

export interface PtyOptions {
  cwd: string;
  /** Added to (or, when undefined, removed from) the test's environment. */
  env?: Record<string, string | undefined>;
  cols?: number;
  rows?: number;
  /** A bash command line to run instead (pipes, redirections), with `runbook` on hand; args are ignored. */
  script?: string;
}

export interface PtyExit {
  exitCode: number;
  signal?: number;
}

export class PtySession {
  readonly term: xterm.Terminal;
  readonly proc: pty.IPty;
  readonly exited: Promise<PtyExit>;
  /** Every byte the program wrote, escapes included. */
  raw = '';
  private ended?: PtyExit;

  constructor(args: string[], opts: PtyOptions) {
    const cols = opts.cols ?? 100;
    const rows = opts.rows ?? 40;
    this.term = new xterm.Terminal({ cols, rows, scrollback: 10_000, allowProposedApi: true });
    const env: Record<string, string> = {};
    const merged = {
      ...process.env,
      NO_COLOR: undefined,
      FORCE_COLOR: undefined,
      VISUAL: undefined,
      ...opts.env,
    };
    for (const [k, v] of Object.entries(merged)) if (v !== undefined) env[k] = v;
    // What the headless xterm emulates, whatever terminal (or none) the tests were started from.
    env.TERM = opts.env?.TERM ?? 'xterm-256color';
    const [file, argv] = opts.script
      ? [
          'bash',
          ['-c', `runbook() { "${process.execPath}" "${BIN}" "$@"; }\nexport -f runbook\n${opts.script}`],
        ]
      : [process.execPath, [BIN, ...args]];
    this.proc = pty.spawn(file, argv, {
      name: env.TERM,
      cols,
      rows,
      cwd: opts.cwd,
      env,
    });
    this.proc.onData((data) => {
      this.raw += data;
      this.term.write(data);
    });
    this.exited = new Promise((resolve) => {
      this.proc.onExit((e) => {
        this.ended = e;
        resolve(e);
      });
    });
  }

  /** The whole screen and scrollback, wrapped lines joined, trailing blanks trimmed. */
  screen(): string {
    const buf = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buf.length; i++) {
      const line = buf.getLine(i);
      if (!line) continue;
      const text = line.translateToString(true);
      if (line.isWrapped && lines.length) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    return lines.join('\n').trimEnd();
  }

  /** The screen from the last occurrence of `marker` on. */
  after(marker: string): string {
    const text = this.screen();
    const at = text.lastIndexOf(marker);
    return at === -1 ? '' : text.slice(at);
  }

  /** Polls the screen until it matches; on timeout the error shows the screen. */
  async waitFor(expected: string | RegExp | ((screen: string) => boolean), ms = 10_000): Promise<string> {
    const test =
      typeof expected === 'function'
        ? expected
        : (s: string) => (typeof expected === 'string' ? s.includes(expected) : expected.test(s));
    const deadline = Date.now() + ms;
    let endedAt: number | undefined;
    for (;;) {
      await this.flush();
      const text = this.screen();
      if (test(text)) return text;
      // Once the program is gone nothing more will come; a moment for the last bytes, then give up.
      if (this.ended) endedAt ??= Date.now();
      if (Date.now() > deadline || (endedAt !== undefined && Date.now() - endedAt > 500)) {
        throw new Error(`timed out waiting for ${String(expected)}; the screen shows:\n${text}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until `expected` appears `count` times (a prompt shown again after a step). */
  waitForCount(expected: string, count: number, ms = 10_000): Promise<string> {
    return this.waitFor((s) => s.split(expected).length - 1 >= count, ms);
  }

  write(keys: string): void {
    this.proc.write(keys);
  }

  /** Past the last step the walkthrough shows the summary and waits: `q` finishes it. */
  async finish(ms = 15_000): Promise<PtyExit> {
    await this.waitFor('End of the runbook', ms);
    this.write('q');
    return this.exit(ms);
  }

  async exit(ms = 15_000): Promise<PtyExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the CLI did not exit; the screen shows:\n${this.screen()}`)),
        ms,
      );
    });
    try {
      const e = await Promise.race([this.exited, timeout]);
      await this.flush();
      return e;
    } finally {
      clearTimeout(timer);
    }
  }

  private flush(): Promise<void> {
    return new Promise((resolve) => this.term.write('', resolve));
  }

  /** Closes the terminal as closing its window does: the program's terminal hangs up. */
  hangUp(): void {
    (this.proc as unknown as { destroy(): void }).destroy();
  }

  dispose(): void {
    if (!this.ended) this.proc.kill('SIGKILL');
    this.term.dispose();
  }
}
