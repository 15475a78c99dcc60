// --record's files: run.json, junit.xml and transcript.md, with secrets kept out of all three.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { makeRedactor } from '../../lib/core/secrets.ts';
import type { Context, RunReport, StepResult } from '../../lib/core/types.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';
import { writeRecords } from '../../lib/records/write.ts';

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/records/deploy.md');
const TOKEN = 'tok-9f8e7d6c5b4a';
const PIN = '4711';

function result(index: number, name: string, fields: Partial<StepResult>): StepResult {
  return {
    index,
    name,
    status: 'done',
    exitCode: 0,
    durationMs: 1234,
    attempts: 1,
    codeHash: 'x',
    setVars: [],
    tail: '',
    ...fields,
  };
}

const context: Context = {
  vars: {
    API_TOKEN: { type: 'scalar', value: TOKEN, attrs: 'x' },
    PIN: { type: 'scalar', value: PIN, attrs: '' },
  },
  unset: [],
  functions: '',
  cwd: '/tmp',
};

const report: RunReport = {
  runbookPath: '/work/runbooks/deploy.md',
  startedAt: '2026-01-02T03:04:05.000Z',
  endedAt: '2026-01-02T03:04:15.500Z',
  exitCode: 1,
  steps: [
    result(1, 'login', {
      // The step echoed the token, in colour and with terminal line endings, and the PIN.
      tail: `logging in with \x1b[1m${TOKEN}\x1b[0m\r\npin ${PIN}\r\n`,
      setVars: ['API_TOKEN', 'SESSION', 'OLD'],
      setValues: { API_TOKEN: TOKEN, SESSION: `s-${TOKEN}` },
    }),
    result(2, 'configure', { tail: '```\nnot a fence end\n````` five\n', durationMs: 80 }),
    result(3, 'apply', {
      status: 'failed',
      exitCode: 2,
      attempts: 3,
      tail: `error: <invalid> & "bad" \x07\x1b[31mred\x1b[0m\x00 token=${TOKEN}\n`,
    }),
    result(4, 'wait', { status: 'skipped', exitCode: null, durationMs: 0 }),
    result(5, 'verify', {
      status: 'interrupted',
      exitCode: 130,
      message: 'interrupted by Ctrl-C',
      tail: 'progress 10%\rprogress 50%\rprogress 90%\n',
    }),
    result(6, 'cleanup', { status: 'pending', exitCode: null, durationMs: 0 }),
  ],
};

async function record() {
  const text = readFileSync(FIXTURE, 'utf8');
  const runbook = parseRunbook(text);
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'runbook-records-')), 'nested', 'records');
  await writeRecords(dir, report, text, runbook.steps, makeRedactor(context, runbook.frontMatter.secrets));
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  return {
    dir,
    text,
    runbook,
    json: read('run.json'),
    junit: read('junit.xml'),
    transcript: read('transcript.md'),
  };
}

describe('writeRecords', () => {
  it('never writes a secret value, although the steps printed them', async () => {
    const { json, junit, transcript } = await record();
    for (const written of [json, junit, transcript]) {
      expect(written).not.toContain(TOKEN);
      expect(written).not.toContain(PIN);
      expect(written).toContain('****');
    }
  });

  it('writes run.json with each step, its redacted variables and output tail', async () => {
    const { json, dir } = await record();
    const run = JSON.parse(json);
    expect(run).toMatchObject({
      runbook: '/work/runbooks/deploy.md',
      startedAt: report.startedAt,
      endedAt: report.endedAt,
      exitCode: 1,
    });
    expect(run.steps).toHaveLength(6);
    expect(run.steps[0]).toEqual({
      index: 1,
      name: 'login',
      status: 'done',
      exitCode: 0,
      durationMs: 1234,
      attempts: 1,
      runs: 1,
      vars: { API_TOKEN: '****', SESSION: 's-****', OLD: null },
      outputTail: 'logging in with ****\npin ****\n',
    });
    expect(run.steps[2]).toMatchObject({ status: 'failed', exitCode: 2, attempts: 3 });
    expect(run.steps[4].message).toBe('interrupted by Ctrl-C');
    expect(run.steps[5]).toMatchObject({ status: 'pending', exitCode: null });
    for (const f of ['run.json', 'junit.xml', 'transcript.md']) {
      expect(statSync(path.join(dir, f)).mode & 0o777, f).toBe(0o600);
    }
  });

  it('writes valid JUnit XML with the right counts and one testcase per step', async () => {
    const { junit } = await record();
    expect(XMLValidator.validate(junit)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(junit);
    const suite = doc.testsuites.testsuite;
    expect(suite).toMatchObject({
      name: 'deploy.md',
      tests: '6',
      failures: '1',
      errors: '1',
      skipped: '2',
      time: '10.500',
    });
    const cases = suite.testcase as Array<Record<string, Record<string, string>>>;
    expect(cases.map((c) => c.name)).toEqual([
      '01 login',
      '02 configure',
      '03 apply',
      '04 wait',
      '05 verify',
      '06 cleanup',
    ]);
    expect(cases.every((c) => c.classname === 'deploy')).toBe(true);
    expect(cases[0]).toMatchObject({ time: '1.234', 'system-out': 'logging in with ****\npin ****' });
    expect(cases[2]?.failure).toMatchObject({ message: 'exit code 2' });
    // Escaped markup survives; ANSI and characters XML cannot carry do not.
    expect(cases[2]?.failure?.['#text']).toBe('error: <invalid> & "bad" red token=****');
    expect(cases[3]?.skipped).toEqual({ message: 'skipped' });
    expect(cases[4]?.error).toMatchObject({ message: 'interrupted by Ctrl-C', '#text': 'progress 90%' });
    expect(cases[5]?.skipped).toEqual({ message: 'not run' });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none are left
    expect(junit).not.toMatch(/[\x00-\x08\x0B\x0C\x0E-\x1F]/);
  });

  it('writes the runbook with each outcome below its block, without breaking its fences', async () => {
    const { transcript, runbook } = await record();
    const lines = transcript.split('\n');
    // The summary follows the front matter.
    expect(lines.slice(0, 6)).toEqual([
      '---',
      'title: Deploy with a token',
      'secrets: [PIN]',
      '---',
      '',
      '> **Run of deploy.md** · started 2026-01-02T03:04:05.000Z · ended 2026-01-02T03:04:15.500Z · exit code 1 · 2 of 6 steps done',
    ]);
    const below = (fence: string, from: string) => {
      const at = lines.indexOf(fence, lines.indexOf(from));
      return lines.slice(at + 1, at + 3);
    };
    expect(below('```', 'echo "logging in with $API_TOKEN"')).toEqual(['', '> **✔ done** · exit 0 · 1.2 s']);
    expect(below('````', 'YAML')).toEqual(['', '> **✔ done** · exit 0 · 80 ms']);
    expect(below('~~~', 'kubectl apply -f app.yaml')).toEqual([
      '',
      '> **✘ failed** · exit 2 · 1.2 s · 3 attempts',
    ]);
    expect(below('```', 'sleep 1')).toEqual(['', '> **⏭ skipped**']);
    // The unterminated last block is closed, then gets its outcome.
    expect(transcript.trimEnd().split('\n').slice(-4)).toEqual([
      'echo cleanup',
      '```',
      '',
      '> **· not run**',
    ]);
    // Output with backtick runs is fenced with a longer fence.
    expect(transcript).toContain('``````text\n```\nnot a fence end\n````` five\n``````');
    expect(transcript).toContain('```text\nprogress 90%\n```');

    // Read back as a runbook, the transcript has the same steps: the inserted text opened no fence.
    const again = parseRunbook(transcript);
    expect(again.steps.map((s) => [s.name, s.code])).toEqual(runbook.steps.map((s) => [s.name, s.code]));
  });

  it('keeps CRLF runbooks CRLF and overwrites an older record', async () => {
    const text = readFileSync(FIXTURE, 'utf8').replace(/\n/g, '\r\n');
    const dir = mkdtempSync(path.join(tmpdir(), 'runbook-records-'));
    writeFileSync(path.join(dir, 'transcript.md'), 'old', { mode: 0o644 });
    await writeRecords(dir, report, text, parseRunbook(text).steps, makeRedactor(context));
    const transcript = readFileSync(path.join(dir, 'transcript.md'), 'utf8');
    expect(transcript).toContain('```\r\n\r\n> **✔ done** · exit 0 · 1.2 s\r\n');
    expect(transcript.replace(/\r\n/g, '')).not.toContain('\n');
    expect(statSync(path.join(dir, 'transcript.md')).mode & 0o777).toBe(0o600);
  });
});
