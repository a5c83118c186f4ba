//go:build tools

// Package tools pins kine, the etcd API over SQLite that the vcluster image ships as
// /usr/local/bin/kine for vcluster's default backing store (the embedded database).
package tools

import _ "github.com/k3s-io/kine"
