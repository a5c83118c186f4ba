//! kubenv: self-service, governed Kubernetes environments on a shared host cluster.
//!
//! The library. It never prints and never sees command-line types. Layers, each using only
//! the ones below it:
//!
//! - [`app`]: one function per use case (create, list, get, connect, token, sleep, wake,
//!   delete, extend, gc, cost, history, prune, admin init/check). Each takes an options struct
//!   and returns a typed result; authorization, the audit trail, waking and local cleanup
//!   happen inside, so every caller gets the same guarantees.
//! - [`backend`]: the seam between the use cases and a kind of environment ([`backend::Backend`]),
//!   the namespace backend behind it, and the records every kind shares.
//! - the model and rules: [`environment`], [`policy`], [`names`], [`schedule`], [`quantity`].
//! - the edges: [`cluster`] (the host API, with one deadline per command and retries),
//!   [`audit`] (the trail), [`token`] (minting), [`local`] (the kubeconfig, the token cache
//!   and the personal config: all that kubenv keeps on the user's machine).

pub mod app;
pub mod audit;
pub mod backend;
pub mod cluster;
pub mod environment;
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

/// A step of a long operation, for progress display. The library reports; the CLI shows.
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// A [`Progress`] that shows nothing.
pub fn no_progress(_: &str) {}
