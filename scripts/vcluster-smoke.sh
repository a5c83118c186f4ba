#!/usr/bin/env bash
# Smoke test of a virtual cluster (loft-sh/vcluster) on the test cluster, end to end:
#
#   scripts/vcluster-smoke.sh [STATE_DIR]      (default: the current `controlplane.sh up` cluster)
#
# It applies by hand what the vcluster Helm chart of the pinned version renders for a minimal
# config (ServiceAccounts, Role/RoleBinding, Secret vc-config-NAME, Services, StatefulSet), then:
# waits for the syncer (run by the test cluster's pod runner) to write Secret vc-NAME; reaches
# the virtual API through `kubectl port-forward pod/NAME-0 PORT:8443` with the kubeconfig from
# that Secret; creates a CRD, a custom resource and a Deployment inside and waits for the synced
# pods in the host namespace; pauses as `vcluster pause` does (StatefulSet to 0 with the
# loft.sh/paused annotations, the synced pods deleted) and checks that the syncer and its
# kube-apiserver are gone; resumes and checks the objects are back; deletes it all.
#
# Env: VC_NS (vc-smoke), VC_NAME (smoke), VC_PORT (18443), VC_KEEP=1 keeps it at the end,
# VC_STORE: embedded (the chart's default backing store: kine on SQLite in the pod's volume) or
# etcd (an external etcd, which the pod runner provides at 127.0.0.1:2379 in the pod).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${KUBENV_CACHE:-$HOME/.cache/kubenv}
DIR=${1:-$(readlink -f "${KUBENV_CP_STATE:-$CACHE/current}")}
[ -f "$DIR/admin.kubeconfig" ] || { echo "no test cluster state dir: $DIR" >&2; exit 2; }
NS=${VC_NS:-vc-smoke}
NAME=${VC_NAME:-smoke}
PORT=${VC_PORT:-18443}
VERSION=$(bash "$HERE/controlplane.sh" versions | awk '$1 == "vcluster" {print $2}')
VALUES=$CACHE/vcluster-$VERSION/values.json
[ -s "$VALUES" ] || { echo "missing $VALUES: run scripts/controlplane.sh install" >&2; exit 2; }
CHART_VERSION=${VERSION#v}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vcluster-smoke.XXXXXX")
k=(kubectl --kubeconfig "$DIR/admin.kubeconfig")
v=(kubectl --kubeconfig "$WORK/vcluster.kubeconfig")
PF_PID=

now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}s')" "$1" "$(now)"; }
say() { printf 'vcluster-smoke: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; say "runner log: $DIR/vcpods.log; work dir: $WORK"; tail -n 30 "$DIR/vcpods.log" >&2 || true; exit 1; }
cleanup() {
  [ -n "$PF_PID" ] && kill "$PF_PID" 2>/dev/null || true
  if [ "${VC_KEEP:-}" != 1 ]; then "${k[@]}" delete namespace "$NS" --wait=false >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

until_ok() { # seconds what command...
  local secs=$1 what=$2
  shift 2
  local end=$(($(date +%s) + secs))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || fail "$what (not within ${secs}s)"
    sleep 0.2
  done
}

# --- the vcluster's config: the chart's values with ours merged in, as `helm install` does ---
# Ours: the backing store (VC_STORE); a volume claim for /data even with an external etcd, so
# the chart renders a StatefulSet (with external etcd and no claim it renders a Deployment); the
# OSS image; no volume-snapshot rules (they need a ClusterRole); no telemetry.
STORE=${VC_STORE:-embedded}
case "$STORE" in
  embedded) BACKING='{}' ;;
  etcd) BACKING='{"etcd": {"external": {"enabled": true, "endpoint": "127.0.0.1:2379",
      "tls": {"caFile": "/etcd-tls/ca.crt", "certFile": "/etcd-tls/client.crt", "keyFile": "/etcd-tls/client.key"}}}}' ;;
  *) echo "VC_STORE: embedded or etcd" >&2; exit 2 ;;
esac
cat >"$WORK/values.json" <<EOF
{
  "controlPlane": {
    "backingStore": $BACKING,
    "statefulSet": {
      "image": {"registry": "ghcr.io", "repository": "loft-sh/vcluster-oss", "tag": "$CHART_VERSION"},
      "persistence": {"volumeClaim": {"enabled": true}}
    }
  },
  "rbac": {"enableVolumeSnapshotRules": {"enabled": false}},
  "telemetry": {"enabled": false}
}
EOF
python3 - "$VALUES" "$WORK/values.json" >"$WORK/config.yaml" <<'EOF'
import json, sys
def merge(base, over):
    for key, val in over.items():
        if isinstance(val, dict) and isinstance(base.get(key), dict):
            merge(base[key], val)
        else:
            base[key] = val
    return base
print(json.dumps(merge(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))), indent=1))
EOF
HASH=$(sha256sum "$WORK/config.yaml" | cut -d' ' -f1)

# --- the objects the chart renders for that config (templates/*.yaml of the pinned version) ---
LABELS="app: vcluster
    chart: vcluster-$CHART_VERSION
    release: $NAME
    heritage: Helm"
cat >"$WORK/vcluster.yaml" <<EOF
apiVersion: v1
kind: ServiceAccount
metadata:
  name: vc-$NAME
  namespace: $NS
  labels:
    $LABELS
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: vc-workload-$NAME
  namespace: $NS
  labels:
    $LABELS
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: vc-$NAME
  namespace: $NS
  labels:
    $LABELS
rules:
- apiGroups: [""]
  resources: ["configmaps", "secrets", "services", "pods", "pods/attach", "pods/portforward", "pods/exec", "persistentvolumeclaims"]
  verbs: ["create", "delete", "patch", "update", "get", "list", "watch"]
- apiGroups: [""]
  resources: ["pods/status", "pods/ephemeralcontainers"]
  verbs: ["patch", "update"]
- apiGroups: ["apps"]
  resources: ["statefulsets", "replicasets", "deployments"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["endpoints", "pods/log"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "get", "list", "watch"]
- apiGroups: [""]
  resources: ["endpoints"]
  verbs: ["create", "delete", "patch", "update"]
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: ["create", "list", "get", "delete", "patch", "update", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: vc-$NAME
  namespace: $NS
  labels:
    $LABELS
subjects:
- kind: ServiceAccount
  name: vc-$NAME
  namespace: $NS
roleRef:
  kind: Role
  name: vc-$NAME
  apiGroup: rbac.authorization.k8s.io
---
apiVersion: v1
kind: Service
metadata:
  name: $NAME
  namespace: $NS
  labels:
    $LABELS
    vcluster.loft.sh/service: "true"
spec:
  type: ClusterIP
  ports:
  - {name: https, port: 443, targetPort: 8443, nodePort: 0, protocol: TCP}
  - {name: kubelet, port: 10250, targetPort: 8443, nodePort: 0, protocol: TCP}
  selector:
    app: vcluster
    release: $NAME
---
apiVersion: v1
kind: Service
metadata:
  name: $NAME-headless
  namespace: $NS
  labels:
    $LABELS
spec:
  publishNotReadyAddresses: true
  ports:
  - {name: https, port: 443, targetPort: 8443, protocol: TCP}
  clusterIP: None
  selector:
    app: vcluster
    release: "$NAME"
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: $NAME
  namespace: $NS
  labels:
    $LABELS
spec:
  selector:
    matchLabels:
      app: vcluster
      release: "$NAME"
  persistentVolumeClaimRetentionPolicy:
    whenDeleted: Retain
  serviceName: $NAME-headless
  podManagementPolicy: Parallel
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 5Gi
  replicas: 1
  template:
    metadata:
      annotations:
        vClusterConfigHash: "$HASH"
      labels:
        app: vcluster
        release: $NAME
    spec:
      terminationGracePeriodSeconds: 10
      serviceAccountName: vc-$NAME
      volumes:
      - {name: helm-cache, emptyDir: {}}
      - {name: binaries, emptyDir: {}}
      - {name: tmp, emptyDir: {}}
      - {name: certs, emptyDir: {}}
      - {name: vcluster-config, secret: {secretName: vc-config-$NAME}}
      initContainers:
      - name: kubernetes
        image: ghcr.io/loft-sh/kubernetes:v1.34.0
        command: [cp]
        args: [-r, /kubernetes/., /binaries/]
        volumeMounts:
        - {mountPath: /binaries, name: binaries}
        securityContext: {}
        resources:
          limits: {cpu: 100m, memory: 256Mi}
          requests: {cpu: 40m, memory: 64Mi}
      enableServiceLinks: true
      containers:
      - name: syncer
        image: ghcr.io/loft-sh/vcluster-oss:$CHART_VERSION
        livenessProbe:
          httpGet: {path: /healthz, port: 8443, scheme: HTTPS}
          initialDelaySeconds: 60
          periodSeconds: 2
          timeoutSeconds: 3
          failureThreshold: 60
        readinessProbe:
          httpGet: {path: /readyz, port: 8443, scheme: HTTPS}
          periodSeconds: 2
          timeoutSeconds: 3
          failureThreshold: 60
        startupProbe:
          httpGet: {path: /readyz, port: 8443, scheme: HTTPS}
          periodSeconds: 6
          timeoutSeconds: 3
          failureThreshold: 300
        securityContext: {allowPrivilegeEscalation: false, runAsUser: 0, runAsGroup: 0}
        resources:
          limits: {ephemeral-storage: 10Gi, memory: 4Gi}
          requests: {ephemeral-storage: 1Gi, cpu: 200m, memory: 256Mi}
        env:
        - {name: VCLUSTER_NAME, value: "$NAME"}
        - {name: LOFT_LOG_ENCODING, value: console}
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
        - {name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
        - {name: NODE_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
        volumeMounts:
        - {name: data, mountPath: /data}
        - {name: binaries, mountPath: /binaries}
        - {name: certs, mountPath: /pki}
        - {name: helm-cache, mountPath: /.cache/helm}
        - {name: vcluster-config, mountPath: /var/lib/vcluster}
        - {name: tmp, mountPath: /tmp}
EOF

pf_start() {
  [ -n "$PF_PID" ] && kill "$PF_PID" 2>/dev/null || true
  "${k[@]}" -n "$NS" port-forward "pod/$NAME-0" "$PORT:8443" >"$WORK/port-forward.log" 2>&1 &
  PF_PID=$!
}
# The virtual API answers through the port-forward (restarted when it has exited).
vapi() {
  kill -0 "$PF_PID" 2>/dev/null || pf_start
  "${v[@]}" get --raw /readyz
}
virtual_kubeconfig() {
  "${k[@]}" -n "$NS" get secret "vc-$NAME" -o jsonpath='{.data.config}' | base64 -d |
    sed -E "s#server: .*#server: https://127.0.0.1:$PORT#" >"$WORK/vcluster.kubeconfig"
}
syncer_procs() { # processes of this vcluster's pod: the syncer, its kube-apiserver, controller-manager, etcd
  local n=0 p
  for p in /proc/[0-9]*; do
    if tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qx "VCLUSTER_NAME=$NAME" &&
      tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qx "NAMESPACE=$NS"; then n=$((n + 1)); fi
  done
  echo "$n"
}
no_syncer() { [ "$(syncer_procs)" = 0 ]; }
host_pods_running() { # N: pods synced from the virtual cluster, Running in the host namespace
  [ "$("${k[@]}" -n "$NS" get pods -l "vcluster.loft.sh/managed-by=$NAME" \
    --field-selector=status.phase=Running -o name | wc -l)" -ge "$1" ]
}

say "vcluster $VERSION ($STORE backing store): namespace $NS, name $NAME, objects in $WORK/vcluster.yaml"
T0=$(now)
"${k[@]}" create namespace "$NS" >/dev/null
"${k[@]}" -n "$NS" create secret generic "vc-config-$NAME" --from-file=config.yaml="$WORK/config.yaml" \
  --dry-run=client -o json | python3 -c '
import json, sys
s = json.load(sys.stdin)
s["metadata"]["labels"] = {"app": "vcluster", "chart": "vcluster-'"$CHART_VERSION"'", "release": "'"$NAME"'", "heritage": "Helm"}
print(json.dumps(s))' | "${k[@]}" apply -f - >/dev/null
"${k[@]}" apply -f "$WORK/vcluster.yaml" >/dev/null
say "applied in $(since "$T0")"

until_ok 120 "pod $NAME-0 Running" sh -c "[ \"\$(${k[*]} -n $NS get pod $NAME-0 -o jsonpath='{.status.phase}')\" = Running ]"
say "pod $NAME-0 Running after $(since "$T0")"
until_ok 300 "Secret vc-$NAME (written by the syncer)" "${k[@]}" -n "$NS" get secret "vc-$NAME"
say "Secret vc-$NAME after $(since "$T0"): keys $("${k[@]}" -n "$NS" get secret "vc-$NAME" -o go-template='{{range $k, $v := .data}}{{$k}} {{end}}')"
virtual_kubeconfig
pf_start
until_ok 300 "the virtual API through kubectl port-forward pod/$NAME-0 $PORT:8443" vapi
T_READY=$(since "$T0")
say "virtual API answering after $T_READY (create -> kubectl get through the port-forward)"
"${v[@]}" get namespaces >&2

# --- inside: a CRD, a custom resource, a Deployment ---
T1=$(now)
"${v[@]}" apply -f - >/dev/null <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.smoke.kubenv.dev
spec:
  group: smoke.kubenv.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
EOF
until_ok 60 "CRD established" "${v[@]}" wait --for=condition=Established crd/widgets.smoke.kubenv.dev --timeout=1s
"${v[@]}" create namespace app >/dev/null
"${v[@]}" apply -f - >/dev/null <<'EOF'
apiVersion: smoke.kubenv.dev/v1
kind: Widget
metadata: {name: w1, namespace: app}
spec: {size: 3}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: app}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx:1.27}
EOF
until_ok 120 "2 synced pods Running in host namespace $NS" host_pods_running 2
say "Deployment web (2 replicas) -> synced pods Running in the host namespace after $(since "$T1"):"
"${k[@]}" -n "$NS" get pods -o wide >&2
"${v[@]}" get pods -A >&2

# --- pause, as `vcluster pause` does ---
T2=$(now)
"${k[@]}" -n "$NS" annotate statefulset "$NAME" loft.sh/paused=true loft.sh/paused-replicas=1 \
  "loft.sh/paused-date=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" --overwrite >/dev/null
"${k[@]}" -n "$NS" scale statefulset "$NAME" --replicas=0 >/dev/null
"${k[@]}" -n "$NS" delete pods -l "vcluster.loft.sh/managed-by=$NAME" --wait=false >/dev/null
until_ok 60 "pod $NAME-0 gone" sh -c "! ${k[*]} -n $NS get pod $NAME-0"
until_ok 60 "the syncer and its children stopped" no_syncer
say "paused: pod gone, syncer and its kube-apiserver/controller-manager/etcd stopped after $(since "$T2")"
"${k[@]}" -n "$NS" get pods >&2 2>&1 || true

# --- resume ---
T3=$(now)
"${k[@]}" -n "$NS" annotate statefulset "$NAME" loft.sh/paused- loft.sh/paused-replicas- loft.sh/paused-date- >/dev/null
"${k[@]}" -n "$NS" scale statefulset "$NAME" --replicas=1 >/dev/null
until_ok 120 "pod $NAME-0 Running again" sh -c "[ \"\$(${k[*]} -n $NS get pod $NAME-0 -o jsonpath='{.status.phase}')\" = Running ]"
virtual_kubeconfig
pf_start
until_ok 300 "the virtual API after resume" vapi
say "resumed: virtual API answering after $(since "$T3")"
"${v[@]}" -n app get widget w1 >/dev/null || fail "Widget w1 lost across pause"
"${v[@]}" -n app get deployment web >/dev/null || fail "Deployment web lost across pause"
until_ok 120 "synced pods back" host_pods_running 2
say "after resume: CRD, Widget w1 and Deployment web there; synced pods Running again after $(since "$T3")"
"${v[@]}" get widgets,deployments,pods -n app >&2

if [ "${VC_KEEP:-}" = 1 ]; then
  say "kept: KUBECONFIG=$WORK/vcluster.kubeconfig (port-forward pid $PF_PID on 127.0.0.1:$PORT)"
  trap - EXIT
  exit 0
fi

# --- delete ---
T4=$(now)
kill "$PF_PID" 2>/dev/null || true
PF_PID=
"${k[@]}" delete namespace "$NS" --wait=false >/dev/null
until_ok 120 "the syncer stopped after delete" no_syncer
say "deleted: syncer stopped after $(since "$T4")"
until_ok 180 "namespace $NS gone" sh -c "! ${k[*]} get namespace $NS"
say "namespace $NS gone after $(since "$T4")"
say "OK (virtual API ready $T_READY after create)"
