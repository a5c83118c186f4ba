#!/usr/bin/env bash
# Baseline for `kubenv sleep`/`kubenv wake`, the way most scripts do it: list the workloads,
# then one `kubectl scale` per Deployment/StatefulSet.
#   baseline-scale-loop.sh NAMESPACE REPLICAS     (0 to sleep; the known count to wake)
set -euo pipefail
ns=${1:?usage: baseline-scale-loop.sh NAMESPACE REPLICAS}
replicas=${2:?usage: baseline-scale-loop.sh NAMESPACE REPLICAS}
kubectl=${KUBECTL:-kubectl}
for w in $("$kubectl" get deployments,statefulsets -n "$ns" -o name); do
  "$kubectl" scale -n "$ns" "$w" --replicas="$replicas" >/dev/null
done
