#!/usr/bin/env bash
# Baseline for `kubenv create NAME --no-switch`: what a platform team writes without kubenv.
# The same guardrail objects kubenv makes with its built-in `standard` template (namespace
# labels and annotations, ResourceQuota kubenv-quota, LimitRange kubenv-limits, NetworkPolicy
# kubenv-isolate-ingress, ServiceAccount tenant, RoleBinding kubenv-tenant -> ClusterRole
# admin), applied with ONE `kubectl apply` of a multi-document YAML; then a short-lived token
# for the tenant ServiceAccount and a kubeconfig context that uses it.
#
#   baseline-create.sh NAME
#   env: KUBECTL (default kubectl), OWNER (default $USER), CLUSTER (kubeconfig cluster entry
#        for the context; default: the current context's), TTL_DAYS (default 7)
set -euo pipefail
name=${1:?usage: baseline-create.sh NAME}
ns=env-$name
kubectl=${KUBECTL:-kubectl}
owner=${OWNER:-${USER:-unknown}}
owner_label=$(printf '%s' "$owner" | tr -c 'A-Za-z0-9._-' '_')
cluster=${CLUSTER:-$("$kubectl" config view --minify -o jsonpath='{.clusters[0].name}')}
expires=$(date -u -d "+${TTL_DAYS:-7} days" +%Y-%m-%dT%H:%M:%SZ)

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
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects:
- {kind: ServiceAccount, name: tenant, namespace: $ns}
YAML

token=$("$kubectl" create token tenant -n "$ns" --duration=1h)
"$kubectl" config set-credentials "$ns" --token="$token" >/dev/null
"$kubectl" config set-context "$ns" --cluster="$cluster" --user="$ns" --namespace="$ns" >/dev/null
