//go:build tools

// Package tools pins the etcd server built for kubenv's test cluster.
package tools

import _ "go.etcd.io/etcd/server/v3"
