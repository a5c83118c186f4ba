#!/usr/bin/env bash
# Baseline for `kubenv list -A [-o json]`: every managed namespace, one kubectl call.
#   baseline-list.sh [-o json]
exec "${KUBECTL:-kubectl}" get namespaces -l app.kubernetes.io/managed-by=kubenv "$@"
