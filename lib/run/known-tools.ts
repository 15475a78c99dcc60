// What preflight knows about the tools runbooks most often require: how each prints its own version
// without needing a server, how to install it, and what to do when its health check fails.

export interface KnownTool {
  /** Arguments that make the tool print its own version and nothing that needs a server. */
  versionArgs: string[];
  install: string;
  /** What to do when the requirement's `check` command fails. */
  checkFailed?: string;
  /** Pulls the version out of the tool's output when the first version-looking token would be wrong. */
  parseVersion?: (output: string) => string | undefined;
}

export const KNOWN_TOOLS: Record<string, KnownTool> = {
  docker: {
    versionArgs: ['--version'],
    install:
      'Install Docker: Docker Desktop (macOS, Windows) or Docker Engine (Linux), https://docs.docker.com/get-docker/',
    checkFailed:
      'Start the Docker engine: open Docker Desktop, or run `sudo systemctl start docker` on Linux.',
  },
  k3d: {
    versionArgs: ['version'],
    install:
      'Install k3d v5: `brew install k3d`, or `curl -s https://raw.githubusercontent.com/k3d-io/k3d/main/install.sh | bash` (https://k3d.io)',
  },
  helm: {
    versionArgs: ['version', '--short'],
    install: 'Install Helm 3: `brew install helm`, or see https://helm.sh/docs/intro/install/',
  },
  kubectl: {
    versionArgs: ['version', '--client', '--output=json'],
    install: 'Install kubectl: `brew install kubectl`, or see https://kubernetes.io/docs/tasks/tools/',
    parseVersion: (output) => {
      try {
        return (JSON.parse(output) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion;
      } catch {
        return undefined;
      }
    },
  },
  jq: {
    versionArgs: ['--version'],
    install:
      'Install jq: `sudo apt-get install jq`, `brew install jq`, or see https://jqlang.github.io/jq/download/',
  },
  istioctl: {
    versionArgs: ['version', '--remote=false'],
    install:
      'Install istioctl 1.23: `curl -L https://istio.io/downloadIstio | ISTIO_VERSION=1.23.2 sh -`, then put istio-1.23.2/bin on PATH',
  },
};
