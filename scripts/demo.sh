#!/usr/bin/env bash
# kubenv end to end: create an environment, list it, connect, use it with kubectl, put it to
# sleep, wake it, delete it. Installs what a fresh Debian machine lacks (cargo excepted).
#
#   scripts/demo.sh
#
# Which cluster:
#   - KUBENV_DEMO_KUBECONFIG=FILE   use that cluster (needs rights to create namespaces);
#   - else your cluster, when `kubectl cluster-info` reaches it with $KUBECONFIG or
#     ~/.kube/config;
#   - else a local control plane (scripts/controlplane.sh), stopped again on exit.
# kubenv always works on a private copy of the kubeconfig and a private token cache in a
# temporary folder, so your own ~/.kube/config is never modified. On your cluster the demo
# creates one environment (namespace env-demo-<random>) and deletes it again.
#
#   KUBENV_DEMO_NAME=NAME   environment name (default: demo-<random>)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' D=$'\033[2m' N=$'\033[0m'
else
  B= G= R= D= N=
fi
say()  { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
note() { printf '%s%s%s\n' "$D" "$*" "$N"; }
die()  { printf '%sdemo: %s%s\n' "$R" "$*" "$N" >&2; exit 1; }

# Shows a command as it would be typed, then runs it.
show() {
  local out=() a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then out+=("$a"); else out+=("'$a'"); fi
  done
  printf '%s$ %s%s\n' "$G" "${out[*]}" "$N"
}
run() { show "$@"; "$@"; }

# Runs a command, shows it and how long it took (wall clock, ms) into the named variable.
timed() {
  local var=$1; shift
  show "$@"
  local t0=$EPOCHREALTIME
  "$@"
  local t1=$EPOCHREALTIME
  local ms=$(( (10#${t1//[.,]/} - 10#${t0//[.,]/}) / 1000 ))
  printf -v "$var" '%d' "$ms"
  note "(${ms} ms)"
}

# Fails the demo unless actual == expected.
expect() { # what actual expected
  if [ "$2" != "$3" ]; then die "$1: expected $3, got ${2:-<nothing>}"; fi
  note "ok: $1 = ${2:-(none)}"
}

# --- prerequisites ------------------------------------------------------------------------
command -v cargo >/dev/null || die "cargo is required: install Rust from https://rustup.rs, then re-run"
if ! command -v kubectl >/dev/null; then
  say "installing kubectl"
  if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq kubernetes-client >&2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kubenv-demo.XXXXXX")
chmod 700 "$WORK"
CP_DIR=
ENV_NAME=${KUBENV_DEMO_NAME:-demo-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')}
[[ $ENV_NAME =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ ]] \
  || die "KUBENV_DEMO_NAME=$ENV_NAME: use lowercase letters, digits and '-'"
ENV_CREATED=
ENV_DELETED=
SOURCE=

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ -n "$ENV_CREATED" ] && [ -z "$ENV_DELETED" ]; then
    printf '\ndemo: cleaning up environment %s\n' "$ENV_NAME" >&2
    "$KUBENV" delete "$ENV_NAME" --yes --ignore-not-found --timeout 60s >&2 </dev/null
  fi
  if [ -n "$CP_DIR" ]; then
    scripts/controlplane.sh down "$CP_DIR" >/dev/null 2>&1
  fi
  rm -rf "$WORK"
  if [ "$rc" -ne 0 ]; then
    printf '%sdemo: FAILED (exit %s); everything it made has been removed%s\n' "$R" "$rc" "$N" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- which cluster ------------------------------------------------------------------------
say "choosing a cluster"
user_kubeconfig_present() {
  if [ -n "${KUBECONFIG:-}" ]; then
    local IFS=: f
    for f in $KUBECONFIG; do [ -f "$f" ] && return 0; done
    return 1
  fi
  [ -f "$HOME/.kube/config" ]
}
if [ -n "${KUBENV_DEMO_KUBECONFIG:-}" ]; then
  [ -f "$KUBENV_DEMO_KUBECONFIG" ] || die "KUBENV_DEMO_KUBECONFIG=$KUBENV_DEMO_KUBECONFIG does not exist"
  kubectl --kubeconfig "$KUBENV_DEMO_KUBECONFIG" config view --flatten --raw >"$WORK/kubeconfig"
  SOURCE="the cluster in KUBENV_DEMO_KUBECONFIG ($KUBENV_DEMO_KUBECONFIG), through a private copy of that file"
elif user_kubeconfig_present && kubectl cluster-info --request-timeout=5s >/dev/null 2>&1; then
  # Your kubeconfig, merged and with certificate files inlined, copied: kubenv writes its
  # contexts into the copy, and your own file stays as it is.
  kubectl config view --flatten --raw >"$WORK/kubeconfig"
  SOURCE="your current cluster ($(kubectl config current-context)), through a private copy of your kubeconfig"
else
  note "no reachable cluster configured: starting a local Kubernetes $(scripts/controlplane.sh versions | sed -n 's/^kubernetes //p') (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, simulated nodes)"
  scripts/controlplane.sh install
  CP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kubenv-cp.XXXXXX")
  scripts/controlplane.sh up "$CP_DIR" >/dev/null
  cp "$CP_DIR/admin.kubeconfig" "$WORK/kubeconfig"
  SOURCE="a local control plane in $CP_DIR (stopped when the demo ends)"
fi
chmod 600 "$WORK/kubeconfig"
export KUBECONFIG=$WORK/kubeconfig
export KUBENV_CACHE_DIR=$WORK/cache
export KUBECACHEDIR=$WORK/kubectl-cache
# Personal defaults (config file, KUBENV_* variables) must not change what the demo shows.
export KUBENV_CONFIG=$WORK/config.yaml
unset KUBENV_TEAM KUBENV_TEMPLATE KUBENV_TTL KUBENV_OUTPUT KUBENV_SWITCH_CONTEXT
note "cluster: $SOURCE"
note "KUBECONFIG=$KUBECONFIG (private copy)  KUBENV_CACHE_DIR=$KUBENV_CACHE_DIR"
HOST_CONTEXT=$(kubectl config current-context)

# --- build --------------------------------------------------------------------------------
say "building kubenv (cargo build --release)"
cargo build --release --quiet
mkdir -p "$WORK/bin"
# A copy, so a rebuild of the tree mid-demo cannot change the binary the contexts point at.
cp target/release/kubenv "$WORK/bin/kubenv"
KUBENV=$WORK/bin/kubenv
export PATH=$WORK/bin:$PATH
run kubenv --version

# --- the lifecycle ------------------------------------------------------------------------
say "1. create an environment (namespace + quota, limits, network policy, RBAC, expiry) and switch kubectl to it"
ENV_CREATED=1
timed T_CREATE kubenv create "$ENV_NAME" --ttl 2h --team demo
NS=$(kubenv get "$ENV_NAME" -o json | sed -n 's/^  "namespace": "\(.*\)",$/\1/p')
expect "namespace" "$NS" "env-$ENV_NAME"
run kubectl --context "$HOST_CONTEXT" -n "$NS" get resourcequota,limitrange,networkpolicy,serviceaccount,rolebinding -l app.kubernetes.io/managed-by=kubenv

say "2. list environments"
timed T_LIST kubenv list
run kubenv get "$ENV_NAME" -o json

say "3. connect (writes the context kubenv-$ENV_NAME; credentials come from \`kubenv token\`)"
run kubenv connect "$ENV_NAME"
run kubectl config current-context
expect "current context" "$(kubectl config current-context)" "kubenv-$ENV_NAME"

say "4. work in the environment with plain kubectl"
run kubectl create deployment web --image=nginx --replicas=2
run kubectl rollout status deployment/web --timeout=120s
run kubectl get pods
run kubectl auth can-i create deployments
if kubectl auth can-i list pods -n kube-system >/dev/null 2>&1; then
  die "the environment's credentials can read kube-system"
fi
note "ok: the environment's credentials stop at its namespace (kubectl auth can-i list pods -n kube-system: no)"
if [ -n "$CP_DIR" ]; then
  note "(on the local cluster the nodes are simulated by kwok: pods are scheduled and reported Running, no container really runs)"
fi

say "5. sleep: every workload scaled to zero, new pods blocked"
run kubenv sleep "$ENV_NAME" --wait
run kubectl get deployment web -o 'jsonpath={.spec.replicas}{"\n"}'
expect "replicas while asleep" "$(kubectl get deployment web -o 'jsonpath={.spec.replicas}')" 0
expect "pods of web while asleep" "$(kubectl get deployment web -o 'jsonpath={.status.replicas}')" ""
run kubenv list

say "6. wake: replicas restored exactly"
run kubenv wake "$ENV_NAME" --wait
run kubectl get pods
expect "replicas after wake" "$(kubectl get deployment web -o 'jsonpath={.spec.replicas}')" 2
expect "available replicas after wake" "$(kubectl get deployment web -o 'jsonpath={.status.availableReplicas}')" 2

say "7. delete, and wait until the namespace is gone"
run kubenv delete "$ENV_NAME" --yes --wait --timeout 2m
ENV_DELETED=1
expect "namespace after delete" "$(kubectl --context "$HOST_CONTEXT" get namespace "$NS" --ignore-not-found -o name)" ""
expect "current context after delete" "$(kubectl config current-context)" "$HOST_CONTEXT"
if kubectl config get-contexts -o name | grep -qx "kubenv-$ENV_NAME"; then
  die "the context kubenv-$ENV_NAME is still in the kubeconfig"
fi
note "ok: context kubenv-$ENV_NAME removed from the kubeconfig"

# --- summary ------------------------------------------------------------------------------
say "summary"
cat <<EOF
${G}demo passed${N}: create -> list -> connect -> kubectl -> sleep -> wake -> delete
  cluster:        $SOURCE
  environment:    $ENV_NAME (namespace $NS), now deleted
  kubenv create:  ${T_CREATE} ms
  kubenv list:    ${T_LIST} ms
  your kubeconfig and token cache were not touched (kubenv used copies in $WORK, now removed)
EOF
