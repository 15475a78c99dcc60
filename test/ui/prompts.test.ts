// The walkthrough's questions without a terminal: keys fed through a stream that says it is a TTY, as
// clack's own tests do.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  askValue,
  chooseEditScope,
  chooseStepAction,
  confirmContinue,
  type PromptIO,
  promptOutput,
} from '../../lib/ui/prompts.ts';

class FakeTTY extends PassThrough {
  isTTY = true;
  isRaw = false;
  rawChanges: boolean[] = [];
  setRawMode(raw: boolean) {
    this.isRaw = raw;
    this.rawChanges.push(raw);
    return this;
  }
}

function harness(signal?: AbortSignal) {
  const input = new FakeTTY();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d) => {
    shown += d;
  });
  const io: PromptIO = { input, output, signal };
  return { input, io, shown: () => shown };
}

/** Sends keys once the prompt is listening (the first render has been written). */
async function press(h: ReturnType<typeof harness>, ...keys: string[]) {
  while (!h.shown()) await new Promise((r) => setTimeout(r, 5));
  for (const k of keys) h.input.write(k);
}

describe('chooseStepAction at a step not run', () => {
  it.each([
    ['r', 'run'],
    ['s', 'skip'],
    ['e', 'edit'],
    ['a', 'all'],
    ['g', 'go'],
    ['b', 'back'],
    ['n', 'next'],
    ['o', 'output'],
    ['q', 'quit'],
    ['S', 'skip'],
    ['\r', 'run'],
    ['\u0003', 'quit'],
  ])('maps the key %j to %s', async (key, action) => {
    const h = harness();
    const answer = chooseStepAction('Step 1: run it?', 'new', h.io);
    await press(h, key);
    expect(await answer).toBe(action);
  });

  it('asks again on Escape at a step: only Ctrl-C quits', async () => {
    const h = harness();
    const answer = chooseStepAction('Step 1: run it?', 'new', h.io);
    await press(h, '\u001b');
    await new Promise((r) => setTimeout(r, 700));
    h.input.write('s');
    expect(await answer).toBe('skip');
  });

  it('ignores keys that are not choices', async () => {
    const h = harness();
    const answer = chooseStepAction('Step 1: run it?', 'new', h.io);
    await press(h, 'x', 'z', 's');
    expect(await answer).toBe('skip');
  });

  it('shows the keys and the message, and leaves the input paused and out of raw mode', async () => {
    const h = harness();
    const answer = chooseStepAction('Step 3: run it?', 'new', h.io);
    await press(h, 'r');
    await answer;
    for (const text of [
      'Step 3: run it?',
      'Run it',
      'Skip it',
      'Edit the code',
      'without asking',
      'Go to a step',
      'Back',
      'Quit',
    ]) {
      expect(h.shown()).toContain(text);
    }
    expect(h.input.rawChanges[0]).toBe(true);
    expect(h.input.isRaw).toBe(false);
    expect(h.input.isPaused()).toBe(true);
    expect(h.input.listenerCount('keypress')).toBe(0);
  });

  it('quits when its signal is aborted', async () => {
    const controller = new AbortController();
    const h = harness(controller.signal);
    const answer = chooseStepAction('Step 1: run it?', 'new', h.io);
    await press(h);
    controller.abort();
    expect(await answer).toBe('quit');
  });
});

describe('chooseStepAction at a done step', () => {
  it.each([
    ['r', 'run'],
    ['\r', 'run'],
    ['n', 'next'],
    ['a', 'all'],
  ])('maps the key %j to %s', async (key, action) => {
    const h = harness();
    const answer = chooseStepAction('Step 1 is done: run it again?', 'done', h.io);
    await press(h, key);
    expect(await answer).toBe(action);
    expect(h.shown()).toContain('Run it again');
  });

  it('offers no skip for a step that is done', async () => {
    const h = harness();
    const answer = chooseStepAction('Step 1 is done: run it again?', 'done', h.io);
    await press(h, 's', 'q');
    expect(await answer).toBe('quit');
  });
});

describe('chooseStepAction after a failure', () => {
  it.each([
    ['r', 'run'],
    ['\r', 'run'],
    ['e', 'edit'],
    ['s', 'skip'],
    ['g', 'go'],
    ['o', 'output'],
    ['q', 'quit'],
    ['\u0003', 'quit'],
  ])('maps the key %j to %s', async (key, action) => {
    const h = harness();
    const answer = chooseStepAction('Step 2 failed: what now?', 'failed', h.io);
    await press(h, key);
    expect(await answer).toBe(action);
  });

  it('offers no "run all" after a failure', async () => {
    const h = harness();
    const answer = chooseStepAction('Step 2 failed: what now?', 'failed', h.io);
    await press(h, 'a', 'q');
    expect(await answer).toBe('quit');
    expect(h.shown()).not.toContain('without asking');
    expect(h.shown()).toContain('Retry');
  });
});

describe('chooseStepAction after the last step', () => {
  it.each([
    ['\r', 'finish'],
    ['q', 'finish'],
    ['\u0003', 'finish'],
    ['g', 'go'],
    ['b', 'back'],
    ['o', 'output'],
  ])('maps the key %j to %s', async (key, action) => {
    const h = harness();
    const answer = chooseStepAction('End of the runbook', 'end', h.io);
    await press(h, key);
    expect(await answer).toBe(action);
  });
});

describe('chooseEditScope', () => {
  it.each([
    ['\r', 'run'],
    ['r', 'run'],
    ['s', 'save'],
    ['d', 'discard'],
    ['\u001b', 'discard'],
  ])('maps the key %j to %s', async (key, scope) => {
    const h = harness();
    const answer = chooseEditScope('runbook.md', h.io);
    await press(h, key);
    expect(await answer).toBe(scope);
    expect(h.shown()).toContain("Save it into runbook.md (only this step's code changes)");
  });
});

describe('askValue', () => {
  it('returns what was typed', async () => {
    const h = harness();
    const answer = askValue('REGION', false, h.io);
    await press(h, 'eu-', 'west\r');
    expect(await answer).toBe('eu-west');
    expect(h.shown()).toContain('REGION is not set. Value for REGION:');
  });

  it('masks a secret as it is typed', async () => {
    const h = harness();
    const answer = askValue('API_TOKEN', true, h.io, 'Step 2 reads API_TOKEN.');
    await press(h, 'hunter2\r');
    expect(await answer).toBe('hunter2');
    expect(h.shown()).toContain('Step 2 reads API_TOKEN. Value for API_TOKEN:');
    expect(h.shown()).not.toContain('hunter2');
  });

  it('accepts an empty value, and is undefined when cancelled', async () => {
    const empty = harness();
    const answer = askValue('X', false, empty.io);
    await press(empty, '\r');
    expect(await answer).toBe('');
    const cancelled = harness();
    const none = askValue('X', false, cancelled.io);
    await press(cancelled, 'abc', '\u0003');
    expect(await none).toBeUndefined();
  });
});

describe('confirmContinue', () => {
  it.each([
    ['y', true],
    ['n', false],
    ['\r', false],
    ['\u0003', false],
  ])('answers %j with %s (default no)', async (key, expected) => {
    const input = new FakeTTY();
    const stderr = new PassThrough();
    let shown = '';
    stderr.on('data', (d) => {
      shown += d;
    });
    const answer = confirmContinue('Some required tools are missing. Continue anyway?', {
      stdin: input,
      stderr,
      env: {},
    });
    while (!shown) await new Promise((r) => setTimeout(r, 5));
    input.write(key);
    expect(await answer).toBe(expected);
    expect(shown).toContain('Continue anyway?');
  });
});

describe('promptOutput', () => {
  it('drops colour escapes without colour, keeping cursor movement, and reports the terminal size', () => {
    const target = Object.assign(new PassThrough(), { columns: 123, rows: 45, isTTY: true });
    let written = '';
    target.on('data', (d) => {
      written += d;
    });
    const out = promptOutput(target, false) as PassThrough & { columns: number; rows: number };
    out.write('\u001b[90m\u001b[47m r \u001b[49m\u001b[39m Run\u001b[1A\u001b[2K');
    expect(written).toBe(' r  Run\u001b[1A\u001b[2K');
    expect(out.columns).toBe(123);
    expect(out.rows).toBe(45);
    expect(promptOutput(target, true)).toBe(target);
  });
});
