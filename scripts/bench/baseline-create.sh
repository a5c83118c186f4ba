#!/usr/bin/env bash
# Baseline for `kubenv create NAME --no-switch`: what a platform team writes without kubenv,
# run by the same engineer with the same rights (ClusterRole kubenv:engineer, no admin).
# The same objects kubenv makes with its built-in `standard` template (namespace labels and
# annotations, ResourceQuota kubenv-quota, LimitRange kubenv-limits, NetworkPolicy
# kubenv-isolate-ingress, ServiceAccount tenant, RoleBinding kubenv-tenant -> ClusterRole
# kubenv:tenant, and the owner's RoleBindings kubenv-owner -> kubenv:tenant and kubenv-owner-token ->
# kubenv:token-minter), applied with ONE `kubectl apply` of a multi-document YAML; then a
# short-lived token for the tenant ServiceAccount and a kubeconfig context that uses it.
# The engineer role grants no `serviceaccounts/token` of its own: like kubenv, the script gets
# it in this namespace only, from the owner's kubenv-owner-token RoleBinding it applies.
#
#   baseline-create.sh NAME
#   env: KUBECTL (default kubectl), OWNER (the caller's user name, as `kubectl auth whoami`
#        shows it; default $USER), CLUSTER (kubeconfig cluster entry for the context; default:
#        the current context's), TTL_DAYS (default 7), TENANT_ROLE (default kubenv:tenant)
set -euo pipefail
name=${1:?usage: baseline-create.sh NAME}
ns=env-$name
kubectl=${KUBECTL:-kubectl}
owner=${OWNER:-${USER:-unknown}}
owner_label=$(printf '%s' "$owner" | tr -c 'A-Za-z0-9._-' '_')
cluster=${CLUSTER:-$("$kubectl" config view --minify -o jsonpath='{.clusters[0].name}')}
expires=$(date -u -d "+${TTL_DAYS:-7} days" +%Y-%m-%dT%H:%M:%SZ)
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
tenant_role=${TENANT_ROLE:-kubenv:tenant}

"$kubectl" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: $ns
  labels:
    app.kubernetes.io/managed-by: kubenv
    kubenv.dev/environment: $name
    kubenv.dev/owner: "$owner_label"
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/audit: restricted
  annotations:
    kubenv.dev/owner: "$owner"
    kubenv.dev/template: standard
    kubenv.dev/expires-at: "$expires"
    kubenv.dev/last-activity: "$now"
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: kubenv-quota
  namespace: $ns
  labels: {app.kubernetes.io/managed-by: kubenv, kubenv.dev/environment: $name}
spec:
  hard:
    requests.cpu: "4"
    requests.memory: 8Gi
    limits.cpu: "8"
    limits.memory: 16Gi
    pods: "50"
    services: "20"
    persistentvolumeclaims: "10"
    services.loadbalancers: "0"
    services.nodeports: "0"
---
apiVersion: v1
kind: LimitRange
metadata:
  name: kubenv-limits
  namespace: $ns
  labels: {app.kubernetes.io/managed-by: kubenv, kubenv.dev/environment: $name}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 512Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: kubenv-isolate-ingress
  namespace: $ns
  labels: {app.kubernetes.io/managed-by: kubenv, kubenv.dev/environment: $name}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: tenant
  namespace: $ns
  labels: {app.kubernetes.io/managed-by: kubenv, kubenv.dev/environment: $name}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: kubenv-tenant
  namespace: $ns
  labels: {app.kubernetes.io/managed-by: kubenv, kubenv.dev/environment: $name}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: $tenant_role}
subjects:
- {kind: ServiceAccount, name: tenant, namespace: $ns}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: kubenv-owner
  namespace: $ns
  labels: {app.kubernetes.io/managed-by: kubenv, kubenv.dev/environment: $name}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: $tenant_role}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: "$owner"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: kubenv-owner-token
  namespace: $ns
  labels: {app.kubernetes.io/managed-by: kubenv, kubenv.dev/environment: $name}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubenv:token-minter}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: "$owner"}
YAML

# The RoleBinding just made may take a moment to reach the API server's authorizer: retry a
# refused TokenRequest briefly, as a script that met it once would.
for try in 1 2 3 4 5; do
  if token=$("$kubectl" create token tenant -n "$ns" --duration=1h 2>/dev/null); then break; fi
  [ "$try" = 5 ] && { "$kubectl" create token tenant -n "$ns" --duration=1h >/dev/null; exit 1; }
  sleep 0.1
done
"$kubectl" config set-credentials "$ns" --token="$token" >/dev/null
"$kubectl" config set-context "$ns" --cluster="$cluster" --user="$ns" --namespace="$ns" >/dev/null
