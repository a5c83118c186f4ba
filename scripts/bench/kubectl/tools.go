//go:build tools

// Package tools pins the kubectl the benchmark's baseline runs: the same Kubernetes release
// as the test cluster (scripts/controlplane.sh), built from upstream Go modules.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kubectl"
)
