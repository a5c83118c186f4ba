#!/usr/bin/env bash
# Baseline for `kubenv sleep`/`kubenv wake`, the best a script can do with one command.
# (It cannot restore per-workload counts: everything gets the same REPLICAS.) One kubectl
# process sends every request, so with 60 workloads what this measures is mostly kubectl's own
# client-side rate limit (5 requests/s after a burst of 10), not the API server.
#   baseline-scale-all.sh NAMESPACE REPLICAS
exec "${KUBECTL:-kubectl}" scale deployments,statefulsets --all -n "${1:?NAMESPACE}" \
  --replicas="${2:?REPLICAS}" >/dev/null
