// `runbook check` on fixture runbooks: findings, their lines, and what is deliberately not a finding.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writtenByCommand } from '../../lib/analysis/commands.ts';
import { type CheckFinding, checkRunbook, formatFindings } from '../../lib/check/check.ts';
import { pathArguments } from '../../lib/check/paths.ts';
import { shellcheckAvailable } from '../../lib/check/shellcheck.ts';
import { attributeProblems, KNOWN_ATTRIBUTES } from '../../lib/markdown/attributes-known.ts';

const fixture = (name: string) => path.resolve(import.meta.dirname, '../fixtures/check', name);
const brief = (findings: CheckFinding[]) => findings.map((f) => [f.line, f.severity, f.step, f.message]);

describe('checkRunbook', () => {
  it('finds missing files, unknown attributes, bad values and missing variables, at their lines', async () => {
    const findings = await checkRunbook(fixture('problems.md'), { env: {}, shellcheck: false, cache: false });
    expect(brief(findings)).toEqual([
      [10, 'error', 'install-istio', '-f values/missing.yaml: no such file or directory'],
      [13, 'error', 'apply', 'unknown attribute timout (did you mean timeout?)'],
      // A missing variable is reported at the line that reads it.
      [
        19,
        'error',
        'apply',
        'needs MANIFEST_DIR, which no earlier step sets and neither the environment nor --set provides',
      ],
      [22, 'error', 'generate', 'retries must be a whole number (0 or more), got "abc"'],
      // `cd manifests` in an earlier step carries to this one.
      [
        32,
        'error',
        'cluster',
        '--config k3d/missing.yaml: no such file or directory (looked for manifests/k3d/missing.yaml)',
      ],
      [
        33,
        'error',
        'cluster',
        'needs CLUSTER_TOKEN, which no earlier step sets and neither the environment nor --set provides',
      ],
    ]);
  });

  it('takes variables from the environment and --set', async () => {
    const findings = await checkRunbook(fixture('problems.md'), {
      env: { MANIFEST_DIR: '/tmp' },
      set: { CLUSTER_TOKEN: 'x' },
      shellcheck: false,
      cache: false,
    });
    expect(findings.some((f) => f.message.startsWith('needs '))).toBe(false);
  });

  it('reports nothing for a clean runbook with front matter cwd, cwd=, a JS step and -k .', async () => {
    expect(await checkRunbook(fixture('clean.md'), { env: {}, cache: false })).toEqual([]);
  });

  it('judges front matter cwd as the run does: missing, or not a directory', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'check-cwd-'));
    writeFileSync(path.join(dir, 'a-file'), '');
    const findingsFor = async (cwd: string) => {
      writeFileSync(path.join(dir, 'r.md'), `---\ncwd: ${cwd}\n---\n\n\`\`\`bash\ntrue\n\`\`\`\n`);
      return (await checkRunbook(path.join(dir, 'r.md'), { env: {}, cache: false, shellcheck: false })).map(
        (f) => `${f.severity}: ${f.message}`,
      );
    };
    expect(await findingsFor('a-file')).toEqual([`error: front matter cwd ${dir}/a-file is not a directory`]);
    expect(await findingsFor('gone')).toEqual([`error: front matter cwd ${dir}/gone does not exist`]);
    expect(await findingsFor('.')).toEqual([]);
  });

  it('turns invalid front matter into one finding at its line', async () => {
    const findings = await checkRunbook(fixture('bad-front-matter.md'), { env: {}, cache: false });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ line: 3, severity: 'error' });
    expect(findings[0]?.message).toMatch(/^front matter line 3: /);
  });

  it('points a duplicate step name at its second use', async () => {
    const findings = await checkRunbook(fixture('duplicate-names.md'), { env: {}, cache: false });
    expect(brief(findings)).toEqual([
      [7, 'error', undefined, 'duplicate step name "deploy" on lines 3 and 7'],
    ]);
  });

  it('reports bash (as bash -n judges it) and JavaScript that does not parse, at their lines', async () => {
    const findings = await checkRunbook(fixture('syntax-errors.md'), {
      env: {},
      shellcheck: false,
      cache: false,
    });
    expect(brief(findings)).toEqual([
      [5, 'error', 'broken-shell', 'bash syntax: syntax error: unexpected end of file'],
      [10, 'error', 'broken-js', 'JavaScript syntax: Unexpected token (2:10)'],
    ]);
  });

  it('formats one line per finding', () => {
    const text = formatFindings(
      [
        { line: 3, severity: 'error', message: 'front matter: bad' },
        { line: 9, step: 'use', severity: 'warning', message: 'SC2086: quote it' },
      ],
      'runbook.md',
    );
    expect(text).toBe(
      'runbook.md:3: error: front matter: bad\nrunbook.md:9: warning: SC2086: quote it (use)',
    );
  });
});

describe('checkRunbook with shellcheck', () => {
  let available = false;
  beforeAll(async () => {
    available = await shellcheckAvailable();
  });

  it('maps shellcheck findings to runbook lines, errors and warnings by level, without SC2034/SC2154', async (ctx) => {
    if (!available) ctx.skip('shellcheck is not installed (apt-get install shellcheck)');
    const findings = await checkRunbook(fixture('shellcheck.md'), { env: {}, cache: false });
    expect(brief(findings)).toEqual([
      [8, 'error', 'use', 'SC2068: Double quote array expansions to avoid re-splitting elements.'],
      [9, 'warning', 'use', 'SC2086: Double quote to prevent globbing and word splitting.'],
    ]);
  });

  it('leaves shellcheck out when it is not installed', async () => {
    const findings = await checkRunbook(fixture('shellcheck.md'), {
      env: {},
      shellcheck: '/nonexistent/shellcheck',
      cache: false,
    });
    expect(findings).toEqual([]);
  });
});

describe('pathArguments', () => {
  const values = (line: string) => pathArguments(line.split(' ')).map((a) => `${a.option} ${a.value}`);

  it('reads long options in both forms for any command, short ones only where they name files', () => {
    expect(values('helm install x chart --values a.yaml --values=b.yaml -f c.yaml,d.yaml')).toEqual([
      '--values a.yaml',
      '--values b.yaml',
      '-f c.yaml',
      '-f d.yaml',
    ]);
    expect(values('kubectl apply -k overlay -fmanifest.yaml --filename=x.yaml')).toEqual([
      '-k overlay',
      '-f manifest.yaml',
      '--filename x.yaml',
    ]);
    expect(values('rm -f file')).toEqual([]);
    expect(values('tail -f log')).toEqual([]);
    expect(values('curl -k https://x')).toEqual([]);
    expect(values('kubectl logs -f pod')).toEqual([]);
  });
});

describe('writtenByCommand', () => {
  it('knows the files common commands create', () => {
    const written = (line: string) => writtenByCommand(line.split(' '));
    expect(written('tee -a a.txt b.txt')).toEqual(['a.txt', 'b.txt']);
    expect(written('cp -r src dest')).toEqual(['dest']);
    expect(written('curl -fsSLo istio.tgz https://x')).toEqual(['istio.tgz']);
    expect(written('wget --output-document=out.bin https://x')).toEqual(['out.bin']);
    expect(written('git clone --depth 1 https://github.com/istio/istio.git')).toEqual(['istio']);
    expect(written('git clone https://x/repo.git here')).toEqual(['here']);
    expect(written('echo hi')).toEqual([]);
  });
});

describe('attributeProblems', () => {
  it('accepts the runner and Runme attributes with sensible values', () => {
    expect(KNOWN_ATTRIBUTES.has('excludeFromRunAll')).toBe(true);
    expect(
      attributeProblems({
        name: 'a',
        timeout: '1.5',
        retries: '0',
        'continue-on-error': true,
        cwd: 'x',
        id: 'y',
      }),
    ).toEqual([]);
  });

  it('rejects bad values', () => {
    const messages = attributeProblems({
      timeout: '0',
      retries: '-1',
      cwd: true,
      'continue-on-error': 'maybe',
      name: '',
    }).map((p) => p.message);
    // A timer holds at most 2^31-1 ms: a longer timeout would end the step at once.
    expect(attributeProblems({ timeout: '2147483' })).toEqual([]);
    expect(attributeProblems({ timeout: '1e9' }).map((p) => p.message)).toEqual([
      'timeout must be at most 2147483 seconds (about 24 days), got "1e9"',
    ]);
    expect(messages).toEqual([
      'timeout must be a positive number of seconds, got "0"',
      'retries must be a whole number (0 or more), got "-1"',
      'cwd needs a value, like cwd=...',
      'continue-on-error is a flag: write it bare, or as continue-on-error=true or continue-on-error=false; got "maybe"',
      'name needs a value, like name=...',
    ]);
  });
});
