//! The namespace backend: an environment is a namespace of the host cluster with its
//! guardrails (quota, limits, network policy, Pod Security, RBAC) and its template's
//! manifests, reached with the host's API server and a token of its `tenant` ServiceAccount.

pub mod endpoints;
pub mod extras;
pub mod objects;
pub mod ready;
pub mod sleep;

use crate::Progress;
use crate::backend::Access;
use crate::cluster::{FIELD_MANAGER, Host};
use crate::environment::{Environment, managed_selector};
use crate::error::{Result, api_code};
use futures::future::try_join_all;
use k8s_openapi::api::core::v1::{LimitRange, Namespace, ResourceQuota, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::Resource;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use objects::Spec;
use serde::Serialize;
use std::time::Duration;

/// Applies the guardrails (all at once), drops the NetworkPolicies a re-applied template no
/// longer asks for, then the template's manifests (after the owner's RoleBinding, which they
/// may rely on).
pub async fn provision(host: &Host, spec: &Spec, fresh: bool, progress: Progress<'_>) -> Result<ResourceQuota> {
    progress("applying guardrails: quota, limits, network policy, service account, RBAC");
    let quota = apply_guardrails(host, spec).await?;
    if !fresh {
        prune_network_policies(host, spec).await?;
    }
    if !spec.template.manifests.is_empty() {
        progress("applying the template's manifests");
        extras::apply(host, &spec.template.manifests, &spec.namespace, &spec.name).await?;
    }
    Ok(quota)
}

/// The host's API server, as the caller's kubeconfig reaches it, in the environment's namespace.
pub fn access(host: &Host, env: &Environment) -> Access {
    let mut cluster = serde_json::to_value(&host.cluster).unwrap_or_default();
    if let Some(o) = cluster.as_object_mut() {
        o.remove("extensions");
    }
    Access {
        cluster,
        cluster_name: format!("kubenv-{}", host.cluster_name),
        namespace: env.namespace.clone(),
        forward: None,
    }
}

/// Server-side apply, as kubenv's field manager (a re-run converges).
pub(crate) async fn apply<K>(host: &Host, api: Api<K>, obj: &K) -> Result<K>
where
    K: Resource + Clone + serde::de::DeserializeOwned + Serialize + std::fmt::Debug,
{
    let name = obj.meta().name.clone().unwrap_or_default();
    api.patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(obj))
        .await
        .map_err(|e| host.map(e))
}

/// Applies every guardrail of an environment, all at once.
async fn apply_guardrails(host: &Host, spec: &Spec) -> Result<ResourceQuota> {
    let c = || host.client.clone();
    let ns = spec.namespace.as_str();
    let mut tasks: Vec<futures::future::BoxFuture<'_, Result<()>>> = Vec::new();
    let quota = objects::resource_quota(spec);
    let limits = objects::limit_range(spec);
    let sa = objects::service_account(spec);
    let applied_quota = apply(host, Api::<ResourceQuota>::namespaced(c(), ns), &quota);
    tasks.push(Box::pin(async move {
        apply(host, Api::<LimitRange>::namespaced(c(), ns), &limits)
            .await
            .map(drop)
    }));
    tasks.push(Box::pin(async move {
        apply(host, Api::<ServiceAccount>::namespaced(c(), ns), &sa)
            .await
            .map(drop)
    }));
    for np in objects::network_policies(spec) {
        tasks.push(Box::pin(async move {
            apply(host, Api::<NetworkPolicy>::namespaced(c(), ns), &np)
                .await
                .map(drop)
        }));
    }
    for rb in objects::role_bindings(spec) {
        tasks.push(Box::pin(async move {
            apply(host, Api::<RoleBinding>::namespaced(c(), ns), &rb)
                .await
                .map(drop)
        }));
    }
    let (q, _) = futures::try_join!(applied_quota, try_join_all(tasks))?;
    Ok(q)
}

/// On a re-apply, removes kubenv's NetworkPolicies the template no longer asks for (say, a
/// switch from `strict` to `isolated`). Policies kubenv did not make are left alone.
async fn prune_network_policies(host: &Host, spec: &Spec) -> Result<()> {
    let want: Vec<String> = objects::network_policies(spec)
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    let api: Api<NetworkPolicy> = Api::namespaced(host.client.clone(), &spec.namespace);
    let have = api
        .list(&ListParams::default().labels(&managed_selector()))
        .await
        .map_err(|e| host.map(e))?;
    for np in have.items {
        let name = np.metadata.name.unwrap_or_default();
        if !want.contains(&name) {
            match api.delete(&name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(e) if api_code(&e) == Some(404) => {}
                Err(e) => return Err(host.map(e)),
            }
        }
    }
    Ok(())
}

/// Deletes the namespace in the background; one already gone or going is fine.
pub async fn remove(host: &Host, namespace: &str) -> Result<()> {
    let ns_api: Api<Namespace> = Api::all(host.client.clone());
    match ns_api.delete(namespace, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(e) if matches!(api_code(&e), Some(404 | 409)) => Ok(()),
        Err(e) => Err(host.map(e)),
    }
}

/// Waits until a namespace is gone, reporting progress.
pub async fn wait_removed(host: &Host, namespace: &str, progress: Progress<'_>) -> Result<()> {
    let ns_api: Api<Namespace> = Api::all(host.client.clone());
    let start = std::time::Instant::now();
    loop {
        match ns_api.get_opt(namespace).await.map_err(|e| host.map(e))? {
            None => return Ok(()),
            Some(_) => progress(&format!(
                "waiting for namespace {namespace} to be finalized ({}s)",
                start.elapsed().as_secs()
            )),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
