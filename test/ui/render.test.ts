// Prose, code, variables and summaries as terminal text: pure functions, checked with colour on and off.
import { describe, expect, it } from 'vitest';
import { painter } from '../../lib/core/style.ts';
import type { Context, StepResult } from '../../lib/core/types.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';
import { highlightCode, renderCode, renderedHere, renderProse } from '../../lib/ui/render.ts';
import { leftUnset, unsetNeeds, usedVars } from '../../lib/ui/step-vars.ts';
import { stripAnsi } from '../../lib/ui/text.ts';
import {
  carriedView,
  oneLine,
  referencedNames,
  renderVars,
  runbookTitle,
  stepView,
  summaryTable,
  tally,
} from '../../lib/ui/view.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: colour escapes are what is looked for
const SGR = /\u001b\[[0-9;]*m/;
const BOLD = '\u001b[1m';
const plain = { color: false, width: 80 };
const colored = { color: true, width: 80 };

describe('renderProse', () => {
  const md = [
    '# Install',
    '',
    'Run it **now**, see [the guide](https://example.com/guide).',
    '',
    '- **bold** and `code` in a list',
    '- *emphasis* and a [link](https://example.com/x)',
    '  - nested **deep**',
    '',
    '1. first `step`',
    '',
    '<!-- a note for editors -->',
  ].join('\n');

  it('renders inline formatting everywhere, list items included, without raw markers', () => {
    const out = renderProse(md, plain);
    expect(out).toContain('# Install');
    expect(out).toContain('Run it now, see the guide (https://example.com/guide).');
    expect(out).toContain('* bold and code in a list');
    expect(out).toContain('* emphasis and a link (https://example.com/x)');
    expect(out).toContain('* nested deep');
    expect(out).toContain('1. first step');
    expect(out).not.toMatch(/\*\*|`|\[|<!--/);
    expect(SGR.test(out)).toBe(false);
  });

  it('styles list items like paragraphs when colour is on', () => {
    const out = renderProse(md, colored);
    const item = out.split('\n').find((l) => stripAnsi(l).includes('bold and code in a list')) ?? '';
    expect(item).toContain(`${BOLD}bold`);
    expect(item).toContain('\u001b[33mcode');
    expect(stripAnsi(out)).toBe(renderProse(md, plain));
  });

  it('wraps paragraphs to the width and drops control characters', () => {
    const long = `${'word '.repeat(30)}end\u001b]0;evil\u0007`;
    const out = renderProse(long, { color: false, width: 40 });
    for (const line of out.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(40);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
    expect(out).not.toMatch(/[\u0000-\u0008\u000B-\u001F]/);
  });

  it('is empty for blank prose, and shows a bare link once', () => {
    expect(renderProse('  \n\n', plain)).toBe('');
    expect(renderProse('<https://example.com>', plain)).toBe('https://example.com\n');
  });
});

describe('renderCode', () => {
  const code = 'today=$(date +%F) # now\necho "hi $today"';

  it('shows the code in a gutter, plain without colour', () => {
    expect(renderCode(code, 'bash', plain)).toBe('  │ today=$(date +%F) # now\n  │ echo "hi $today"\n');
  });

  it('highlights bash when colour is on, keeping the text', () => {
    const out = renderCode(code, 'bash', colored);
    expect(SGR.test(out)).toBe(true);
    expect(stripAnsi(out)).toBe(renderCode(code, 'bash', plain));
    expect(highlightCode('echo $X', 'bash', true)).toContain('\u001b[33m$X');
  });

  it('leaves unknown languages plain and strips control characters', () => {
    expect(highlightCode('a\u001b[2Jb', 'no-such-language', true)).toBe('a[2Jb');
  });
});

describe('variables', () => {
  const context: Context = {
    vars: {
      IP: { type: 'scalar', attrs: '', value: '172.18.0.3' },
      API_TOKEN: { type: 'scalar', attrs: '', value: 'abc123' },
      URL: { type: 'scalar', attrs: '', value: 'https://u:abc123@host' },
      LIST: { type: 'indexed', attrs: '', value: { '0': 'a', '1': 'b c' } },
    },
    unset: ['HOME'],
    functions: '',
    cwd: '/',
  };
  const isSecret = (n: string) => n.includes('TOKEN');
  const redact = (t: string) => t.replaceAll('abc123', '****');
  const src = { context, env: { HOME: '/root', EDITOR: 'vi' }, isSecret, redact, width: 60 };

  it('finds $NAME and braced references by a scan', () => {
    expect(referencedNames('echo $A ${B:-x} "${C[@]}" \\$ $1 ${#D}')).toEqual(['A', 'B', 'C']);
  });

  it('shows carried values, secrets as ****, embedded secrets hidden, unset ones with a note', () => {
    const analysis = { sets: [], needs: ['IP', 'API_TOKEN', 'URL', 'LIST', 'EDITOR', 'HOME', 'MISSING'] };
    const views = usedVars(analysis, '', src, (n) => `ask for ${n}`);
    expect(views).toEqual([
      { name: 'IP', value: '172.18.0.3' },
      { name: 'API_TOKEN', value: '****' },
      { name: 'URL', value: 'https://u:****@host' },
      { name: 'LIST', value: '([0]="a" [1]="b c")' },
      // EDITOR comes from the environment: not carried, not shown. HOME was unset by a step.
      { name: 'HOME', note: 'ask for HOME' },
      { name: 'MISSING', note: 'ask for MISSING' },
    ]);
    expect(renderVars(views.slice(0, 1), painter(false))).toBe('Variables it uses:\n  IP = 172.18.0.3\n');
    expect(unsetNeeds(analysis, src)).toEqual(['HOME', 'MISSING']);
  });

  it('falls back to the scan when the code does not parse, listing only carried values', () => {
    const views = usedVars({ sets: [], needs: [], error: 'syntax' }, 'echo $IP $NOPE', src, () => 'x');
    expect(views).toEqual([{ name: 'IP', value: '172.18.0.3' }]);
  });

  it('cuts long and multi-line values to one line', () => {
    expect(oneLine('x'.repeat(100), 20)).toBe(`${'x'.repeat(19)}…`);
    expect(oneLine('first\nsecond\nthird', 40)).toBe('first … (3 lines)');
    expect(oneLine('', 10)).toBe("''");
    const v = carriedView(
      'K',
      { type: 'scalar', attrs: '', value: 'a\u0007b' },
      () => false,
      (t) => t,
      20,
    );
    expect(v.value).toBe('ab');
  });

  it('names what a skipped step leaves unset for the steps after it', () => {
    const rb = parseRunbook(
      '```bash\nA=1 B=2\n```\n\n```bash\necho $A\n```\n\n```bash\nB=3; echo $B $IP\n```\n',
    );
    const [, second, third] = rb.steps;
    if (!second || !third) throw new Error('fixture');
    const later = [
      { step: second, analysis: { sets: [], needs: ['A'] } },
      { step: third, analysis: { sets: ['B'], needs: ['IP'] } },
    ];
    expect(leftUnset({ sets: ['A', 'B', 'IP'], needs: [] }, later, src)).toEqual([
      { name: 'A', readBy: second },
    ]);
  });
});

describe('titles, step views and summaries', () => {
  it('takes the title from front matter, else the first heading, else the file name', () => {
    expect(runbookTitle(parseRunbook('---\ntitle: From FM\n---\n# Heading\n'), '/x/a.md')).toBe('From FM');
    expect(
      runbookTitle(parseRunbook('Intro\n\n## The **first** one\n\n```bash\ntrue\n```\n'), '/x/a.md'),
    ).toBe('The first one');
    expect(runbookTitle(parseRunbook('```bash\ntrue\n```\n'), '/x/a.md')).toBe('a.md');
  });

  it('puts prose, header, code and variables together, and marks edited code', () => {
    const rb = parseRunbook('Some *prose*.\n\n```bash {name=go}\necho $IP\n```\n');
    const step = rb.steps[0];
    if (!step) throw new Error('fixture');
    const view = stepView(
      step,
      14,
      { prose: true, code: step.code, vars: [{ name: 'IP', value: '1.2.3.4' }] },
      renderedHere(plain),
      plain,
    );
    expect(view).toBe(
      '\nSome prose.\n\n▶ Step 1/14 · go\n  │ echo $IP\n\nVariables it uses:\n  IP = 1.2.3.4\n',
    );
    const edited = stepView(
      step,
      14,
      { prose: false, code: 'echo hi', vars: [] },
      renderedHere(plain),
      plain,
    );
    expect(edited).toBe('\n▶ Step 1/14 · go (edited)\n  │ echo hi\n');
  });

  it('tabulates step, status and duration', () => {
    const base = { exitCode: 0, codeHash: '', setVars: [], tail: '' };
    const results: StepResult[] = [
      { ...base, index: 1, name: 'one', status: 'done', durationMs: 1500, attempts: 2 },
      { ...base, index: 2, name: 'two-long', status: 'skipped', durationMs: 0, attempts: 0 },
      { ...base, index: 3, name: 'three', status: 'done', durationMs: 20, attempts: 1, editedCode: 'x' },
      { ...base, index: 4, name: 'four', status: 'pending', durationMs: 0, attempts: 0 },
    ];
    expect(summaryTable(results, 4, painter(false))).toBe(
      [
        '  Step          Status               Time',
        '  1/4 one       ✔ done (2 attempts)  1.5 s',
        '  2/4 two-long  ↷ skipped',
        '  3/4 three     ✔ done (edited)      20 ms',
        '  4/4 four      · not run',
        '',
      ].join('\n'),
    );
    expect(tally(results)).toBe('2 done, 1 skipped');
    const failed = { ...base, status: 'failed' as const, durationMs: 0, attempts: 1 };
    expect(tally([{ ...failed, index: 1, name: 'x' }])).toBe('0 done, 1 failed');
    expect(tally([{ ...failed, index: 1, name: 'x' }], new Set(['x']))).toBe('0 done, 1 failed (allowed)');
    expect(
      tally(
        [
          { ...failed, index: 1, name: 'x' },
          { ...failed, index: 2, name: 'y' },
          { ...base, index: 3, name: 'z', status: 'interrupted', durationMs: 0, attempts: 1 },
        ],
        new Set(['x']),
      ),
    ).toBe('0 done, 1 failed, 1 failed (allowed), 1 interrupted');
  });
});
