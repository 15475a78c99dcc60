// The command line's arguments as one-line expectations: what each argv comes to, or the one line that
// says what is wrong with it.
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../lib/cli/arguments.ts';

const parsed = (argv: string) => {
  const { command, file, options } = parseCli(argv ? argv.split(' ') : []);
  const on = Object.entries(options).filter(([, v]) => v !== undefined && v !== false);
  return {
    command,
    file,
    ...Object.fromEntries(on.filter(([k]) => k !== 'set' && k !== 'envFiles' && k !== 'preflight')),
  };
};
const refused = (argv: string) => {
  try {
    parseCli(argv.split(' '));
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`not refused: ${argv}`);
};

describe('parseCli', () => {
  it.each([
    ['', { command: 'run', file: 'runbook.md' }],
    ['--yes ops.md', { command: 'run', file: 'ops.md', yes: true }],
    ['-y --resume', { command: 'run', file: 'runbook.md', yes: true, resume: true }],
    ['--from 3 --to deploy x.md', { command: 'run', file: 'x.md', from: '3', to: 'deploy' }],
    ['check x.md', { command: 'check', file: 'x.md' }],
    ['-l --json', { command: 'run', file: 'runbook.md', list: true, json: true }],
    [
      'serve --port 0',
      { command: 'serve', file: 'runbook.md', serve: { host: '127.0.0.1', port: 0, open: false } },
    ],
    ['--help --yes', { command: 'help', file: 'runbook.md', yes: true }],
    ['-v', { command: 'version', file: 'runbook.md' }],
  ])('%j', (argv, expected) => {
    expect(parsed(argv)).toEqual(expected);
  });

  it('reads --set pairs, a value keeping its own "="', () => {
    expect(parseCli(['--set', 'A=1', '--set', 'B=x=y']).options.set).toEqual({ A: '1', B: 'x=y' });
    expect(parseCli(['--no-preflight']).options.preflight).toBe(false);
  });

  it.each([
    ['--bogus', /--bogus/],
    ['--from', /--from needs a value/],
    ['--set 1A=x', /--set takes NAME=VALUE/],
    ['a.md b.md', /expected one runbook file, got 2/],
    ['--json', /--json goes with --list/],
    ['--only 2 --from 1', /--only cannot be combined with --from\/--to/],
    ['--only 2 --resume', /--only cannot be combined with --resume/],
    ['check --yes', /check does not take --yes/],
    ['--list --yes', /--list does not take --yes/],
    ['--port 80', /--port goes with serve/],
    ['serve --yes', /serve runs steps from the page; --yes does not go with it/],
    ['serve --port 70000', /--port takes a number from 0 to 65535/],
  ])('refuses %j', (argv, reason) => {
    const message = refused(argv);
    expect(message).toMatch(reason);
    expect(message.split('\n')).toHaveLength(1);
  });
});
