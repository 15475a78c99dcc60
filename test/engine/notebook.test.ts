// The notebook controller over a real engine and real bash: moving, re-running, statuses, the file read
// again when it changes (the last good version kept while it is broken), and edits saved into the fence.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { emptyContext } from '../../lib/core/context.ts';
import { selectSteps } from '../../lib/core/select.ts';
import { Engine } from '../../lib/engine/engine.ts';
import { Notebook } from '../../lib/engine/notebook.ts';
import { newRecord } from '../../lib/engine/run-record.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';
import { DEFAULT_SHELL, ShellSession } from '../../lib/shell/session.ts';

// The file written, before the save takes its text: a hook for a reload that comes just then (a watcher).
const writes = vi.hoisted(() => ({ after: undefined as undefined | (() => void) }));
vi.mock('../../lib/os/replace-file.ts', async (original) => {
  const real = await original<typeof import('../../lib/os/replace-file.ts')>();
  return {
    ...real,
    replaceFile: async (...args: Parameters<typeof real.replaceFile>) => {
      await real.replaceFile(...args);
      writes.after?.();
    },
  };
});

const engines: Engine[] = [];
const sessions: ShellSession[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
  // The engine leaves its session to whoever made it, as run/run.ts does: its scratch directory too.
  for (const s of sessions.splice(0)) await s.close();
});

const RUNBOOK = `# Count

\`\`\`bash {name=count}
N=$(( \${N:-0} + 1 ))
echo "count is $N" | tee -a log.txt
\`\`\`

\`\`\`bash {name=show}
echo "shown $N"
\`\`\`

\`\`\`bash {name=last}
echo last
\`\`\`
`;

function open(text = RUNBOOK, options: { from?: string; to?: string; only?: string } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'runbook-notebook-test-'));
  const file = path.join(dir, 'book.md');
  writeFileSync(file, text);
  const runbook = parseRunbook(text);
  const out = new PassThrough();
  const io = { stdin: 'ignore' as const, stdout: out, stderr: out };
  const session = new ShellSession(DEFAULT_SHELL, process.env);
  sessions.push(session);
  const engine = new Engine({
    file,
    steps: runbook.steps,
    record: newRecord(file, runbook.steps, emptyContext(dir)),
    env: process.env,
    baseDir: dir,
    io,
    session,
  });
  engines.push(engine);
  const book = new Notebook({ file, text, runbook, engine, selection: selectSteps(runbook.steps, options) });
  return { dir, file, book, engine, log: () => readFileSync(path.join(dir, 'log.txt'), 'utf8') };
}

const statuses = (book: Notebook) =>
  book.cells().map((c) => `${c.step.index} ${c.status}${c.stale ? ' stale' : ''}${c.current ? ' <' : ''}`);

describe('moving through the notebook', () => {
  it('walks in order, goes to any step and back, and ends past the last', () => {
    const { book } = open();
    expect(book.current?.name).toBe('count');
    expect(book.goTo('last')?.index).toBe(3);
    expect(book.back()?.name).toBe('show');
    expect(book.goTo(1)?.name).toBe('count');
    expect(book.back()).toBeUndefined();
    expect(book.goTo('nope')).toBeUndefined();
    expect(book.current?.name).toBe('count');
    expect(book.advance()?.name).toBe('show');
    expect(book.advance()?.name).toBe('last');
    expect(book.advance()).toBeUndefined();
    expect(book.current).toBeUndefined();
    expect(book.back()?.name).toBe('last');
  });

  it('walks only the selected steps, yet can visit the others', () => {
    const { book } = open(RUNBOOK, { only: '1,3' });
    expect(book.advance()?.name).toBe('last');
    expect(book.goTo(2)?.name).toBe('show');
    expect(book.remaining(book.step(1) as never).map((s) => s.name)).toEqual(['last']);
  });
});

describe('running steps again', () => {
  it('runs a done step again in the current context, counting its runs and keeping its last output', async () => {
    const { book, log } = open();
    const count = book.step('count') as never;
    await book.run(count);
    await book.run(count);
    expect(log()).toBe('count is 1\ncount is 2\n');
    expect(book.cell(count).runs).toBe(2);
    expect(book.cell(count).status).toBe('done');
    expect(book.output(count)).toBe('count is 2\n');
    expect(statuses(book)).toEqual(['1 done <', '2 pending', '3 pending']);
  });
});

describe('the file as the source of truth', () => {
  it('takes an edit made on disk, names it, and marks a done step whose code changed stale', async () => {
    const { book, file } = open();
    await book.run(book.step('count') as never);
    await book.run(book.step('show') as never);
    writeFileSync(file, RUNBOOK.replace('echo "shown $N"', 'echo "now $N"').replace('count is', 'total is'));
    const reload = await book.refresh();
    expect(reload.notice).toBe('book.md changed: step 1 count edited, step 2 show edited');
    expect(statuses(book)).toEqual(['1 done stale <', '2 done stale', '3 pending']);
    expect(book.code(book.step('show') as never)).toBe('echo "now $N"');
    expect((await book.refresh()).changed).toBe(false);
  });

  it('follows added and removed steps, keeping results and the current step by name', async () => {
    const { book, file } = open();
    await book.run(book.step('count') as never);
    book.goTo('last');
    writeFileSync(
      file,
      `${RUNBOOK.replace(/```bash \{name=show\}[^`]*```\n/, '')}\n\`\`\`bash {name=extra}\necho extra\n\`\`\`\n`,
    );
    const reload = await book.refresh();
    expect(reload.notice).toBe('book.md changed: step 3 extra added, step 2 show removed');
    expect(book.steps.map((s) => s.name)).toEqual(['count', 'last', 'extra']);
    expect(statuses(book)).toEqual(['1 done', '2 pending <', '3 pending']);
    expect(book.advance()?.name).toBe('extra');
  });

  it('reports a broken edit once and keeps the last good version until it is fixed', async () => {
    const { book, file } = open();
    writeFileSync(file, `${RUNBOOK}\n\`\`\`bash {name=open}\necho never closed\n`);
    const broken = await book.refresh();
    expect(broken.changed).toBe(false);
    expect(broken.notice).toMatch(/^book\.md changed but cannot be used \(line 16: unterminated code fence/);
    expect(book.steps).toHaveLength(3);
    expect((await book.refresh()).notice).toBeUndefined();
    writeFileSync(file, `---\ntitle: [unclosed\n---\n${RUNBOOK}`);
    expect((await book.refresh()).broken).toMatch(/front matter/);
    writeFileSync(file, RUNBOOK.replace('echo last', 'echo fixed'));
    expect((await book.refresh()).notice).toBe('book.md changed: step 3 last edited');
  });

  it('saves an edit into its fence, changing nothing else in the file', async () => {
    const text = RUNBOOK.replace(/\n/g, '\r\n');
    const { book, file } = open(text);
    const show = book.step('show') as never;
    book.edit(show, 'echo "saved $N"\necho two');
    expect(book.cell(show).edited).toBe(true);
    expect(await book.save(show, 'echo "saved $N"\necho two')).toEqual({ saved: true });
    expect(readFileSync(file, 'utf8')).toBe(text.replace('echo "shown $N"', 'echo "saved $N"\r\necho two'));
    expect(book.cell(book.step('show') as never).edited).toBe(false);
    expect(book.code(book.step('show') as never)).toBe('echo "saved $N"\necho two');
    expect((await book.refresh()).changed).toBe(false);
  });

  it('takes a reload that comes once its save has written the file, before it took the text, as its own', async () => {
    const { book } = open();
    let during: ReturnType<Notebook['refresh']> | undefined;
    writes.after = () => {
      during ??= book.refresh();
    };
    try {
      expect(await book.save(book.step('show') as never, 'echo mine')).toEqual({ saved: true });
    } finally {
      writes.after = undefined;
    }
    expect(during).toBeDefined();
    const reload = await during;
    expect(reload?.changed).toBe(false);
    expect(reload?.notice).toBeUndefined();
    expect(book.code(book.step('show') as never)).toBe('echo mine');
  });

  it('saves nothing when the file changed on disk since it was read', async () => {
    const { book, file } = open();
    writeFileSync(file, RUNBOOK.replace('echo last', 'echo other'));
    const out = await book.save(book.step('show') as never, 'echo mine');
    expect(out).toMatchObject({ error: 'book.md changed on disk since it was read; nothing was saved' });
    expect(readFileSync(file, 'utf8')).not.toContain('echo mine');
    expect(book.code(book.step('last') as never)).toBe('echo other');
  });
});
