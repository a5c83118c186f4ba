//go:build tools

// Package tools pins the vcluster syncer built for kubenv's test cluster.
package tools

import _ "github.com/loft-sh/vcluster/cmd/vcluster"
