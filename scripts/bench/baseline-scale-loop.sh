#!/usr/bin/env bash
# Baseline for `kubenv sleep`/`kubenv wake`, the way a platform team's script does it: list
# the workloads, then one `kubectl scale` per Deployment/StatefulSet, PARALLEL at a time
# (`xargs -P`). Each kubectl is its own process, so kubectl's client-side rate limit (5
# requests/s, burst 10, per process) does not apply across them.
#   baseline-scale-loop.sh NAMESPACE REPLICAS     (0 to sleep; the known count to wake)
#   env: KUBECTL (default kubectl), PARALLEL (default 10)
set -euo pipefail
ns=${1:?usage: baseline-scale-loop.sh NAMESPACE REPLICAS}
replicas=${2:?usage: baseline-scale-loop.sh NAMESPACE REPLICAS}
kubectl=${KUBECTL:-kubectl}
"$kubectl" get deployments,statefulsets -n "$ns" -o name \
  | xargs -r -P "${PARALLEL:-10}" -I{} "$kubectl" scale -n "$ns" {} --replicas="$replicas" >/dev/null
