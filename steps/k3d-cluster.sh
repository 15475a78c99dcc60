#!/usr/bin/env bash
# Brings up the k3d cluster a config file describes, whether or not an earlier run got there: creates it
# when it is absent, starts it when it is stopped, and leaves it as it is when it already runs as described.
# A cluster of that name built differently (another k3s image, Docker network, API port or k3s arguments) is
# reported with what differs and how to recover, and is neither used nor changed.
# Usage: ./k3d-cluster.sh CONFIG   (runbook.md's create-cluster steps)
set -euo pipefail

config=${1:?usage: k3d-cluster.sh CONFIG}

# The config keeps one key per line, so sed reads it; a key it cannot find stops the script.
value() {
  local found
  found=$(sed -n "$2" "$config" | head -n 1)
  if [[ -z $found ]]; then
    echo "cannot read $1 from $config" >&2
    exit 2
  fi
  printf '%s\n' "$found"
}
name=$(value metadata.name 's/^  name: *"\{0,1\}\([^" #]*\)"\{0,1\}.*/\1/p')
image=$(value image 's/^image: *"\{0,1\}\([^" #]*\)"\{0,1\}.*/\1/p')
network=$(value network 's/^network: *"\{0,1\}\([^" #]*\)"\{0,1\}.*/\1/p')
port=$(value kubeAPI.hostPort 's/^  hostPort: *"\{0,1\}\([0-9]*\)"\{0,1\}.*/\1/p')
args=$(sed -n 's/^ *- arg: *"\{0,1\}\([^" #]*\)"\{0,1\}.*/\1/p' "$config")

if ! found=$(k3d cluster get "$name" 2>&1); then
  if ! grep -q 'No nodes found' <<<"$found"; then
    echo "$found" >&2
    exit 1
  fi
  k3d cluster create --config "$config"
  exit 0
fi

# It exists: compare what the mesh depends on with what the server node runs.
server=$(docker container inspect "k3d-$name-server-0")
have_image=$(jq -r '.[0].Config.Image' <<<"$server")
have_network=$(jq -r '.[0].Config.Labels["k3d.cluster.network"]' <<<"$server")
have_port=$(jq -r '.[0].Config.Labels["k3d.server.api.port"]' <<<"$server")
# The k3s arguments: Cmd is "server", then the config's arguments, then the --tls-san pairs k3d adds.
have_args=$(jq -r '.[0].Config.Cmd[1:][]' <<<"$server")
problems=()
[[ $have_image == "$image" ]] || problems+=("it runs $have_image; the config asks for $image")
[[ $have_network == "$network" ]] || problems+=("it is on network $have_network; the config asks for $network")
[[ $have_port == "$port" ]] || problems+=("its API is on host port $have_port; the config asks for $port")
while IFS= read -r arg; do
  [[ -z $arg ]] || grep -qxF -- "$arg" <<<"$have_args" || problems+=("k3s runs without $arg")
done <<<"$args"
# Of what the config does not ask for, only a component disabled matters (servicelb gives the gateways
# their address); k3d adds arguments of its own.
while IFS= read -r arg; do
  [[ $arg != --disable* ]] || grep -qxF -- "$arg" <<<"$args" || problems+=("k3s runs with $arg, which the config does not ask for")
done <<<"$have_args"
if ((${#problems[@]} > 0)); then
  echo "A cluster named $name exists, but not as $config describes it:" >&2
  printf '  - %s\n' "${problems[@]}" >&2
  echo "It is not used. If nothing in it is worth keeping, delete it (k3d cluster delete $name) and run this step again." >&2
  exit 1
fi

if [[ $(jq -r '.[0].State.Running' <<<"$server") != true ]] || ! docker container inspect "k3d-$name-serverlb" | jq -e '.[0].State.Running' >/dev/null; then
  echo "cluster $name exists as $config describes it, but is stopped: starting it"
  k3d cluster start "$name"
else
  echo "cluster $name already exists as $config describes it; nothing to create"
fi
# A kubeconfig that lost the context (another KUBECONFIG, a deleted entry) gets it back.
if ! kubectl config get-contexts "k3d-$name" >/dev/null 2>&1; then
  k3d kubeconfig merge "$name" --kubeconfig-merge-default --kubeconfig-switch-context=false
fi
