//go:build tools

// Package tools pins kwok, the simulated nodes of kubenv's test cluster.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
