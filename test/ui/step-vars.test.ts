// What a step's variables show before it runs: a value carried, or where a missing one will come from.
import { describe, expect, it } from 'vitest';
import { emptyContext } from '../../lib/core/context.ts';
import { parseRunbook } from '../../lib/markdown/parse.ts';
import { StepVariables } from '../../lib/ui/step-vars.ts';

const runbook = parseRunbook(
  '# T\n\n```bash {name=one}\nGREETING=hello\n```\n\n```bash {name=two}\necho "$GREETING $WHO"\nset -u\n: "$GREETING$WHO"\n```\n',
);
const sources = () => ({
  context: emptyContext('/tmp'),
  env: {},
  isSecret: () => false,
  redact: (t: string) => t,
  width: 80,
});

describe('StepVariables.views', () => {
  const [, two] = runbook.steps as [unknown, (typeof runbook.steps)[number]];
  it('a missing value an earlier step sets names that step', async () => {
    const views = await new StepVariables(sources, runbook.steps).views(
      two,
      two.code,
      'the page asks for it',
    );
    expect(views.find((v) => v.name === 'GREETING')?.note).toBe(
      'not set (step 1 one sets it); the page asks for it before it runs',
    );
  });
  it('one nothing sets only says it is asked for', async () => {
    const views = await new StepVariables(sources, runbook.steps).views(two, two.code);
    expect(views.find((v) => v.name === 'WHO')?.note).toBe('not set; you will be asked before it runs');
  });
});
