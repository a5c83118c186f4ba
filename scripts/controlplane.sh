#!/usr/bin/env bash
# A real, local Kubernetes control plane for kubenv's tests, demo and benchmarks:
# etcd + kube-apiserver + kube-controller-manager v1.20.2 on free 127.0.0.1 ports.
#
#   scripts/controlplane.sh install   install packages and build/cache the binaries (once)
#   scripts/controlplane.sh up [DIR]  start a control plane; prints its state dir on stdout
#   scripts/controlplane.sh env [DIR] print `export KUBECONFIG=...` lines for it
#   scripts/controlplane.sh down [DIR] stop it and remove its state dir
#
# Binaries are built from Debian bookworm's `kubernetes` source package and cached under
# ${KUBENV_CACHE:-~/.cache/kubenv}/bin, so every later `up` starts in a few seconds.
# The state dir holds: admin.kubeconfig (cluster-admin), <user>.kubeconfig for the non-admin
# users alice, bob and carol (static tokens, no permissions until granted), ca.crt, logs.
set -euo pipefail

K8S_VERSION=1.20.2
CACHE=${KUBENV_CACHE:-$HOME/.cache/kubenv}
BIN=$CACHE/bin
STATE_LINK=${KUBENV_CP_STATE:-$CACHE/current}

log() { printf 'controlplane: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

have_bins() {
  [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-controller-manager" ] \
    && [ "$(cat "$BIN/VERSION" 2>/dev/null)" = "$K8S_VERSION" ]
}

install_packages() {
  local need=()
  command -v etcd >/dev/null || need+=(etcd-server)
  command -v openssl >/dev/null || need+=(openssl)
  command -v python3 >/dev/null || need+=(python3)
  command -v curl >/dev/null || need+=(curl)
  if ! have_bins; then
    command -v go >/dev/null || need+=(golang-go)
    command -v rsync >/dev/null || need+=(rsync)
    command -v jq >/dev/null || need+=(jq)
    command -v dpkg-source >/dev/null || need+=(dpkg-dev)
  fi
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  fi
}

build_bins() {
  have_bins && return 0
  local src=$CACHE/src
  mkdir -p "$src" "$BIN"
  if [ ! -d "$src/kubernetes-$K8S_VERSION" ]; then
    if [ ! -f /etc/apt/sources.list.d/kubenv-bookworm-src.sources ]; then
      log "adding a deb-src entry for bookworm"
      as_root tee /etc/apt/sources.list.d/kubenv-bookworm-src.sources >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
      as_root apt-get update -qq
    fi
    log "fetching the kubernetes source package"
    (cd "$src" && apt-get source -qq "kubernetes=$K8S_VERSION*" >&2 2>/dev/null || apt-get source -qq kubernetes >&2)
    local dir
    dir=$(find "$src" -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
    [ -n "$dir" ] || die "apt-get source kubernetes produced no tree"
    [ "$dir" = "$src/kubernetes-$K8S_VERSION" ] || mv "$dir" "$src/kubernetes-$K8S_VERSION"
  fi
  local tree=$src/kubernetes-$K8S_VERSION gopath=$src/gopath
  mkdir -p "$gopath/src/k8s.io"
  ln -sfn "$tree" "$gopath/src/k8s.io/kubernetes"
  log "building kube-apiserver and kube-controller-manager (several minutes, once)"
  (
    cd "$gopath/src/k8s.io/kubernetes"
    export GOPATH=$gopath GO111MODULE=off GOFLAGS= GOCACHE=$CACHE/gocache
    export KUBE_GIT_VERSION=v$K8S_VERSION KUBE_GIT_TREE_STATE=clean
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >&2
  )
  local out
  out=$(find "$tree/_output" -type f -name kube-apiserver -path '*bin*' | head -n1)
  [ -n "$out" ] || die "build finished without a kube-apiserver binary"
  cp "$(dirname "$out")/kube-apiserver" "$(dirname "$out")/kube-controller-manager" "$BIN/"
  echo "$K8S_VERSION" >"$BIN/VERSION"
  rm -rf "$CACHE/gocache" "$tree/_output"
  log "cached binaries in $BIN"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

write_kubeconfig() { # file server ca user token
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubenv-local
  cluster:
    server: $2
    certificate-authority: $3
users:
- name: $4
  user:
    token: $5
contexts:
- name: $4@kubenv-local
  context:
    cluster: kubenv-local
    user: $4
current-context: $4@kubenv-local
EOF
  chmod 600 "$1"
}

stop_dir() {
  local dir=$1
  [ -d "$dir" ] || return 0
  for p in kcm apiserver etcd; do
    if [ -f "$dir/$p.pid" ]; then
      kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
    fi
  done
  for p in kcm apiserver etcd; do
    if [ -f "$dir/$p.pid" ]; then
      local pid; pid=$(cat "$dir/$p.pid")
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}

cmd_up() {
  install_packages
  build_bins
  local dir=${1:-}
  if [ -z "$dir" ]; then dir=$(mktemp -d "${TMPDIR:-/tmp}/kubenv-cp.XXXXXX"); fi
  mkdir -p "$dir"
  chmod 700 "$dir"
  trap 'log "start failed; logs in $dir"; tail -n 20 "$dir"/*.log >&2 || true; stop_dir "$dir"; exit 1' ERR

  local etcd_port etcd_peer api_port
  etcd_port=$(free_port); etcd_peer=$(free_port); api_port=$(free_port)

  # TLS: a self-signed CA and a serving cert for 127.0.0.1/localhost.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kubenv-local-ca" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$dir/apiserver.key" -out "$dir/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/apiserver.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 3650 -extfile "$dir/san.ext" -out "$dir/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
  openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null

  # Static tokens: one cluster-admin, three users with no permissions of their own.
  local t_admin t_cm
  t_admin=$(openssl rand -hex 16); t_cm=$(openssl rand -hex 16)
  {
    echo "$t_admin,admin,uid-admin,\"system:masters\""
    echo "$t_cm,system:kube-controller-manager,uid-kcm"
    for u in alice bob carol; do
      echo "$(openssl rand -hex 16),$u,uid-$u,\"kubenv:engineers\""
    done
  } >"$dir/tokens.csv"
  chmod 600 "$dir/tokens.csv"

  local server="https://127.0.0.1:$api_port"
  write_kubeconfig "$dir/admin.kubeconfig" "$server" "$dir/ca.crt" admin "$t_admin"
  write_kubeconfig "$dir/kcm.kubeconfig" "$server" "$dir/ca.crt" system:kube-controller-manager "$t_cm"
  for u in alice bob carol; do
    write_kubeconfig "$dir/$u.kubeconfig" "$server" "$dir/ca.crt" "$u" "$(grep ",$u,uid-$u," "$dir/tokens.csv" | cut -d, -f1)"
  done

  log "starting etcd on 127.0.0.1:$etcd_port"
  etcd --name kubenv --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "kubenv=http://127.0.0.1:$etcd_peer" \
    --unsafe-no-fsync --quota-backend-bytes 4294967296 >"$dir/etcd.log" 2>&1 &
  echo $! >"$dir/etcd.pid"
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$etcd_port/health" >/dev/null 2>&1 && break
    sleep 0.1
  done

  log "starting kube-apiserver on $server"
  "$BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" --insecure-port 0 \
    --tls-cert-file "$dir/apiserver.crt" --tls-private-key-file "$dir/apiserver.key" \
    --client-ca-file "$dir/ca.crt" --token-auth-file "$dir/tokens.csv" \
    --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$dir/sa.pub" --service-account-signing-key-file "$dir/sa.key" \
    --api-audiences https://kubernetes.default.svc \
    --service-cluster-ip-range 10.96.0.0/16 --endpoint-reconciler-type none \
    --enable-admission-plugins NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,DefaultStorageClass \
    --max-requests-inflight 1000 --max-mutating-requests-inflight 500 \
    --audit-log-path "$dir/audit.log" --audit-policy-file <(printf 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n') \
    --profiling=false --logtostderr=true --v=0 >"$dir/apiserver.log" 2>&1 &
  echo $! >"$dir/apiserver.pid"
  local ok=
  for _ in $(seq 300); do
    if kubectl --kubeconfig "$dir/admin.kubeconfig" get --raw /readyz >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$(cat "$dir/apiserver.pid")" 2>/dev/null || break
    sleep 0.2
  done
  [ -n "$ok" ] || false

  log "starting kube-controller-manager"
  "$BIN/kube-controller-manager" \
    --kubeconfig "$dir/admin.kubeconfig" \
    --controllers namespace,deployment,replicaset,statefulset,cronjob,resourcequota,serviceaccount,serviceaccount-token,garbagecollector,clusterrole-aggregation \
    --service-account-private-key-file "$dir/sa.key" --root-ca-file "$dir/ca.crt" \
    --leader-elect=false --port 0 --secure-port 0 \
    --concurrent-namespace-syncs 10 --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10 \
    --logtostderr=true --v=0 >"$dir/kcm.log" 2>&1 &
  echo $! >"$dir/kcm.pid"
  sleep 0.3
  kill -0 "$(cat "$dir/kcm.pid")" 2>/dev/null || false
  # The default ServiceAccount appears once the controller runs; wait so pods can be admitted.
  for _ in $(seq 100); do
    kubectl --kubeconfig "$dir/admin.kubeconfig" -n default get serviceaccount default >/dev/null 2>&1 && break
    sleep 0.1
  done
  trap - ERR
  echo "$server" >"$dir/server"
  mkdir -p "$(dirname "$STATE_LINK")"
  ln -sfn "$dir" "$STATE_LINK"
  log "ready: export KUBECONFIG=$dir/admin.kubeconfig"
  echo "$dir"
}

resolve_dir() {
  local dir=${1:-}
  if [ -z "$dir" ]; then dir=$(readlink -f "$STATE_LINK" 2>/dev/null || true); fi
  [ -n "$dir" ] && [ -d "$dir" ] || die "no control plane state dir (run: $0 up)"
  echo "$dir"
}

case "${1:-}" in
  install) install_packages; build_bins ;;
  up) shift; cmd_up "${1:-}" ;;
  env) shift; d=$(resolve_dir "${1:-}"); echo "export KUBECONFIG=$d/admin.kubeconfig" ;;
  down)
    shift; d=$(resolve_dir "${1:-}")
    stop_dir "$d"
    case "$d" in */kubenv-cp.*) rm -rf "$d" ;; esac
    [ "$(readlink -f "$STATE_LINK" 2>/dev/null)" = "$d" ] && rm -f "$STATE_LINK"
    log "stopped"
    ;;
  *) echo "usage: $0 install | up [DIR] | env [DIR] | down [DIR]" >&2; exit 2 ;;
esac
