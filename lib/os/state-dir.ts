// Where a runbook's own files live: `.runbook/` beside it, one file per runbook and purpose (the run record,
// the parse cache), plus files the runbooks of one directory share (the analysis cache).
import path from 'node:path';

export function stateDir(runbookFile: string): string {
  return path.join(path.dirname(runbookFile), '.runbook');
}

/** `.runbook/<name>.<purpose>.json` for `<name>.md`. */
export function stateFile(runbookFile: string, purpose: string): string {
  return path.join(
    stateDir(runbookFile),
    `${path.basename(runbookFile).replace(/\.md$/i, '')}.${purpose}.json`,
  );
}

/** A file in `.runbook/` that every runbook of the directory uses. */
export function sharedStateFile(runbookFile: string, name: string): string {
  return path.join(stateDir(runbookFile), name);
}

/** A step's name as a file name: anything but word characters, dots and dashes becomes `_`. */
export function stepFileName(stepName: string, extension: string): string {
  return `${stepName.replace(/[^\w.-]/g, '_').slice(0, 100)}.${extension}`;
}
