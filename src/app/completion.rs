//! What shell completion asks the cluster and the kubeconfig: environment names and context
//! names. A shell waits for every TAB, so answers come within a short deadline and from a
//! small cache; a failure is no candidates, never an error.

use crate::cluster::{self, HostOptions};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a TAB may wait for the cluster.
pub const DEADLINE: Duration = Duration::from_secs(2);
/// How long a list of environment names is reused: long enough for a burst of TABs.
pub const CACHE_TTL: Duration = Duration::from_secs(30);

/// Context names in the kubeconfig in force (`--kubeconfig`, else KUBECONFIG, else
/// ~/.kube/config).
pub fn context_names(kubeconfig: Option<&Path>) -> Vec<String> {
    let opts = HostOptions {
        kubeconfig: kubeconfig.map(Path::to_path_buf),
        ..Default::default()
    };
    match cluster::load_kubeconfig(&opts) {
        Ok((kc, _)) => kc.contexts.into_iter().map(|c| c.name).collect(),
        Err(_) => Vec::new(),
    }
}

fn cache_file(opts: &HostOptions) -> PathBuf {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&opts.kubeconfig, &opts.context, std::env::var_os("KUBECONFIG")).hash(&mut h);
    crate::local::token_cache::cache_dir()
        .with_file_name("completion")
        .join(format!("environments-{:016x}", h.finish()))
}

/// Names of the environments on the host cluster that `opts` reaches, from a cache younger
/// than [`CACHE_TTL`] or else with one list call bounded by [`DEADLINE`].
pub fn environment_names(opts: &HostOptions) -> Vec<String> {
    let path = cache_file(opts);
    let fresh = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age < CACHE_TTL);
    if fresh && let Ok(text) = std::fs::read_to_string(&path) {
        return text.lines().map(str::to_string).collect();
    }
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return Vec::new();
    };
    let opts = HostOptions {
        timeout: Some(DEADLINE),
        ..opts.clone()
    };
    let names = rt.block_on(async {
        tokio::time::timeout(DEADLINE, async {
            let host = cluster::connect(&opts).await?;
            crate::backend::records::environment_namespaces(&host).await
        })
        .await
    });
    let mut names: Vec<String> = match names {
        Ok(Ok(v)) => v.into_iter().map(|(name, _)| name).collect(),
        _ => return Vec::new(),
    };
    names.sort();
    names.dedup();
    if let Some(dir) = path.parent()
        && std::fs::create_dir_all(dir).is_ok()
    {
        let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
        if std::fs::write(&tmp, names.join("\n")).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
    names
}
