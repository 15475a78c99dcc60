// `--env-file FILE`: dotenv files (KEY=value lines, # comments, quotes) read with Node's own parser, in
// the order given; a later file overrides an earlier one for the same name.
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { UsageError } from '../core/errors.ts';
import { isIdentifier } from '../core/identifiers.ts';

export function readEnvFiles(files: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(`cannot read --env-file ${file}: ${code === 'ENOENT' ? 'no such file' : code}`);
    }
    for (const [name, value] of Object.entries(parseEnv(text))) {
      if (!isIdentifier(name))
        throw new UsageError(`--env-file ${file}: ${JSON.stringify(name)} is not a variable name`);
      values[name] = value ?? '';
    }
  }
  return values;
}
