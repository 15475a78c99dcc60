// How long a person waits for the walkthrough's first question: the CLI started in a real pseudo-terminal,
// timed until the first step's key prompt is on screen.
import pty from '@lydell/node-pty';
import { BIN } from './measure.mjs';

/** Milliseconds from spawn until `marker` appears in the output; the walkthrough is then quit with `q`. */
export function firstPrompt(args, cwd, marker = 'Run it', nodeArgs = []) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, TERM: 'xterm-256color' };
    delete env.NO_COLOR;
    const t0 = process.hrtime.bigint();
    const proc = pty.spawn(process.execPath, [...nodeArgs, BIN, ...args], {
      name: 'xterm-256color',
      cols: 100,
      rows: 40,
      cwd,
      env,
    });
    let out = '';
    let ms;
    const timer = setTimeout(() => {
      proc.kill();
      reject(new Error(`no prompt within 20 s: ${out.slice(-500)}`));
    }, 20_000);
    proc.onData((d) => {
      out += d;
      if (ms === undefined && out.includes(marker)) {
        ms = Number(process.hrtime.bigint() - t0) / 1e6;
        proc.write('q');
      }
    });
    proc.onExit(() => {
      clearTimeout(timer);
      if (ms === undefined) reject(new Error(`exited before the prompt: ${out.slice(-500)}`));
      else resolve(ms);
    });
  });
}
