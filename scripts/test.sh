#!/usr/bin/env bash
# Runs every kubenv test: formatting, lints, unit tests, and the integration suite against a
# real Kubernetes control plane. With KUBENV_TEST_KUBECONFIG set, the integration suite runs
# against that cluster (kind, k3d, a cloud cluster) instead of a local one.
#
#   scripts/test.sh            everything
#   scripts/test.sh e2e_create only tests whose name contains the filter
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'test: %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null; then
  log "cargo is missing; install Rust from https://rustup.rs"; exit 1
fi
if ! command -v kubectl >/dev/null; then
  log "installing kubectl (the independent client the tests check with)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq kubernetes-client >&2
fi

# The completion tests run the real shells.
missing=()
for sh in bash zsh fish; do command -v "$sh" >/dev/null || missing+=("$sh"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (the completion tests run them)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings

started=
if [ -z "${KUBENV_TEST_KUBECONFIG:-}" ]; then
  scripts/controlplane.sh install
  dir=$(scripts/controlplane.sh up "$(mktemp -d "${TMPDIR:-/tmp}/kubenv-cp.XXXXXX")")
  started=$dir
  trap 'scripts/controlplane.sh down "$started" >/dev/null 2>&1 || true' EXIT
  export KUBENV_TEST_KUBECONFIG=$dir/admin.kubeconfig
  export KUBENV_TEST_CONTROLPLANE=$dir
fi
log "integration tests against $(kubectl --kubeconfig "$KUBENV_TEST_KUBECONFIG" config view --minify -o jsonpath='{.clusters[0].cluster.server}')"

# Four test threads: tests mostly wait on the API server, so a little more than the two
# cores of the machine class keeps it busy without overloading it.
cargo test --all-targets -- --test-threads "${KUBENV_TEST_THREADS:-4}" "$@"
