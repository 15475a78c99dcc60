#!/usr/bin/env bash
# What narrows down a mesh that does not span both clusters: each east-west gateway's address, what each
# istiod says about the other cluster, which endpoints the client's proxy has for whoami (the other
# cluster's gateway on :15443 should be one), and whether both clusters hand out the same root certificate.
# Run it on its own (./mesh-diagnosis.sh), or source it for `bounded`, `diagnose_mesh` and
# `diagnosis_seconds` (runbook.md's verification does). Every command is bounded, so the whole diagnosis
# takes at most diagnosis_seconds.
set -uo pipefail

# Per command; eight commands run, so the diagnosis ends within diagnosis_seconds (plus a little).
DIAGNOSIS_COMMAND_SECONDS=${DIAGNOSIS_COMMAND_SECONDS:-10}
diagnosis_seconds() {
  echo $((8 * DIAGNOSIS_COMMAND_SECONDS))
}

# Runs a command for at most $1 seconds; the exit status is the command's, 143 when it was ended.
# (macOS has no coreutils `timeout`.)
bounded() {
  local seconds=$1
  shift
  "$@" &
  local pid=$!
  # The watchdog ends its own sleep when it is ended, so nothing outlives the command.
  (
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "$seconds" &
    sleeper=$!
    wait "$sleeper" && kill "$pid" 2>/dev/null
  ) &
  local watchdog=$!
  local status=0
  wait "$pid" || status=$?
  kill "$watchdog" 2>/dev/null || true
  wait "$watchdog" 2>/dev/null || true
  return "$status"
}

diagnose_mesh() {
  local n other context gateway endpoints
  local -a address root
  echo "--- What the mesh looks like from each cluster"
  for n in 0 1; do
    address[n]=$(bounded "$DIAGNOSIS_COMMAND_SECONDS" kubectl get service istio-eastwestgateway \
      --namespace istio-system --context "k3d-cluster-$n" --request-timeout=5s \
      --output 'jsonpath={.status.loadBalancer.ingress[0].ip}' 2>/dev/null) || true
    echo "cluster-$n east-west gateway address: ${address[n]:-(none: servicelb has not given it one)}"
  done
  for n in 0 1; do
    other=$((1 - n))
    context=k3d-cluster-$n
    echo "--- istiod in cluster-$n (istioctl remote-clusters): cluster-$other should be synced"
    bounded "$DIAGNOSIS_COMMAND_SECONDS" istioctl remote-clusters --context "$context" 2>&1 || true
    gateway=${address[other]}
    echo "--- Endpoints of whoami in the client's proxy in cluster-$n: ${gateway:-the other gateway}:15443 should be one"
    endpoints=$(bounded "$DIAGNOSIS_COMMAND_SECONDS" istioctl proxy-config endpoints client.whoami --context "$context" \
      --cluster 'outbound|80||whoami.whoami.svc.cluster.local' 2>&1) || true
    echo "$endpoints"
    if [[ -n $gateway ]] && ! grep -qF "$gateway:15443" <<<"$endpoints"; then
      echo "(cluster-$other's gateway $gateway:15443 is missing: the proxy knows no way to cluster-$other)"
    fi
  done
  for n in 0 1; do
    root[n]=$(bounded "$DIAGNOSIS_COMMAND_SECONDS" kubectl get configmap istio-ca-root-cert --namespace whoami \
      --context "k3d-cluster-$n" --request-timeout=5s --output 'jsonpath={.data.root-cert\.pem}' 2>/dev/null) || true
  done
  echo "--- Root certificates (istio-ca-root-cert in namespace whoami)"
  if [[ -z ${root[0]} || -z ${root[1]} ]]; then
    echo "missing in cluster-$([[ -z ${root[0]} ]] && echo 0 || echo 1): istiod there has not published one"
  elif [[ ${root[0]} == "${root[1]}" ]]; then
    echo "both clusters hand out the same root certificate"
  else
    echo "the clusters hand out DIFFERENT root certificates: their workloads cannot trust each other (see copy-root-ca)"
  fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  diagnose_mesh
fi
