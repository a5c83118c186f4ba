#!/usr/bin/env bash
# Benchmarks kubenv against a plain-kubectl baseline on a private local control plane, prints
# a table (median, p90, kubenv/baseline ratio, goals) and writes docs/benchmarks.md.
#
#   scripts/bench.sh            full run (about 10 minutes on 2 cores, plus the release build)
#   scripts/bench.sh --quick    fewer repetitions (about 5 minutes)
#   options: --no-build (use the existing target/release/kubenv), --no-write (print only),
#            --out FILE (default docs/benchmarks.md)
#   env: KUBECTL=/path/to/kubectl to choose the baseline's kubectl
#
# Nothing of yours is touched: the control plane lives in a fresh temporary folder, and
# kubenv and kubectl run with a private HOME, KUBECONFIG and KUBENV_CACHE_DIR there. The
# harness itself is scripts/bench/bench.py; the baseline is scripts/bench/baseline-*.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

quick= build=1 out=docs/benchmarks.md
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=--quick ;;
    --no-build) build= ;;
    --no-write) out= ;;
    --out) shift; out=${1:?--out needs a file} ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
command -v python3 >/dev/null || die "python3 is needed"
# The real interpreter: a pyenv shim would not survive the private HOME below.
python=$(python3 -c 'import sys; print(sys.executable)')
if ! command -v kubectl >/dev/null && [ -z "${KUBECTL:-}" ]; then
  log "installing kubectl"
  as_root apt-get update -qq && as_root apt-get install -y -qq kubernetes-client >&2
fi

# The baseline is kubectl itself. A version dispatcher (the Google Cloud SDK ships one as
# `kubectl`) costs an extra start-up per call, so call the real binary it dispatches to.
kubectl_bin=${KUBECTL:-$(command -v kubectl)}
real=$(readlink -f "$kubectl_bin")
minor=$("$real" version --client -o json 2>/dev/null | python3 -c 'import json,sys,re; print(re.sub(r"\D","",json.load(sys.stdin)["clientVersion"]["minor"]))' || true)
if [ -z "${KUBECTL:-}" ] && [ -n "$minor" ] && [ -x "$(dirname "$real")/kubectl.1.$minor" ]; then
  kubectl_bin=$(dirname "$real")/kubectl.1.$minor
fi
"$kubectl_bin" create token --help >/dev/null 2>&1 \
  || die "$kubectl_bin has no 'create token' (kubectl 1.24+ needed); set KUBECTL"
log "baseline kubectl: $kubectl_bin"

if [ -n "$build" ]; then
  log "cargo build --release"
  cargo build --release --quiet
fi
kubenv=$repo/target/release/kubenv
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

log "starting a control plane in $cp_dir"
# KUBENV_CP_STATE: do not move the `current` control-plane link other tools rely on.
KUBENV_CP_STATE=$work/cp-current scripts/controlplane.sh up "$cp_dir" >/dev/null

mkdir -p "$work/home" "$work/kubenv-cache"
cp "$cp_dir/admin.kubeconfig" "$work/kubeconfig"
chmod 600 "$work/kubeconfig"
log "installing kubenv's policy and roles (kubenv admin init), as a platform team would first"
env HOME="$work/home" KUBECONFIG="$work/kubeconfig" "$kubenv" admin init >/dev/null

env HOME="$work/home" XDG_CACHE_HOME="$work/home/.cache" XDG_CONFIG_HOME="$work/home/.config" \
  KUBECONFIG="$work/kubeconfig" KUBENV_CACHE_DIR="$work/kubenv-cache" NO_COLOR=1 \
  BENCH_RUSTC="$rustc_version" \
  "$python" scripts/bench/bench.py --cp "$cp_dir" --work "$work" --kubenv "$kubenv" \
  --kubectl "$kubectl_bin" --repo "$repo" ${out:+--out "$out"} $quick
