//! Pruning the kubeconfig: contexts kubenv wrote for environments that no longer exist on
//! their host cluster (deleted by gc, by a colleague, by an admin with kubectl). Only
//! kubenv's own contexts are ever candidates, and one whose host cannot be asked is kept.

use crate::cluster::{self, HostOptions};
use crate::error::Result;
use crate::local::kubeconfig::{self, KubenvContext};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct PruneOptions {
    /// `--kubeconfig`, else KUBECONFIG, else ~/.kube/config.
    pub kubeconfig: Option<PathBuf>,
    /// Only contexts made from this host context.
    pub host_context: Option<String>,
    pub dry_run: bool,
    pub timeout: Option<Duration>,
}

/// A host context whose environments could not be listed; its contexts are kept.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub host_context: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PruneReport {
    pub dry_run: bool,
    /// Contexts removed (or, with dry_run, that would be).
    pub removed: Vec<KubenvContext>,
    /// Contexts whose environment exists.
    pub kept: Vec<KubenvContext>,
    pub skipped: Vec<Skipped>,
}

/// Finds kubenv contexts whose environment is gone (one list call per host context, in
/// parallel) and removes them with their user entry and, when unused, their cluster entry.
pub async fn prune(opts: &PruneOptions) -> Result<PruneReport> {
    let paths = kubeconfig::paths(opts.kubeconfig.as_deref());
    let all: Vec<KubenvContext> = kubeconfig::kubenv_contexts(&paths)?
        .into_iter()
        .filter(|c| opts.host_context.as_ref().is_none_or(|h| *h == c.host_context))
        .collect();
    let mut hosts: Vec<String> = all.iter().map(|c| c.host_context.clone()).collect();
    hosts.sort();
    hosts.dedup();
    let lookups = hosts.iter().map(|h| async move {
        let host_opts = HostOptions {
            kubeconfig: opts.kubeconfig.clone(),
            context: Some(h.clone()),
            timeout: opts.timeout,
        };
        let r = async {
            let host = cluster::connect(&host_opts).await?;
            host.deadline(
                "the environments",
                crate::backend::records::environment_namespaces(&host),
            )
            .await
        }
        .await;
        (h.clone(), r)
    });
    let listed = futures::future::join_all(lookups).await;
    let mut report = PruneReport {
        dry_run: opts.dry_run,
        removed: Vec::new(),
        kept: Vec::new(),
        skipped: Vec::new(),
    };
    for (host, r) in listed {
        let existing = match r {
            Ok(v) => v,
            Err(e) => {
                report.skipped.push(Skipped {
                    host_context: host,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        for c in all.iter().filter(|c| c.host_context == host) {
            let exists = existing
                .iter()
                .any(|(env, ns)| *env == c.environment && (c.namespace.is_empty() || *ns == c.namespace));
            if exists {
                report.kept.push(c.clone());
            } else {
                report.removed.push(c.clone());
            }
        }
    }
    if !opts.dry_run {
        for c in &report.removed {
            kubeconfig::remove_env(&paths, &c.environment)?;
            crate::token::remove_cached_for(&c.environment);
        }
    }
    Ok(report)
}
