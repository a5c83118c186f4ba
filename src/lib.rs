//! kubenv: self-service, governed Kubernetes environments on a shared host cluster.
//!
//! The provisioning library. It never prints and never sees command-line types: callers
//! build an options struct, call an operation with one shared [`cluster::Host`], and get a
//! typed result or a typed [`error::Error`] that carries its exit code.

pub mod admin;
pub mod audit;
pub mod cluster;
pub mod completion;
pub mod cost;
pub mod env;
pub mod error;
pub mod local;
pub mod names;
pub mod policy;
pub mod quantity;
pub mod retry;
pub mod schedule;
pub mod token;
pub mod version;

pub use error::{Error, Result};
/// The old paths of the local-state modules.
pub use local::{config, kubeconfig};
