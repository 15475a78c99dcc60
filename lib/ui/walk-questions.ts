// The walkthrough's questions, each of which can be taken off the screen: by a signal (the walk quits at
// its next decision), by the runbook changing on disk (a step's question gives way and the file is read
// again), or for a background step's notice (said, then the question asked again below it).
import type { RunIO } from '../core/options.ts';
import type { BackgroundNotice } from '../engine/background.ts';
import type { PromptIO } from './prompts.ts';
import { backgroundNotice } from './status.ts';
import type { WalkScreen } from './walk-screen.ts';

export class Questions {
  /** A signal that arrived outside a step: quit at the next decision. */
  stopRequested = false;
  /** SIGTERM, SIGHUP or SIGQUIT: the person is not coming back to answer, so no failure choices either. */
  terminated = false;
  /** The file changed while the last question was up, which gave way to it. */
  fileChanged = false;
  private prompt?: AbortController;
  /** The prompt up now gives way when the file changes (a step's question, not a form). */
  private yieldsToFile = false;
  /** Background steps that ended while a question was on the screen, to say once it is down. */
  private readonly notices: BackgroundNotice[] = [];
  /** The question was taken down for a notice: ask it again. */
  private redraw = false;

  constructor(
    private readonly io: RunIO,
    private readonly screen: WalkScreen,
    private readonly changedOnDisk: () => boolean,
  ) {}

  /** A question is on the screen. */
  get up(): boolean {
    return this.prompt !== undefined;
  }

  /** Takes the question on the screen away, as a signal does. */
  abort(): void {
    this.prompt?.abort();
  }

  /** The file changed on disk: a question waiting for a key gives way, and the file is read again. */
  onFileChange(): void {
    if (!this.prompt || !this.yieldsToFile || this.stopRequested || this.fileChanged) return;
    if (!this.changedOnDisk()) return;
    this.fileChanged = true;
    this.takeDown();
  }

  /**
   * A background step ended on its own: said at once. A question on the screen is taken down first and
   * asked again below the notice, since writing under it would garble clack's redraw.
   */
  onBackgroundNotice(notice: BackgroundNotice): void {
    if (this.prompt) {
      this.notices.push(notice);
      this.redraw = true;
      this.takeDown();
    } else this.screen.write(backgroundNotice(notice, this.screen.paint));
  }

  /** As if Escape was pressed: the question is drawn as set aside (an abort would leave it on screen). */
  private takeDown(): void {
    this.io.stdin.emit('keypress', '', { name: 'escape', sequence: '\u001b' });
  }

  /**
   * Runs a question with an abort handle: SIGTERM takes it off the screen, and so may a file change (the
   * caller then sees `fileChanged`); one taken down for a background step's notice is asked again.
   */
  async ask<T>(question: (io: PromptIO) => Promise<T>, yieldsToFile = false): Promise<T> {
    this.fileChanged = false;
    for (;;) {
      const controller = new AbortController();
      this.prompt = controller;
      this.yieldsToFile = yieldsToFile;
      let answer: T;
      try {
        answer = await question({
          input: this.io.stdin,
          output: this.screen.output,
          signal: controller.signal,
        });
      } finally {
        this.prompt = undefined;
        this.yieldsToFile = false;
      }
      for (const notice of this.notices.splice(0))
        this.screen.write(backgroundNotice(notice, this.screen.paint));
      if (!this.redraw || this.stopRequested || this.fileChanged) {
        this.redraw = false;
        return answer;
      }
      this.redraw = false;
    }
  }
}
