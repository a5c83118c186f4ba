//! `list` (and `list --watch`) and `get`: reading environments, whatever their kind.

use crate::backend::{Backend, records, watch};
use crate::cluster::Host;
use crate::environment::Environment;
use crate::error::Result;
use crate::names::EnvName;

pub use crate::backend::records::ListOptions;
pub use crate::backend::watch::Change;

/// The environments the options select, sorted by name: two paged reads whatever their
/// number.
pub async fn list(host: &Host, opts: &ListOptions) -> Result<Vec<Environment>> {
    host.deadline("the environment list", records::list(host, opts)).await
}

/// One environment with what it exposes (Ingress hosts, LoadBalancer and NodePort Services).
pub async fn get(host: &Host, name: &EnvName) -> Result<Environment> {
    host.deadline("the environment", async {
        let mut env = records::get(host, name).await?;
        env.endpoints = Some(Backend::for_env(&env).endpoints(host, &env).await?);
        Ok(env)
    })
    .await
}

/// The list, then every change to it, until the caller stops polling the future or `on`
/// fails (its error is returned). No deadline: a watch runs until it is stopped.
pub async fn watch(
    host: &Host,
    opts: &ListOptions,
    on: &mut (dyn FnMut(Change, &Environment) -> Result<()> + Send),
) -> Result<()> {
    watch::watch(host, opts, on).await
}
