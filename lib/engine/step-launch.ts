// One attempt of a step, handed to what runs it: a background step to background.ts, a JavaScript step to
// a Node process of its own (that code loaded on first use), a shell step to the step server, with the
// step that follows sent ahead when the caller runs the steps in order.
import path from 'node:path';
import type { Context, Step, StepIO, StepOutcome } from '../core/types.ts';
import { isBackground } from '../markdown/step-options.ts';
import type { ShellSession } from '../shell/session.ts';
import type { BackgroundSteps } from './background.ts';
import type { StepAnalyses } from './step-analyses.ts';
import { observesOutput } from './step-rules.ts';

export interface LaunchOptions {
  file: string;
  env: NodeJS.ProcessEnv;
  /** Base directory steps start in (runbook dir + front matter cwd). */
  baseDir: string;
  io: StepIO;
  session: ShellSession;
}

export class StepLauncher {
  /** The step each step is followed by, for a caller that runs steps in order (runsInOrder). */
  private following?: Map<number, Step>;

  constructor(
    private readonly opts: LaunchOptions,
    private readonly background: BackgroundSteps,
    private readonly analyses: StepAnalyses,
  ) {}

  /** See Engine.runsInOrder. */
  runsInOrder(steps: Step[]): void {
    this.following = new Map(steps.slice(0, -1).map((s, i) => [s.index, steps[i + 1] as Step]));
  }

  /** Runs the step once from `context`; `observed` when its stdout is kept (compared or captured). */
  async once(
    step: Step,
    code: string,
    from: Context,
    signal: AbortSignal,
    timeoutMs: number | undefined,
    observed = false,
  ): Promise<StepOutcome> {
    let context = from;
    if (typeof step.attributes.cwd === 'string') {
      context = { ...context, cwd: path.resolve(this.opts.baseDir, step.attributes.cwd) };
    }
    if (isBackground(step)) return this.background.start(step, code, context, signal, timeoutMs);
    if (step.kind === 'js') {
      const { runJsStep } = await import('../js/step.ts');
      const { io, env, file } = this.opts;
      const scratch = this.opts.session.dir;
      return runJsStep({ step, code, context, io, signal, timeoutMs, env, file, scratch });
    }
    // Output that is compared or captured must be exactly what the step wrote to stdout: pipes, not the
    // walkthrough's terminal, which merges stderr and ends lines with CRLF.
    const io = observed ? { ...this.opts.io, terminal: undefined } : this.opts.io;
    const changes = this.analyses.changesOf(step, code);
    const { name, line } = step;
    const next = observed ? undefined : this.upNext(step);
    return this.opts.session.run({ name, code, line, changes, context, io, signal, timeoutMs, next });
  }

  /**
   * The step that follows `step` in the caller's order, when it may start the moment `step` ends: a shell
   * step starting exactly where `step` leaves (no cwd= on either), whose output is not kept (a step whose
   * output is compared or captured may yet fail, or change the context) and which is not a background step.
   */
  private upNext(step: Step) {
    const next = this.following?.get(step.index);
    if (next?.kind !== 'shell' || observesOutput(next) || isBackground(next)) return undefined;
    if (step.attributes.cwd !== undefined || next.attributes.cwd !== undefined) return undefined;
    return {
      name: next.name,
      code: next.code,
      line: next.line,
      changes: this.analyses.changesOf(next, next.code),
    };
  }
}
