#!/usr/bin/env bash
# A real, local, current Kubernetes for kubenv's tests, demo and benchmarks: etcd,
# kube-apiserver, kube-controller-manager and kube-scheduler v1.36 on free 127.0.0.1 ports,
# plus simulated nodes (kwok) so that pods are scheduled and reach Running, and a kubelet for
# virtual clusters: the pods of a loft-sh/vcluster StatefulSet run the real vcluster syncer as
# local processes (controlplane/vcluster-pods.py), reachable with `kubectl port-forward`.
#
#   scripts/controlplane.sh install    install packages and build/cache the binaries (once)
#   scripts/controlplane.sh up [DIR]   start a cluster; prints its state dir on stdout
#   scripts/controlplane.sh env [DIR]  print `export KUBECONFIG=...` lines for it
#   scripts/controlplane.sh down [DIR] stop it and remove its state dir
#   scripts/controlplane.sh versions   the pinned versions, one per line
#
# Every binary is built from upstream Go modules with the installed `go` (the Go modules
# under scripts/controlplane/ pin them, with their go.sum) and cached under
# ${KUBENV_CACHE:-~/.cache/kubenv}/<name>-<version>/, so every later `up` starts in seconds.
#
# The state dir holds: admin.kubeconfig (cluster-admin), <user>.kubeconfig for the token
# users alice, bob and carol (group kubenv:engineers, no permissions until granted),
# dave.kubeconfig for a client-certificate user (same group), ca.crt, logs.
#
# Environment: KUBENV_CP_ETCD_FSYNC=1 makes etcd sync to disk as in production (the
# benchmark sets it; tests skip the fsync for speed). KUBENV_CP_NODES=N simulated nodes (2).
set -euo pipefail

K8S_VERSION=v1.36.3
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
VCLUSTER_VERSION=v0.30.0
KINE_VERSION=v0.14.4
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${KUBENV_CACHE:-$HOME/.cache/kubenv}
K8S_BIN=$CACHE/kubernetes-$K8S_VERSION
ETCD_BIN=$CACHE/etcd-$ETCD_VERSION
KWOK_BIN=$CACHE/kwok-$KWOK_VERSION
VCLUSTER_BIN=$CACHE/vcluster-$VCLUSTER_VERSION
KINE_BIN=$CACHE/kine-$KINE_VERSION
STATE_LINK=${KUBENV_CP_STATE:-$CACHE/current}

log() { printf 'controlplane: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Go from the usual install places, when PATH does not have it.
for d in /usr/local/go/bin "$HOME/go/bin" "$HOME/.local/go/bin"; do
  [ -x "$d/go" ] && case ":$PATH:" in *":$d:"*) ;; *) PATH=$PATH:$d ;; esac
done
export PATH

have_k8s() { [ -x "$K8S_BIN/kube-apiserver" ] && [ -x "$K8S_BIN/kube-controller-manager" ] && [ -x "$K8S_BIN/kube-scheduler" ]; }
have_etcd() { [ -x "$ETCD_BIN/etcd" ]; }
have_kwok() { [ -x "$KWOK_BIN/kwok" ] && [ -s "$KWOK_BIN/stages.yaml" ] && [ -s "$KWOK_BIN/portforwards-crd.yaml" ]; }
have_vcluster() { [ -x "$VCLUSTER_BIN/vcluster" ] && [ -s "$VCLUSTER_BIN/values.json" ]; }
have_kine() { [ -x "$KINE_BIN/kine" ]; }

install_packages() {
  local need=()
  command -v openssl >/dev/null || need+=(openssl)
  command -v python3 >/dev/null || need+=(python3)
  command -v curl >/dev/null || need+=(curl)
  command -v kubectl >/dev/null || need+=(kubernetes-client)
  command -v ip >/dev/null || need+=(iproute2)
  command -v unshare >/dev/null || need+=(util-linux)
  # kine's SQLite is C: its one build needs a C compiler.
  if ! have_kine && ! command -v cc >/dev/null; then need+=(gcc libc6-dev); fi
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  fi
  if ! have_k8s || ! have_etcd || ! have_kwok || ! have_vcluster || ! have_kine; then
    command -v go >/dev/null || die "go is needed once, to build the test cluster from Go modules: install Go 1.26 (https://go.dev/dl) and re-run"
    local v
    v=$(go env GOVERSION | sed 's/^go//')
    case "$v" in
      1.2[6-9]*|1.[3-9]*) ;;
      *) die "go $v is too old to build Kubernetes $K8S_VERSION (it needs 1.26 or newer)" ;;
    esac
  fi
}

# go build from one of the modules under scripts/controlplane/, static and stripped.
go_build() { # module-dir out-dir ldflags packages...
  local mod=$1 out=$2 ldflags=$3
  shift 3
  mkdir -p "$out.tmp"
  (
    cd "$HERE/controlplane/$mod"
    # Go 1.27's encoding/json/v2 experiment breaks the server's OpenAPI document; keep it off.
    export CGO_ENABLED=${GO_CGO:-0} GOFLAGS=-mod=readonly GOEXPERIMENT=nojsonv2
    go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp/" "$@" >&2
  )
  rm -rf "$out"
  mv "$out.tmp" "$out"
}

build_bins() {
  local t0 t
  if ! have_k8s; then
    log "building kube-apiserver, kube-controller-manager, kube-scheduler $K8S_VERSION from Go modules (about 10 minutes on 2 cores, once)"
    t0=$(date +%s)
    local ld="" minor
    minor=$(echo "$K8S_VERSION" | cut -d. -f2)
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    done
    go_build kubernetes "$K8S_BIN" "$ld" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
    t=$(($(date +%s) - t0))
    log "built Kubernetes $K8S_VERSION in ${t}s"
  fi
  if ! have_etcd; then
    log "building etcd $ETCD_VERSION from Go modules"
    t0=$(date +%s)
    go_build etcd "$ETCD_BIN" "" go.etcd.io/etcd/server/v3
    [ -x "$ETCD_BIN/etcd" ] || mv "$ETCD_BIN/v3" "$ETCD_BIN/etcd" 2>/dev/null || mv "$ETCD_BIN/server" "$ETCD_BIN/etcd"
    log "built etcd in $(($(date +%s) - t0))s"
  fi
  if [ -x "$KWOK_BIN/kwok" ] && [ -s "$KWOK_BIN/stages.yaml" ] && ! have_kwok; then
    # A cache from before port-forwarding: only the CRD is missing.
    (cd "$HERE/controlplane/kwok" && cat "$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/crd/bases/kwok.x-k8s.io_portforwards.yaml") \
      >"$KWOK_BIN/portforwards-crd.yaml.tmp"
    mv "$KWOK_BIN/portforwards-crd.yaml.tmp" "$KWOK_BIN/portforwards-crd.yaml"
  fi
  if ! have_kwok; then
    log "building kwok $KWOK_VERSION from Go modules"
    t0=$(date +%s)
    go_build kwok "$KWOK_BIN" "" sigs.k8s.io/kwok/cmd/kwok
    # kwok's own stages (from its module): nodes become Ready and keep a Lease; pods go
    # Running and Ready, Jobs' pods complete, deleted pods go away.
    local src
    src=$(cd "$HERE/controlplane/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
    for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
      pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
      echo "---"
      cat "$src/kustomize/stage/$f.yaml"
    done >"$KWOK_BIN/stages.yaml.tmp"
    mv "$KWOK_BIN/stages.yaml.tmp" "$KWOK_BIN/stages.yaml"
    # kwok's PortForward resource: where kwok, as the nodes' kubelet, forwards a pod's port.
    cp "$src/kustomize/crd/bases/kwok.x-k8s.io_portforwards.yaml" "$KWOK_BIN/portforwards-crd.yaml"
    log "built kwok in $(($(date +%s) - t0))s"
  fi
  if ! have_vcluster; then
    # The syncer of loft-sh/vcluster (the image's /vcluster, run as `vcluster start`); the
    # pod runner runs it for the pods of virtual clusters scheduled to the simulated nodes.
    log "building the vcluster syncer $VCLUSTER_VERSION from Go modules (several minutes, once)"
    t0=$(date +%s)
    go_build vcluster "$VCLUSTER_BIN" "" github.com/loft-sh/vcluster/cmd/vcluster kubenv.dev/testcluster/vcluster/values
    # The chart's default values (what `helm install` merges a vcluster's values into).
    "$VCLUSTER_BIN/values" >"$VCLUSTER_BIN/values.json"
    rm -f "$VCLUSTER_BIN/values"
    log "built vcluster in $(($(date +%s) - t0))s"
  fi
  if ! have_kine; then
    # kine, as in the vcluster image (rancher/kine): the etcd API over SQLite, which the syncer
    # runs for its default backing store. SQLite is C: this one build needs cgo and a C compiler.
    command -v cc >/dev/null || die "a C compiler (cc) is needed once, to build kine's SQLite"
    log "building kine $KINE_VERSION from Go modules (cgo, for SQLite)"
    t0=$(date +%s)
    GO_CGO=1 CGO_CFLAGS="-DSQLITE_ENABLE_DBSTAT_VTAB=1 -DSQLITE_USE_ALLOCA=1" go_build kine "$KINE_BIN" "" github.com/k3s-io/kine
    log "built kine in $(($(date +%s) - t0))s"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

write_kubeconfig() { # file server ca user (token TOKEN | cert CRT KEY)
  local file=$1 server=$2 ca=$3 user=$4 kind=$5 cred
  if [ "$kind" = token ]; then
    cred="    token: $6"
  else
    cred="    client-certificate: $6
    client-key: $7"
  fi
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubenv-local
  cluster:
    server: $server
    certificate-authority: $ca
users:
- name: $user
  user:
$cred
contexts:
- name: $user@kubenv-local
  context:
    cluster: kubenv-local
    user: $user
current-context: $user@kubenv-local
EOF
  chmod 600 "$file"
}

# A client certificate signed by the cluster CA: CN is the user, O the group.
client_cert() { # dir name group
  local dir=$1 name=$2 grp=$3
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/O=$grp/CN=$name" \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$dir/client.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 3650 -extfile "$dir/client.ext" -out "$dir/$name.crt" 2>/dev/null
  chmod 600 "$dir/$name.key"
}

PROCS="kwok scheduler kcm apiserver etcd"

stop_dir() {
  local dir=$1
  [ -d "$dir" ] || return 0
  # First the vcluster pod runner, while the API is still up: it stops the syncers (and their
  # kube-apiservers) it runs; any process group it leaves behind is killed here.
  if [ -f "$dir/vcpods.pid" ]; then
    local rp; rp=$(cat "$dir/vcpods.pid")
    kill "$rp" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$rp" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$rp" 2>/dev/null || true
    local g
    for g in "$dir"/vclusters/*/*/runs/*/pgid; do
      [ -f "$g" ] && kill -9 -- "-$(cat "$g")" 2>/dev/null || true
    done
  fi
  for p in $PROCS; do
    if [ -f "$dir/$p.pid" ]; then
      kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
    fi
  done
  for p in $PROCS; do
    if [ -f "$dir/$p.pid" ]; then
      local pid; pid=$(cat "$dir/$p.pid")
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
}

wait_for() { # what tries command...
  local what=$1 tries=$2
  shift 2
  for _ in $(seq "$tries"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "$what did not become ready"
  return 1
}

cmd_up() {
  install_packages
  build_bins
  local dir=${1:-}
  if [ -z "$dir" ]; then dir=$(mktemp -d "${TMPDIR:-/tmp}/kubenv-cp.XXXXXX"); fi
  mkdir -p "$dir"
  chmod 700 "$dir"
  trap 'log "start failed; logs in $dir"; tail -n 20 "$dir"/*.log >&2 || true; stop_dir "$dir"; exit 1' ERR
  local t0; t0=$(date +%s.%N)

  local etcd_port etcd_peer api_port kcm_port sched_port kwok_port
  etcd_port=$(free_port); etcd_peer=$(free_port); api_port=$(free_port)
  kcm_port=$(free_port); sched_port=$(free_port); kwok_port=$(free_port)

  # TLS: a self-signed CA and a serving cert for 127.0.0.1/localhost. P-256 keys: generated
  # in milliseconds where RSA takes most of a second for all of them.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -subj "/CN=kubenv-local-ca" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$dir/apiserver.key" -out "$dir/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/apiserver.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 3650 -extfile "$dir/san.ext" -out "$dir/apiserver.crt" 2>/dev/null
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/sa.key" 2>/dev/null
  openssl ec -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
  client_cert "$dir" dave kubenv:engineers

  # Static tokens: one cluster-admin, the control-plane components, three users with no
  # permissions of their own.
  local t_admin t_cm t_sched t_kwok
  t_admin=$(openssl rand -hex 16); t_cm=$(openssl rand -hex 16)
  t_sched=$(openssl rand -hex 16); t_kwok=$(openssl rand -hex 16)
  {
    echo "$t_admin,admin,uid-admin,\"system:masters\""
    echo "$t_cm,system:kube-controller-manager,uid-kcm"
    echo "$t_sched,system:kube-scheduler,uid-scheduler"
    echo "$t_kwok,kwok,uid-kwok,\"system:masters\""
    for u in alice bob carol; do
      echo "$(openssl rand -hex 16),$u,uid-$u,\"kubenv:engineers\""
    done
  } >"$dir/tokens.csv"
  chmod 600 "$dir/tokens.csv"

  local server="https://127.0.0.1:$api_port"
  write_kubeconfig "$dir/admin.kubeconfig" "$server" "$dir/ca.crt" admin token "$t_admin"
  write_kubeconfig "$dir/kcm.kubeconfig" "$server" "$dir/ca.crt" system:kube-controller-manager token "$t_cm"
  write_kubeconfig "$dir/scheduler.kubeconfig" "$server" "$dir/ca.crt" system:kube-scheduler token "$t_sched"
  write_kubeconfig "$dir/kwok.kubeconfig" "$server" "$dir/ca.crt" kwok token "$t_kwok"
  for u in alice bob carol; do
    write_kubeconfig "$dir/$u.kubeconfig" "$server" "$dir/ca.crt" "$u" token "$(grep ",$u,uid-$u," "$dir/tokens.csv" | cut -d, -f1)"
  done
  write_kubeconfig "$dir/dave.kubeconfig" "$server" "$dir/ca.crt" dave cert "$dir/dave.crt" "$dir/dave.key"

  local fsync=(--unsafe-no-fsync)
  [ "${KUBENV_CP_ETCD_FSYNC:-}" = 1 ] && fsync=()
  log "starting etcd $ETCD_VERSION on 127.0.0.1:$etcd_port"
  "$ETCD_BIN/etcd" --name kubenv --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "kubenv=http://127.0.0.1:$etcd_peer" \
    "${fsync[@]}" --quota-backend-bytes 4294967296 --log-level warn >"$dir/etcd.log" 2>&1 &
  echo $! >"$dir/etcd.pid"
  wait_for etcd 100 curl -fsS "http://127.0.0.1:$etcd_port/health"

  log "starting kube-apiserver $K8S_VERSION on $server"
  printf 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n' >"$dir/audit-policy.yaml"
  # The API server's default in-flight limits and admission plugins (Pod Security and
  # ValidatingAdmissionPolicy among them) are kept, as a production cluster has them.
  "$K8S_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --tls-cert-file "$dir/apiserver.crt" --tls-private-key-file "$dir/apiserver.key" \
    --client-ca-file "$dir/ca.crt" --token-auth-file "$dir/tokens.csv" \
    --authorization-mode Node,RBAC --allow-privileged=true \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$dir/sa.pub" --service-account-signing-key-file "$dir/sa.key" \
    --api-audiences https://kubernetes.default.svc \
    --service-cluster-ip-range 10.96.0.0/16 --endpoint-reconciler-type none \
    --kubelet-preferred-address-types InternalIP \
    --audit-log-path "$dir/audit.log" --audit-policy-file "$dir/audit-policy.yaml" \
    --profiling=false --v=0 >"$dir/apiserver.log" 2>&1 &
  echo $! >"$dir/apiserver.pid"
  local ok=
  for _ in $(seq 600); do
    if curl -fsS --cacert "$dir/ca.crt" -H "Authorization: Bearer $t_admin" "$server/readyz" >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$(cat "$dir/apiserver.pid")" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$ok" ] || false
  log "API ready in $(python3 -c "import time; print(f'{time.time()-$t0:.1f}')")s"

  local k=(kubectl --kubeconfig "$dir/admin.kubeconfig")
  log "starting kube-controller-manager, kube-scheduler, kwok and the vcluster pod runner"
  "$K8S_BIN/kube-controller-manager" \
    --kubeconfig "$dir/kcm.kubeconfig" --use-service-account-credentials=true \
    --service-account-private-key-file "$dir/sa.key" --root-ca-file "$dir/ca.crt" \
    --cluster-signing-cert-file "$dir/ca.crt" --cluster-signing-key-file "$dir/ca.key" \
    --leader-elect=false --bind-address 127.0.0.1 --secure-port "$kcm_port" \
    --concurrent-namespace-syncs 10 --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10 \
    --profiling=false --v=0 >"$dir/kcm.log" 2>&1 &
  echo $! >"$dir/kcm.pid"
  "$K8S_BIN/kube-scheduler" \
    --kubeconfig "$dir/scheduler.kubeconfig" --authentication-kubeconfig "$dir/scheduler.kubeconfig" \
    --authorization-kubeconfig "$dir/scheduler.kubeconfig" \
    --leader-elect=false --bind-address 127.0.0.1 --secure-port "$sched_port" \
    --profiling=false --v=0 >"$dir/scheduler.log" 2>&1 &
  echo $! >"$dir/scheduler.pid"
  # kwok plays the kubelet of the nodes annotated kwok.x-k8s.io/node=fake: it keeps them
  # Ready (Lease heartbeats) and moves the pods bound to them to Running, and away on delete.
  # It also serves the kubelet API on 127.0.0.1:$kwok_port (the nodes' InternalIP and kubelet
  # port), so that pods/portforward works for the pods that a kwok PortForward object names.
  "${k[@]}" apply -f "$KWOK_BIN/portforwards-crd.yaml" >/dev/null
  "$KWOK_BIN/kwok" \
    --kubeconfig "$dir/kwok.kubeconfig" --config "$KWOK_BIN/stages.yaml" --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds 40 --cidr 10.244.0.0/16 --node-ip 127.0.0.1 \
    --node-port "$kwok_port" --enable-crds PortForward \
    --server-address "127.0.0.1:$kwok_port" >"$dir/kwok.log" 2>&1 &
  echo $! >"$dir/kwok.pid"
  # The kubelet of the virtual clusters' pods: runs the vcluster syncer for each (see the script).
  python3 "$HERE/controlplane/vcluster-pods.py" "$dir" "$K8S_BIN" "$ETCD_BIN" "$VCLUSTER_BIN" "$KINE_BIN" >"$dir/vcpods.log" 2>&1 &
  echo $! >"$dir/vcpods.pid"

  local n
  for n in $(seq "${KUBENV_CP_NODES:-2}"); do
    "${k[@]}" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$n
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/hostname: kwok-node-$n
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
    type: kwok
status:
  allocatable: {cpu: "64", memory: 256Gi, ephemeral-storage: 1Ti, pods: "500"}
  capacity: {cpu: "64", memory: 256Gi, ephemeral-storage: 1Ti, pods: "500"}
  nodeInfo:
    kubeletVersion: kwok-$KWOK_VERSION
    operatingSystem: linux
    architecture: amd64
EOF
  done
  for p in kcm scheduler kwok vcpods; do kill -0 "$(cat "$dir/$p.pid")" 2>/dev/null || false; done
  # Pods are admitted once the default ServiceAccount exists, and scheduled once a node is Ready.
  wait_for "the default ServiceAccount" 300 "${k[@]}" -n default get serviceaccount default
  wait_for "a Ready node" 300 "${k[@]}" wait --for=condition=Ready node/kwok-node-1 --timeout=1s
  trap - ERR
  echo "$server" >"$dir/server"
  mkdir -p "$(dirname "$STATE_LINK")"
  ln -sfn "$dir" "$STATE_LINK"
  log "cluster ready (nodes Ready, default ServiceAccount) in $(python3 -c "import time; print(f'{time.time()-$t0:.1f}')")s: export KUBECONFIG=$dir/admin.kubeconfig"
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
  versions) printf 'kubernetes %s\netcd %s\nkwok %s\nvcluster %s\nkine %s\n' "$K8S_VERSION" "$ETCD_VERSION" "$KWOK_VERSION" "$VCLUSTER_VERSION" "$KINE_VERSION" ;;
  down)
    shift; d=$(resolve_dir "${1:-}")
    stop_dir "$d"
    case "$d" in */kubenv-cp.*) rm -rf "$d" ;; esac
    [ "$(readlink -f "$STATE_LINK" 2>/dev/null)" = "$d" ] && rm -f "$STATE_LINK"
    log "stopped"
    ;;
  *) echo "usage: $0 install | up [DIR] | env [DIR] | down [DIR] | versions" >&2; exit 2 ;;
esac
