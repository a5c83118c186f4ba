//! The backend seam: what the use cases ask of a kind of environment, and the namespace
//! backend behind it.
//!
//! Every environment is recorded the same way ([`records`]: a labelled namespace of the host
//! with its quota), is locked the same way ([`lock`]) and is watched the same way ([`watch`]).
//! What differs by kind goes through [`Backend`]: making the environment's own objects,
//! saying how a client reaches it and minting its credentials, sleep and wake, waiting for it
//! to be ready, what it exposes, and removing it.
//!
//! `Backend` is an enum, not a trait object: the kinds are few, known when kubenv is built and
//! chosen per environment at run time from its record (`kubenv.dev/type`); an enum dispatches
//! without boxing the async functions (an `async fn` in a trait is not object safe), and its
//! exhaustive `match` makes the compiler list every operation a new kind must provide.
//! docs/architecture.md lists them.

pub mod lock;
pub mod namespace;
pub mod portforward;
pub mod records;
pub mod vcluster;
pub mod watch;

use crate::Progress;
use crate::cluster::Host;
use crate::environment::{Environment, Kind};
use crate::error::Result;
use crate::token::Token;
use std::time::Duration;

pub use crate::environment::Endpoint;
pub use namespace::objects::Spec;
pub use namespace::ready::Goal;
pub use namespace::sleep::SleepReport;

/// The backend of a kind of environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A namespace of the host cluster with its guardrails: [`namespace`].
    Namespace,
    /// A virtual cluster in such a namespace: [`vcluster`].
    VCluster,
}

/// A short-lived way in, from [`Backend::credential`].
#[derive(Clone, Debug)]
pub enum Credential {
    /// A bearer token with its expiry (a ServiceAccount token).
    Token(Token),
    /// A client certificate and key, PEM (a virtual cluster's admin credential).
    ClientCertificate { certificate: String, key: String },
}

/// A pod port that is reached through the host API server's port-forward (kubenv keeps the
/// forward: `connect -- CMD`, `kubenv proxy`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forward {
    pub namespace: String,
    pub pod: String,
    pub port: u16,
}

/// How a client reaches an environment: the API server and its CA (a kubeconfig `cluster`
/// entry), and the namespace to work in. Credentials come from [`Backend::credential`].
#[derive(Clone, Debug, PartialEq)]
pub struct Access {
    /// The kubeconfig cluster entry (server, certificate-authority-data, TLS settings).
    pub cluster: serde_json::Value,
    /// The name under which it goes into a kubeconfig.
    pub cluster_name: String,
    /// The namespace kubectl works in.
    pub namespace: String,
    /// Set when the server is a local port that a port-forward to this pod must serve.
    pub forward: Option<Forward>,
}

impl Backend {
    pub fn of(kind: Kind) -> Backend {
        match kind {
            Kind::Namespace => Backend::Namespace,
            Kind::VCluster => Backend::VCluster,
        }
    }

    /// Refuses a name this kind cannot use (before anything is made).
    pub fn check_name(self, name: &str) -> Result<()> {
        match self {
            Backend::Namespace => Ok(()),
            Backend::VCluster => vcluster::check_name(name),
        }
    }

    pub fn for_env(env: &Environment) -> Backend {
        Backend::of(env.kind)
    }

    /// Makes (or converges) the environment's own objects in its namespace, which the use
    /// case has made; `fresh` when the namespace was made just now. Returns the guardrails'
    /// quota as applied.
    pub async fn provision(
        self,
        host: &Host,
        spec: &Spec,
        fresh: bool,
        progress: Progress<'_>,
    ) -> Result<k8s_openapi::api::core::v1::ResourceQuota> {
        match self {
            Backend::Namespace => namespace::provision(host, spec, fresh, progress).await,
            Backend::VCluster => vcluster::provision(host, spec, fresh, progress).await,
        }
    }

    /// Where a client reaches the environment.
    pub async fn access(self, host: &Host, env: &Environment) -> Result<Access> {
        match self {
            Backend::Namespace => Ok(namespace::access(host, env)),
            Backend::VCluster => {
                let (policy, _) = crate::policy::load(host).await?;
                vcluster::access(host, env, &policy.vcluster).await
            }
        }
    }

    /// A short-lived credential for the environment, minted with the caller's rights.
    pub async fn credential(
        self,
        host: &Host,
        env: &Environment,
        ttl: Duration,
        progress: Progress<'_>,
    ) -> Result<Credential> {
        match self {
            Backend::Namespace => crate::token::mint(host, &env.name, &env.namespace, ttl, progress)
                .await
                .map(Credential::Token),
            Backend::VCluster => vcluster::credential(host, env).await,
        }
    }

    /// Stops what runs in it and blocks new pods, remembering what to restore. The caller
    /// holds the environment's lock ([`lock`]).
    pub async fn sleep(self, host: &Host, env: &Environment, progress: Progress<'_>) -> Result<SleepReport> {
        match self {
            Backend::Namespace => namespace::sleep::sleep(host, env, progress).await,
            Backend::VCluster => vcluster::sleep(host, env, progress).await,
        }
    }

    /// Restores exactly what sleep changed (the caller holds the lock).
    pub async fn wake(self, host: &Host, env: &Environment, progress: Progress<'_>) -> Result<SleepReport> {
        match self {
            Backend::Namespace => namespace::sleep::wake(host, env, progress).await,
            Backend::VCluster => vcluster::wake(host, env, progress).await,
        }
    }

    /// Waits until its workloads reach `goal`, at most `timeout`; returns it as it then is.
    pub async fn wait(
        self,
        host: &Host,
        env: &Environment,
        goal: Goal,
        timeout: Duration,
        progress: Progress<'_>,
    ) -> Result<Environment> {
        match self {
            Backend::Namespace => namespace::ready::wait(host, env, goal, timeout, progress).await,
            Backend::VCluster => vcluster::wait(host, env, goal, timeout, progress).await,
        }
    }

    /// What it exposes: Ingress hosts, LoadBalancer and NodePort Services.
    pub async fn endpoints(self, host: &Host, env: &Environment) -> Result<Vec<Endpoint>> {
        match self {
            // A virtual cluster's synced Services are in its namespace too.
            Backend::Namespace | Backend::VCluster => namespace::endpoints::list(host, &env.namespace).await,
        }
    }

    /// Removes it (the namespace controller deletes what the namespace holds).
    pub async fn remove(self, host: &Host, env: &Environment) -> Result<()> {
        match self {
            // The namespace holds the virtual cluster, its volume and what it synced.
            Backend::Namespace | Backend::VCluster => namespace::remove(host, &env.namespace).await,
        }
    }

    /// Waits until it is gone.
    pub async fn wait_removed(self, host: &Host, env: &Environment, progress: Progress<'_>) -> Result<()> {
        match self {
            Backend::Namespace | Backend::VCluster => namespace::wait_removed(host, &env.namespace, progress).await,
        }
    }
}
