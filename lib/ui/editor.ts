// Editing a step's code for one run in the person's editor: $VISUAL, else $EDITOR, else vi. The editor
// setting is a command line (`code --wait`), run by sh as git runs core.editor.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Step } from '../core/types.ts';
import { stepFileName } from '../os/state-dir.ts';

export type EditResult = { code: string } | { error: string };

export function editorCommand(env: NodeJS.ProcessEnv): string {
  return env.VISUAL?.trim() || env.EDITOR?.trim() || 'vi';
}

/** Opens `code` in the editor on the terminal and waits; the edited text, or why there is none. */
export async function editCode(step: Step, code: string, env: NodeJS.ProcessEnv): Promise<EditResult> {
  const editor = editorCommand(env);
  const dir = mkdtempSync(path.join(tmpdir(), 'runbook-edit-'));
  // The extension lets the editor pick its syntax mode.
  const file = path.join(dir, stepFileName(step.name, step.kind === 'js' ? 'mjs' : 'sh'));
  try {
    writeFileSync(file, `${code}\n`, { mode: 0o600 });
    const status = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
      const child = spawn('sh', ['-c', `${editor} "$1"`, 'runbook-editor', file], { stdio: 'inherit', env });
      child.once('error', (error) => resolve({ code: null, error }));
      child.once('exit', (exitCode) => resolve({ code: exitCode }));
    });
    if (status.error) return { error: `cannot start the editor (${editor}): ${status.error.message}` };
    if (status.code !== 0)
      return { error: `the editor (${editor}) exited with ${status.code ?? 'a signal'}` };
    return { code: readFileSync(file, 'utf8').replace(/\r?\n$/, '') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
