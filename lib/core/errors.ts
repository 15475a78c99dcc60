// Typed errors: everything below the CLI throws these; only the CLI turns them into exit codes.

export const EXIT = {
  ok: 0,
  stepFailed: 1,
  usage: 2,
  interrupted: 130,
} as const;

export class RunbookError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags or arguments. */
export class UsageError extends RunbookError {}

/** A runbook, file or setting that cannot be used as given. */
export class InputError extends RunbookError {}

/** A run record that is corrupt, foreign or unusable. */
export class StateError extends RunbookError {}
