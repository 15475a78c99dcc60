import { readFileSync } from 'node:fs';
import { getDefaults, marked } from 'marked';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/core/errors.ts';
import { parseInfo } from '../../lib/markdown/attributes.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/parse/${name}`, import.meta.url), 'utf8');
const parse = (name: string) => parseRunbook(fixture(name));
const steps = (text: string) => parseRunbook(text).steps;
const codes = (text: string) => steps(text).map((step) => step.code);
const names = (text: string) => steps(text).map((step) => step.name);

describe('steps', () => {
  it('reads a shell fence', () => expect(steps('```sh\necho hi\n```')[0]?.code).toBe('echo hi'));
  it('keeps the content exactly, minus the final newline', () =>
    expect(codes('```sh\n  a\n\n\tb  \n\n```\n')).toEqual(['  a\n\n\tb  \n']));
  it('takes sh, bash, shell and no language, any case', () =>
    expect(
      steps('```sh\n```\n```bash\n```\n```shell\n```\n```\n```\n```BaSh\n```').map((s) => s.lang),
    ).toEqual(['sh', 'bash', 'shell', 'bash', 'bash']));
  it('marks shell steps', () => expect(steps('```sh\nx\n```')[0]?.kind).toBe('shell'));
  it('takes js, javascript and mjs as js steps', () =>
    expect(
      steps('```js\na\n```\n```JavaScript\nb\n```\n```mjs\nc\n```').map((s) => [s.kind, s.lang]),
    ).toEqual([
      ['js', 'js'],
      ['js', 'javascript'],
      ['js', 'mjs'],
    ]));
  it('leaves documentation languages alone', () =>
    expect(codes('```yaml\na: 1\n```\n```json\n{}\n```\n```console\n$ ls\n```\n```ts\nx\n```')).toEqual([]));
  it('never runs indented code', () => expect(codes('para\n\n    echo indented\n')).toEqual([]));
  it('numbers steps from 1, skipping documentation blocks', () =>
    expect(steps('```sh\na\n```\n```yaml\nb\n```\n```sh\nc\n```').map((s) => s.index)).toEqual([1, 2]));
  it('returns no steps for a file without any', () => expect(parse('no-steps.md').steps).toEqual([]));
  it('keeps a file without steps as the epilogue', () =>
    expect(parse('no-steps.md').epilogue).toBe(fixture('no-steps.md')));
  it('reads an empty file', () =>
    expect(parseRunbook('')).toEqual({ frontMatter: {}, steps: [], epilogue: '', warnings: [] }));
});

describe('fences', () => {
  it('reads tildes', () => expect(codes('~~~sh\necho tildes\n~~~')).toEqual(['echo tildes']));
  it('keeps a shorter fence as content', () =>
    expect(codes('````sh\n```\nx\n```\n````')).toEqual(['```\nx\n```']));
  it('closes on a longer fence', () => expect(codes('```sh\nx\n`````\nafter')).toEqual(['x']));
  it('does not close a tilde fence with backticks', () =>
    expect(codes('~~~\na\n```\n~~~')).toEqual(['a\n```']));
  it('allows spaces and tabs after the closing fence', () =>
    expect(codes('```sh\nx\n``` \t\n```sh\ny\n```')).toEqual(['x', 'y']));
  it('does not open a backtick fence whose info has a backtick', () =>
    expect(codes('``` sh `x`\ny\n')).toEqual([]));
  it('allows backticks in a tilde info string', () => expect(codes('~~~ sh `x`\ny\n~~~')).toEqual(['y']));
  it('removes the opening fence indentation from content', () =>
    expect(codes('  ~~~sh\n  a\n b\nc\n   d\n  ~~~')).toEqual(['a\nb\nc\n d']));
  it('reads the fences of fences.md', () =>
    expect(parse('fences.md').steps.map((s) => [s.line, s.code])).toEqual([
      [3, 'echo tildes'],
      [7, '```\necho inner fence is content\n```'],
      [13, 'echo closed by a longer fence'],
      [17, 'echo fine'],
      [23, 'echo closing fence with trailing blanks'],
      [27, ''],
      [30, 'echo a ``` line does not close a tilde fence\n```'],
    ]));
});

describe('unterminated fences', () => {
  it('run to the end of the document', () => expect(codes('```sh\necho a\n\nb')).toEqual(['echo a\n\nb']));
  it('are still steps, with a warning', () =>
    expect(parse('unterminated.md').warnings).toEqual([
      { line: 9, message: 'unterminated code fence (```) runs to the end of the document' },
    ]));
  it('keep their trailing blank line', () =>
    expect(parse('unterminated.md').steps[1]?.code).toBe('echo one\necho two\n'));
  it('end with their list item', () => expect(codes('- ```sh\n  a\n\nafter')).toEqual(['a\n']));
  it('end with their block quote', () => expect(codes('> ```sh\n> a\nafter')).toEqual(['a']));
  it('name the container in the warning', () =>
    expect(parseRunbook('> ```sh\n> a\n').warnings[0]?.message).toMatch(
      /runs to the end of the enclosing block quote/,
    ));
  it('warn for documentation fences too, since they hide what follows', () =>
    expect(parseRunbook('```yaml\na: 1\n```sh\n').warnings[0]?.line).toBe(1));
});

describe('nesting', () => {
  const nested = parse('nested.md').steps;
  it('finds fences in list items', () => expect(nested[0]?.code).toBe('brew install k3d'));
  it('keeps tabs in a heredoc inside a list item', () =>
    expect(nested[1]?.code).toBe('cat > config <<-EOF\n\tindented with a tab\n\tEOF'));
  it('finds a fence that opens a list item', () => expect(nested[2]?.code).toBe('echo in a bullet'));
  it('finds fences in block quotes after lazy lines', () =>
    expect([nested[3]?.line, nested[3]?.code]).toEqual([24, 'echo quoted']));
  it('finds fences in quoted lists', () =>
    expect([nested[4]?.line, nested[4]?.code]).toEqual([30, 'echo deep']));
  it('reads tab-indented list item content', () =>
    expect(nested[5]?.code).toBe('echo tab-indented item content'));
  it('gives every fence its line', () => expect(nested.map((s) => s.line)).toEqual([5, 11, 17, 24, 30, 36]));
  it('ends a quoted fence at a line without >', () =>
    expect(codes('> ```sh\n> a\nb\n> ```')).toEqual(['a', '']));
  it('ends a list item fence at an outdented line, as CommonMark does', () =>
    expect(
      steps('1. Do:\n   ```sh\n   echo hi\nnot indented\n   ```\n\nafter\n').map((s) => [s.line, s.code]),
    ).toEqual([
      [2, 'echo hi'],
      [5, '\nafter'],
    ]));
  it('does not take a lazy paragraph line for a fence', () =>
    expect(codes('> - item\n\t```sh\necho\n')).toEqual([]));
});

describe('line numbers', () => {
  it('count from the top of the file', () =>
    expect(steps('# T\n\ntext\n\n```sh\nx\n```').map((s) => s.line)).toEqual([5]));
  it('count front matter lines', () => expect(steps('---\ntitle: x\n---\n\n```sh\nx\n```')[0]?.line).toBe(5));
  it('count CRLF lines', () => expect(parse('crlf.md').steps.map((s) => s.line)).toEqual([7, 14]));
  it('count a bare CR as a line end', () => expect(steps('a\r\r```sh\rx\r```')[0]?.line).toBe(3));
});

describe('CRLF files', () => {
  const crlf = parse('crlf.md');
  it('give code without carriage returns', () => expect(crlf.steps[0]?.code).toBe('echo one\necho two'));
  it('read their front matter', () => expect(crlf.frontMatter).toEqual({ title: 'CRLF runbook' }));
  it('give prose without carriage returns', () => expect(crlf.steps[1]?.prose).toBe('\nText.\n\n'));
});

describe('attributes', () => {
  const runme = parse('runme.md');
  it('reads key=value, quoted values and bare flags', () =>
    expect(
      steps(
        '```sh {name=create-cluster-0 timeout=600 title="A b" note=\'c d\' skip=false verbose}\nx\n```',
      )[0]?.attributes,
    ).toEqual({
      name: 'create-cluster-0',
      timeout: '600',
      title: 'A b',
      note: 'c d',
      skip: 'false',
      verbose: true,
    }));
  it('reads Runme JSON, numbers as strings', () =>
    expect(runme.steps[0]?.attributes).toEqual({
      name: 'create-cluster',
      interactive: false,
      timeout: '600',
    }));
  it('skips Runme excludeFromRunAll blocks', () =>
    expect(runme.steps.map((s) => s.name)).not.toContain('cleanup'));
  it('reads spaced braces', () =>
    expect(runme.steps[1]?.attributes).toEqual({
      name: 'wait-ready',
      title: 'Wait for it',
      retries: '3',
      background: true,
    }));
  it('drops skip blocks from the steps', () =>
    expect(codes('```sh {skip}\na\n```\n```sh\nb\n```')).toEqual(['b']));
  it('drops ignore blocks from the steps', () =>
    expect(codes('```sh {ignore}\na\n```\n```sh\nb\n```')).toEqual(['b']));
  it('does not count skipped blocks', () =>
    expect(steps('```sh {skip}\na\n```\n```sh\nb\n```')[0]?.index).toBe(1));
  it('marks a step whose attributes cannot all be read, keeping those it could', () =>
    expect([runme.steps[2]?.attributes, runme.steps[2]?.unreadable]).toEqual([
      { name: 'oops' },
      'cannot read title="unterminated} and no closing } in {name=oops title="unterminated}',
    ]));
  it('reads the attributes around one it cannot read', () =>
    expect([steps('```sh {name=a =x skip}\ny\n```').length, parseInfo('sh {name=a =x timeout=5}')]).toEqual([
      0,
      {
        lang: 'sh',
        attributes: { name: 'a', timeout: '5' },
        problem: 'cannot read =x in {name=a =x timeout=5}',
      },
    ]));
  it('names invalid JSON attributes', () =>
    expect(steps('```sh {"name": oops}\ny\n```')[0]?.unreadable).toBe(
      'invalid JSON attributes in {"name": oops}',
    ));
  it('only warns about unreadable attributes of a block that is no step', () =>
    expect(parseRunbook('```sh {=x skip}\ny\n```').warnings[0]?.message).toBe(
      'attributes not read: cannot read =x in {=x skip}',
    ));
  it('keeps attributes before text after the braces, with a warning', () =>
    expect([
      steps('```sh {name=a} extra\ny\n```')[0]?.name,
      parseRunbook('```sh {name=a} extra\ny\n```').warnings[0]?.message,
    ]).toEqual(['a', 'text after the attributes is not read: extra']));
  it('ignores words outside braces', () =>
    expect(steps('```sh title="x"\ny\n```')[0]?.attributes).toEqual({}));
  it('reads attributes right after the language', () =>
    expect(steps('```sh{name=a}\ny\n```')[0]?.name).toBe('a'));
  it('reads attributes without a language', () =>
    expect(steps('``` {name=a}\ny\n```')[0]?.lang).toBe('bash'));
});

describe('names', () => {
  const named = parse('names.md').steps.map((s) => s.name);
  it('use the name attribute', () => expect(names('```sh {name=deploy}\nx\n```')).toEqual(['deploy']));
  it('use the heading slug', () => expect(named[1]).toBe('set-up-the-cluster'));
  it('suffix later steps under one heading', () => expect(named[2]).toBe('set-up-the-cluster-2'));
  it('step around an explicit name', () =>
    expect(named.slice(3, 5)).toEqual(['set-up-the-cluster-3', 'set-up-the-cluster-4']));
  it('take the next free suffix when headings repeat', () => expect(named[5]).toBe('set-up-the-cluster-5'));
  it('fall back to step-N', () => expect(named[0]).toBe('step-1'));
  it('fold accents', () => expect(named[6]).toBe('creme-brulee'));
  it('keep other letters', () => expect(named[7]).toBe('установка'));
  it('are never numeric', () => expect(named[8]).toBe('step-9'));
  it('are unique', () => expect(new Set(named).size).toBe(named.length));
  it('derive a name when the name attribute is empty, with a warning', () =>
    expect([
      names('# H\n```sh {name=""}\nx\n```'),
      parseRunbook('```sh {name}\nx\n```').warnings[0]?.message,
    ]).toEqual([['h'], 'ignoring an empty name attribute']));
  it('reject duplicate explicit names, naming both lines', () =>
    expect(() => parse('duplicate-names.md')).toThrow('duplicate step name "deploy" on lines 3 and 7'));
  it('reject an explicit numeric name', () =>
    expect(() => parse('numeric-name.md')).toThrow(/line 1: step name "42" is a number/));
  it('throw InputError', () => expect(() => parse('duplicate-names.md')).toThrow(InputError));
  it('take the setext heading', () =>
    expect(names('Deploy it\n=========\n\n```sh\nx\n```')).toEqual(['deploy-it']));
  it('strip inline Markdown from headings', () =>
    expect(steps('## Install `kubectl` *now*\n```sh\nx\n```')[0]?.headings).toEqual(['Install kubectl now']));
});

describe('prose and headings', () => {
  const basic = parse('basic.md').steps;
  it('gives the Markdown before the first step', () =>
    expect(basic[0]?.prose).toBe('\n# Create a cluster\n\nSome prose before the first step.\n\n'));
  it('includes documentation blocks in the prose', () =>
    expect(basic[1]?.prose).toContain('```yaml\napiVersion: v1'));
  it('includes skipped blocks in the prose', () =>
    expect(basic[6]?.prose).toContain('```sh {skip}\nrm -rf /\n```'));
  it('never includes the fence itself', () => expect(basic[1]?.prose).not.toContain('mkdir'));
  it('gives the epilogue', () => expect(parse('basic.md').epilogue).toBe("\nThat's all.\n"));
  it('gives the heading path', () =>
    expect(basic[3]?.headings).toEqual(['Create a cluster', 'Prepare', 'Check']));
  it('pops deeper headings', () => expect(basic[6]?.headings).toEqual(['Create a cluster', 'Clean up']));
  it('gives no headings before the first', () => expect(steps('```sh\nx\n```')[0]?.headings).toEqual([]));
  it('gives the prose of a nested step without its fence', () =>
    expect(parse('nested.md').steps[1]?.prose).toBe('\n2. Write the config:\n\n'));
  it('names steps of basic.md', () =>
    expect(basic.map((s) => s.name)).toEqual([
      'create-a-cluster',
      'make-dir',
      'prepare',
      'check',
      'check-2',
      'check-3',
      'clean-up',
    ]));
});

describe('isolation', () => {
  it('ignores marked options another module set globally', () => {
    const swallow = {
      name: 'swallow',
      level: 'block' as const,
      tokenizer: (src: string) => ({ type: 'swallow', raw: src }),
    };
    marked.use({ extensions: [swallow] });
    try {
      expect(codes('```sh\nx\n```')).toEqual(['x']);
    } finally {
      marked.setOptions(getDefaults());
    }
  });
});

describe('output blocks', () => {
  const expected = (text: string) => steps(text).map((s) => s.expected);
  const warnings = (text: string) => parseRunbook(text).warnings.map((w) => w.message);
  it('attach to the step right before them', () =>
    expect(expected('```sh\necho hi\n```\n```output\nhi\n```')).toEqual([{ text: 'hi', line: 4 }]));
  it('may follow after blank lines', () =>
    expect(expected('```sh\necho hi\n```\n\n\n```output\nhi\n```')[0]?.line).toBe(6));
  it('are never steps', () => expect(codes('```sh\na\n```\n```output\nb\n```')).toEqual(['a']));
  it('are not prose of the next step', () =>
    expect(steps('```sh\na\n```\n```output\nb\n```\nThen:\n```sh\nc\n```')[1]?.prose).toBe('Then:\n'));
  it('take the similarity comment before them', () =>
    expect(
      expected('```sh\na\n```\n\n<!-- expected_similarity=0.8 -->\n```output\nb\n```')[0]?.similarity,
    ).toBe(0.8));
  it('keep their content exactly', () =>
    expect(expected('```sh\na\n```\n```output\n  x  \n\n...\n```')[0]?.text).toBe('  x  \n\n...'));
  it('read CRLF files as LF', () =>
    expect(expected('```sh\r\na\r\n```\r\n```output\r\nb\r\nc\r\n```\r\n')[0]?.text).toBe('b\nc'));
  it('count lines after front matter', () =>
    expect(expected('---\ntitle: t\n---\n```sh\na\n```\n```output\nb\n```')[0]?.line).toBe(7));
  it('attach inside a list item', () =>
    expect(expected('- ```sh\n  a\n  ```\n\n  ```output\n  b\n  ```')[0]?.text).toBe('b'));
  it('take any case of the language', () =>
    expect(expected('```sh\na\n```\n```Output\nb\n```')[0]?.text).toBe('b'));
  it('do not attach across prose', () =>
    expect(expected('```sh\na\n```\nSome text.\n```output\nb\n```')).toEqual([undefined]));
  it('warn when prose parts them from the step', () =>
    expect(warnings('```sh\na\n```\nSome text.\n```output\nb\n```')).toEqual([
      'this output block is not checked: only blank lines may stand between a step and its output block',
    ]));
  it('warn when they follow no step', () =>
    expect(warnings('# T\n\n```output\nb\n```')).toEqual([
      'this output block is not checked: it follows no step (an output block goes right after the step whose output it shows)',
    ]));
  it('warn after a documentation block', () =>
    expect(warnings('```yaml\na: 1\n```\n```output\nb\n```')[0]).toMatch(/follows no step/));
  it('warn after a skipped step', () =>
    expect(warnings('```sh {skip}\na\n```\n```output\nb\n```')[0]).toMatch(/follows no step/));
  it('warn when a step has one already', () =>
    expect(warnings('```sh\na\n```\n```output\nb\n```\n```output\nc\n```')[0]).toMatch(/already has one/));
  it('attach to JavaScript steps too', () =>
    expect(expected('```js\nconsole.log(1)\n```\n```output\n1\n```')[0]?.text).toBe('1'));
});
