#!/usr/bin/env bash
# Baseline for `kubenv delete NAME --yes`: delete the namespace without waiting.
#   baseline-delete.sh NAMESPACE
exec "${KUBECTL:-kubectl}" delete namespace "${1:?NAMESPACE}" --wait=false >/dev/null
