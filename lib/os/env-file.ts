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
      if (!isIdentifier(name)) {
        // The line is named, not quoted: what stands before its = may hold a value (`TOKEN s3cr3t=1`).
        const at = text.split(/\r?\n/).findIndex((line) => line.includes(name));
        const where = at === -1 ? file : `${file}:${at + 1}`;
        throw new UsageError(
          `--env-file ${where}: what stands before = is not a variable name (letters, digits and _, not starting with a digit)`,
        );
      }
      values[name] = value ?? '';
    }
  }
  return values;
}
