#!/usr/bin/env bash
# Baseline for `kubenv sleep`/`kubenv wake`, the best a script can do with one command.
# (It cannot restore per-workload counts: everything gets the same REPLICAS.)
#   baseline-scale-all.sh NAMESPACE REPLICAS
exec "${KUBECTL:-kubectl}" scale deployments,statefulsets --all -n "${1:?NAMESPACE}" \
  --replicas="${2:?REPLICAS}" >/dev/null
