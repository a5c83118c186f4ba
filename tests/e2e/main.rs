//! Integration tests: the built kubenv binary against a real Kubernetes control plane,
//! checked with kubectl. Run them with scripts/test.sh.

mod ci;
mod common;
mod errors;
mod faults;
mod kubeconfig;
mod lifecycle;
mod platform;
mod preview;
mod requests;
mod security;
mod tenancy;
mod workloads;
