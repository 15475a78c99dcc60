// Entry point of every fake tool: `node main.mjs <tool> ...args`. Prints the tool's output, its error
// verbatim on failure, and logs the call (with its exit code) to $RUNBOOK_FAKE_LOG.
import { logCall, ToolError } from './state.mjs';

const [tool, ...args] = process.argv.slice(2);
const tools = {
  docker: async () => (await import('./docker.mjs')).docker,
  k3d: async () => (await import('./k3d.mjs')).k3d,
  helm: async () => (await import('./helm.mjs')).helm,
  kubectl: async () => (await import('./kubectl.mjs')).kubectl,
  istioctl: async () => (await import('./istioctl.mjs')).istioctl,
};

let exitCode = 0;
try {
  if (!tools[tool]) throw new ToolError(`runbook test double: unknown tool ${tool}`, 2);
  const output = (await tools[tool]())(args);
  if (output) process.stdout.write(output);
} catch (error) {
  if (!(error instanceof ToolError)) {
    process.stderr.write(`runbook test double ${tool} crashed: ${error.stack}\n`);
    exitCode = 70;
  } else {
    process.stderr.write(`${error.message}\n`);
    exitCode = error.exitCode;
  }
}
try {
  logCall(tool, args, exitCode);
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  exitCode ||= 2;
}
process.exitCode = exitCode;
