//! Integration tests: the built kubenv binary against a real Kubernetes control plane,
//! checked with kubectl. Run them with scripts/test.sh.

mod ci;
mod common;
mod completion;
mod connect;
mod errors;
mod faults;
mod http1;
mod kubeconfig;
mod lifecycle;
mod platform;
mod preview;
mod requests;
mod security;
mod tenancy;
mod vcluster;
mod workloads;
