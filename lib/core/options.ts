// What a person asked for on the command line, and the streams a run talks through: the CLI builds them,
// every layer below reads them.

/** The runbook a command line that names none means. */
export const DEFAULT_RUNBOOK = 'runbook.md';

export type RunOptions = {
  yes: boolean;
  resume: boolean;
  from?: string;
  to?: string;
  only?: string;
  /** --set NAME=VALUE pairs, split once here; a later one for a name wins. */
  set: Record<string, string>;
  /** --env-file FILE, in order: their variables join the environment before --set applies. */
  envFiles: string[];
  dryRun: boolean;
  record?: string;
  list: boolean;
  json: boolean;
  preflight: boolean;
  /** `runbook serve`: the page's address; --open starts a browser on it. */
  serve?: { host: string; port: number; open: boolean };
};

export interface RunIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}
