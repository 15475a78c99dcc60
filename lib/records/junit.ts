// A run as JUnit XML, the format CI systems read: one testsuite, one testcase per step.
import path from 'node:path';
import type { RunReport, StepResult } from '../core/types.ts';
import { plainOutput, stepNumber } from './output-text.ts';

// Characters XML 1.0 cannot carry at all, even escaped; unpaired surrogates included.
const ILLEGAL_XML =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text safe inside an XML element or a double-quoted attribute. */
export function xmlText(text: string): string {
  return text
    .replace(ILLEGAL_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Attribute values also keep their line breaks and tabs, which parsers would otherwise normalise away. */
function xmlAttribute(text: string): string {
  return xmlText(text).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function failureMessage(step: StepResult): string {
  const message = step.message ?? (step.exitCode === null ? 'no exit code' : `exit code ${step.exitCode}`);
  // A CI page shows the message first: for output that did not match, the diff is the reason.
  return step.output?.diff ? `${message}\n${step.output.diff}` : message;
}

function testcase(
  step: StepResult,
  classname: string,
  count: number,
  redact: (s: string) => string,
  refused?: string,
): string {
  const name = `${stepNumber(step.index, count)} ${step.name}`;
  const open = `    <testcase classname="${xmlAttribute(classname)}" name="${xmlAttribute(name)}" time="${seconds(step.durationMs)}"`;
  const output = xmlText(redact(plainOutput(step.tail)));
  const systemOut = output ? `\n      <system-out>${output}</system-out>` : '';
  const message = xmlAttribute(redact(failureMessage(step)));
  switch (step.status) {
    case 'done':
      return systemOut ? `${open}>${systemOut}\n    </testcase>` : `${open}/>`;
    case 'failed':
      return `${open}>\n      <failure message="${message}" type="failure">${output}</failure>\n    </testcase>`;
    case 'interrupted':
    case 'running':
      return `${open}>\n      <error message="${xmlAttribute(redact(step.message ?? 'interrupted'))}" type="${step.status}">${output}</error>\n    </testcase>`;
    case 'skipped':
      return `${open}>\n      <skipped message="skipped"/>\n    </testcase>`;
    case 'pending':
      return `${open}>\n      <skipped message="${xmlAttribute(redact(refused ? `not run: ${refused}` : 'not run'))}"/>\n    </testcase>`;
  }
}

export function junitXml(report: RunReport, redact: (s: string) => string): string {
  const file = path.basename(report.runbookPath);
  const classname = file.replace(/\.(md|markdown)$/i, '');
  // A run refused before its first step names why on each step it did not run; one whose runbook could
  // not even be read has no steps, and says why as an error, so CI shows it.
  const refused = report.error?.split('\n')[0];
  const unread = refused !== undefined && report.steps.length === 0;
  const count = unread ? 1 : report.steps.length;
  const tally = { failures: 0, errors: unread ? 1 : 0, skipped: 0 };
  for (const step of report.steps) {
    if (step.status === 'failed') tally.failures++;
    else if (step.status === 'interrupted' || step.status === 'running') tally.errors++;
    else if (step.status === 'skipped' || step.status === 'pending') tally.skipped++;
  }
  const time = seconds(Math.max(0, Date.parse(report.endedAt) - Date.parse(report.startedAt)) || 0);
  const counts = `tests="${count}" failures="${tally.failures}" errors="${tally.errors}" skipped="${tally.skipped}" time="${time}"`;
  const cases = unread
    ? [
        `    <testcase classname="${xmlAttribute(classname)}" name="${xmlAttribute(file)}" time="0.000">\n      <error message="${xmlAttribute(redact(refused))}" type="refused"/>\n    </testcase>`,
      ]
    : report.steps.map((step) => testcase(step, classname, count, redact, refused));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="runbook" ${counts}>`,
    `  <testsuite name="${xmlAttribute(file)}" ${counts} timestamp="${xmlAttribute(report.startedAt)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
