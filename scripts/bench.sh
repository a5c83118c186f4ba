#!/usr/bin/env bash
# Benchmarks kubenv against a plain-kubectl baseline on a private local cluster, prints a
# table (median, p90, kubenv/baseline ratio, goals) and writes docs/benchmarks.md.
#
#   scripts/bench.sh            full run (about 15 minutes on 2 cores, plus the release build)
#   scripts/bench.sh --quick    fewer repetitions, smaller scale rows (about 6 minutes)
#   options: --no-build (use the existing target/release/kubenv), --no-write (print only),
#            --out FILE (default docs/benchmarks.md), --only PHASES (comma-separated, e.g.
#            list,gc; for working on the bench, implies --no-write)
#   env: KUBECTL=/path/to/kubectl to choose the baseline's kubectl (default: kubectl of the
#        cluster's Kubernetes release, built once from Go modules, else the installed one)
#
# The cluster is production-like where it matters for a fair comparison: etcd syncs to disk,
# the API server keeps its default in-flight limits and API Priority and Fairness, and both
# kubenv and the baseline act as an engineer (token user alice, group kubenv:engineers, bound
# by `kubenv admin init --engineers-group` to ClusterRole kubenv:engineer), not as
# system:masters, whom API Priority and Fairness exempts.
#
# Nothing of yours is touched: the control plane lives in a fresh temporary folder, and
# kubenv and kubectl run with a private HOME, KUBECONFIG and KUBENV_CACHE_DIR there. The
# harness itself is scripts/bench/bench.py; the baseline is scripts/bench/baseline-*.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

quick= build=1 out=docs/benchmarks.md only=
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=--quick ;;
    --no-build) build= ;;
    --no-write) out= ;;
    --out) shift; out=${1:?--out needs a file} ;;
    --only) shift; only=${1:?--only needs phases}; out= ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
command -v python3 >/dev/null || die "python3 is needed"
# The real interpreter: a pyenv shim would not survive the private HOME below.
python=$(python3 -c 'import sys; print(sys.executable)')

# The baseline is kubectl itself, of the cluster's release: built once from the same Go
# modules as the cluster (scripts/bench/kubectl pins it) and cached beside its binaries.
# Without Go, the installed kubectl; a version dispatcher (the Google Cloud SDK ships one as
# `kubectl`) costs an extra start-up per call, so call the newest real binary it holds.
k8s_version=$(scripts/controlplane.sh versions | awk '$1 == "kubernetes" {print $2}')
kubectl_cache=${KUBENV_CACHE:-$HOME/.cache/kubenv}/kubectl-$k8s_version
for d in /usr/local/go/bin "$HOME/go/bin"; do
  if [ -x "$d/go" ]; then PATH=$PATH:$d; fi
done
if [ -z "${KUBECTL:-}" ] && [ ! -x "$kubectl_cache/kubectl" ] && command -v go >/dev/null; then
  log "building kubectl $k8s_version from Go modules (once)"
  ld="" minor=$(echo "$k8s_version" | cut -d. -f2)
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$k8s_version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  mkdir -p "$kubectl_cache.tmp"
  (cd scripts/bench/kubectl && CGO_ENABLED=0 GOFLAGS=-mod=readonly GOEXPERIMENT=nojsonv2 \
    go build -trimpath -ldflags "-s -w $ld" -o "$kubectl_cache.tmp/kubectl" k8s.io/kubernetes/cmd/kubectl >&2) \
    && rm -rf "$kubectl_cache" && mv "$kubectl_cache.tmp" "$kubectl_cache" \
    || { rm -rf "$kubectl_cache.tmp"; log "could not build kubectl; using the installed one"; }
fi
if [ -n "${KUBECTL:-}" ]; then
  kubectl_bin=$KUBECTL
elif [ -x "$kubectl_cache/kubectl" ]; then
  kubectl_bin=$kubectl_cache/kubectl
else
  if ! command -v kubectl >/dev/null; then
    log "installing kubectl"
    as_root apt-get update -qq && as_root apt-get install -y -qq kubernetes-client >&2
  fi
  kubectl_bin=$(command -v kubectl)
  real=$(readlink -f "$kubectl_bin")
  newest=$(ls "$(dirname "$real")"/kubectl.1.* 2>/dev/null | sort -t. -k3 -n | tail -n 1 || true)
  [ -n "$newest" ] && [ -x "$newest" ] && kubectl_bin=$newest
fi
"$kubectl_bin" create token --help >/dev/null 2>&1 \
  || die "$kubectl_bin has no 'create token' (kubectl 1.24+ needed); set KUBECTL"
log "baseline kubectl: $kubectl_bin"

if [ -n "$build" ]; then
  log "cargo build --release"
  cargo build --release --quiet ${CARGO_BUILD_JOBS:+-j "$CARGO_BUILD_JOBS"}
fi
kubenv=${CARGO_TARGET_DIR:-$repo/target}/release/kubenv
rustc_version=$(rustc --version 2>/dev/null || echo unknown)
case "$out" in ""|/*) ;; *) out=$repo/$out ;; esac
[ -x "$kubenv" ] || die "$kubenv is missing; run without --no-build"

work=$(mktemp -d "${TMPDIR:-/tmp}/kubenv-bench.XXXXXX")
cp_dir=$(mktemp -d "${TMPDIR:-/tmp}/kubenv-cp.XXXXXX")
cleanup() {
  KUBENV_CP_STATE=$work/cp-current scripts/controlplane.sh down "$cp_dir" >/dev/null 2>&1 || true
  rm -rf "$work" "$cp_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "starting a control plane in $cp_dir (etcd syncing to disk)"
# KUBENV_CP_STATE: do not move the `current` control-plane link other tools rely on.
KUBENV_CP_ETCD_FSYNC=1 KUBENV_CP_STATE=$work/cp-current scripts/controlplane.sh up "$cp_dir" >/dev/null
versions=$(scripts/controlplane.sh versions | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')

mkdir -p "$work/home" "$work/kubenv-cache"
spawn_rss=
if command -v cc >/dev/null && cc -O2 -o "$work/spawn-rss" scripts/bench/spawn-rss.c; then
  spawn_rss=$work/spawn-rss
else
  log "warning: no C compiler; max RSS will include the harness's own (see scripts/bench/spawn-rss.c)"
fi
log "installing kubenv's policy and roles as the platform team (kubenv admin init --engineers-group kubenv:engineers)"
env HOME="$work/home" KUBECONFIG="$cp_dir/admin.kubeconfig" "$kubenv" admin init \
  --engineers-group kubenv:engineers >/dev/null
# Everything timed runs as the engineer alice (group kubenv:engineers): her own kubeconfig.
cp "$cp_dir/alice.kubeconfig" "$work/kubeconfig"
chmod 600 "$work/kubeconfig"

env HOME="$work/home" XDG_CACHE_HOME="$work/home/.cache" XDG_CONFIG_HOME="$work/home/.config" \
  KUBECONFIG="$work/kubeconfig" KUBENV_CACHE_DIR="$work/kubenv-cache" NO_COLOR=1 \
  BENCH_RUSTC="$rustc_version" \
  "$python" scripts/bench/bench.py --cp "$cp_dir" --work "$work" --kubenv "$kubenv" \
  --kubectl "$kubectl_bin" --repo "$repo" --versions "$versions" --spawn-rss "$spawn_rss" ${out:+--out "$out"} $quick \
  ${only:+--only "$only"}
