//! Sleep and wake. Sleep records, on each workload it changes, what it changed (replica
//! count, or that it suspended a CronJob), then scales to zero; a ResourceQuota of zero pods
//! blocks new pods while asleep. Wake restores exactly what was recorded. Every patch carries
//! the object's resourceVersion, so a racing sleep and wake never lose a replica count.

use crate::Progress;
use crate::backend::records::annotate_all;
use crate::cluster::{FIELD_MANAGER, Host};
use crate::environment::*;
use crate::error::{Error, Result, api_code};
use k8s_openapi::api::core::v1::{ResourceQuota, ResourceQuotaSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SleepReport {
    pub name: String,
    pub namespace: String,
    /// Workloads changed, as `kind/name`.
    pub changed: Vec<String>,
    /// Workloads left alone because they opt out.
    pub excluded: Vec<String>,
    /// False when the environment already was in the asked state.
    pub was_changed: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Deployment,
    StatefulSet,
    CronJob,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Deployment => "deployment",
            Kind::StatefulSet => "statefulset",
            Kind::CronJob => "cronjob",
        }
    }
}

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// Lists the workloads sleep acts on. CronJobs are batch/v1 from Kubernetes 1.21 and
/// batch/v1beta1 before.
async fn workloads(host: &Host, ns: &str) -> Result<Vec<(Kind, ApiResource, DynamicObject)>> {
    let c = host.client.clone();
    let dep = resource("apps", "v1", "Deployment", "deployments");
    let sts = resource("apps", "v1", "StatefulSet", "statefulsets");
    let cj = resource("batch", "v1", "CronJob", "cronjobs");
    let lp = ListParams::default();
    let (dep_api, sts_api, cj_api) = (
        Api::<DynamicObject>::namespaced_with(c.clone(), ns, &dep),
        Api::<DynamicObject>::namespaced_with(c.clone(), ns, &sts),
        Api::<DynamicObject>::namespaced_with(c.clone(), ns, &cj),
    );
    let (d, s, j) = futures::join!(dep_api.list(&lp), sts_api.list(&lp), cj_api.list(&lp));
    let (cj, j) = match j {
        Err(e) if api_code(&e) == Some(404) => {
            let old = resource("batch", "v1beta1", "CronJob", "cronjobs");
            let r = Api::<DynamicObject>::namespaced_with(c, ns, &old).list(&lp).await;
            (old, r)
        }
        other => (cj, other),
    };
    let mut out = Vec::new();
    for (kind, ar, list) in [
        (Kind::Deployment, dep, d),
        (Kind::StatefulSet, sts, s),
        (Kind::CronJob, cj, j),
    ] {
        for o in list.map_err(|e| host.map(e))?.items {
            out.push((kind, ar.clone(), o));
        }
    }
    Ok(out)
}

fn ann(o: &DynamicObject, key: &str) -> Option<String> {
    o.metadata.annotations.as_ref().and_then(|a| a.get(key)).cloned()
}

fn replicas(o: &DynamicObject) -> i64 {
    o.data.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)
}

/// The patch that puts one workload to sleep, or None if it needs nothing.
fn sleep_patch(kind: Kind, o: &DynamicObject) -> Option<Value> {
    let rv = o.metadata.resource_version.clone();
    match kind {
        Kind::CronJob => {
            let suspended = o
                .data
                .pointer("/spec/suspend")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            (!suspended).then(|| {
                json!({"metadata": {"resourceVersion": rv, "annotations": {ANN_SUSPENDED: "true"}}, "spec": {"suspend": true}})
            })
        }
        _ => {
            let n = replicas(o);
            // Already asleep (count recorded, at zero): keep the record as it is.
            (n > 0).then(|| {
                json!({"metadata": {"resourceVersion": rv, "annotations": {ANN_REPLICAS: n.to_string()}}, "spec": {"replicas": 0}})
            })
        }
    }
}

/// The patch that wakes one workload, or None if sleep did not touch it.
fn wake_patch(kind: Kind, o: &DynamicObject) -> Option<Value> {
    let rv = o.metadata.resource_version.clone();
    match kind {
        Kind::CronJob => ann(o, ANN_SUSPENDED).map(|_| {
            json!({"metadata": {"resourceVersion": rv, "annotations": {ANN_SUSPENDED: null}}, "spec": {"suspend": false}})
        }),
        _ => {
            let recorded: i64 = ann(o, ANN_REPLICAS)?.parse().ok()?;
            let current = replicas(o);
            // Someone scaled it up while asleep: keep their count, drop the record.
            let target = if current > 0 { current } else { recorded };
            Some(json!({"metadata": {"resourceVersion": rv, "annotations": {ANN_REPLICAS: null}}, "spec": {"replicas": target}}))
        }
    }
}

fn excluded(o: &DynamicObject) -> bool {
    ann(o, ANN_EXCLUDE).as_deref() == Some("true")
}

/// Applies `decide` to every workload; on a conflict re-reads the object and decides again.
async fn patch_all(
    host: &Host,
    ns: &str,
    decide: fn(Kind, &DynamicObject) -> Option<Value>,
) -> Result<(Vec<String>, Vec<String>)> {
    let items = workloads(host, ns).await?;
    let mut excluded_names = Vec::new();
    let mut tasks = Vec::new();
    for (kind, ar, obj) in items {
        let name = obj.metadata.name.clone().unwrap_or_default();
        if excluded(&obj) {
            excluded_names.push(format!("{}/{name}", kind.label()));
            continue;
        }
        let api: Api<DynamicObject> = Api::namespaced_with(host.client.clone(), ns, &ar);
        tasks.push(async move {
            let mut obj = obj;
            for _ in 0..8 {
                let Some(patch) = decide(kind, &obj) else {
                    return Ok(None);
                };
                let pp = PatchParams {
                    field_manager: Some(FIELD_MANAGER.into()),
                    ..Default::default()
                };
                match api.patch(&name, &pp, &Patch::Merge(&patch)).await {
                    Ok(_) => return Ok(Some(format!("{}/{name}", kind.label()))),
                    Err(e) if api_code(&e) == Some(409) => match api.get_opt(&name).await.map_err(|e| host.map(e))? {
                        Some(fresh) if !excluded(&fresh) => obj = fresh,
                        _ => return Ok(None),
                    },
                    Err(e) if api_code(&e) == Some(404) => return Ok(None),
                    Err(e) => return Err(host.map(e)),
                }
            }
            Err(Error::Other(format!(
                "{}/{name} kept changing under kubenv; re-run the command",
                kind.label()
            )))
        });
    }
    let changed: Vec<String> = futures::future::try_join_all(tasks)
        .await?
        .into_iter()
        .flatten()
        .collect();
    Ok((changed, excluded_names))
}

fn sleep_quota(env: &Environment) -> ResourceQuota {
    ResourceQuota {
        metadata: kube::api::ObjectMeta {
            name: Some(SLEEP_QUOTA_NAME.into()),
            namespace: Some(env.namespace.clone()),
            labels: Some(BTreeMap::from([
                (LABEL_MANAGED_BY.to_string(), MANAGED_BY.to_string()),
                (LABEL_ENV.to_string(), env.name.clone()),
            ])),
            ..Default::default()
        },
        spec: Some(ResourceQuotaSpec {
            hard: Some(BTreeMap::from([("pods".to_string(), Quantity("0".into()))])),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Lifts the pod block of [`mark_asleep`].
pub(crate) async fn unblock(host: &Host, env: &Environment) -> Result<()> {
    let q_api: Api<ResourceQuota> = Api::namespaced(host.client.clone(), &env.namespace);
    match q_api.delete(SLEEP_QUOTA_NAME, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(e) if api_code(&e) == Some(404) => Ok(()),
        Err(e) => Err(host.map(e)),
    }
}

/// Marks an environment that was asleep awake again (and active now).
pub(crate) async fn unmark(host: &Host, env: &Environment) -> Result<()> {
    if !env.is_asleep() {
        return Ok(());
    }
    let now = now_stamp().to_string();
    annotate_all(
        host,
        &env.namespace,
        &[(ANN_SLEEPING, None), (ANN_LAST_ACTIVITY, Some(&now))],
    )
    .await
}

/// Blocks new pods (quota `kubenv-sleep`) and marks the environment asleep since `since`.
pub(crate) async fn mark_asleep(host: &Host, env: &Environment, since: &str) -> Result<()> {
    let q_api: Api<ResourceQuota> = Api::namespaced(host.client.clone(), &env.namespace);
    let quota = sleep_quota(env);
    let pp = PatchParams::apply(FIELD_MANAGER).force();
    let patch = Patch::Apply(&quota);
    let mark = [(ANN_SLEEPING, Some(since))];
    let (a, b) = futures::join!(
        q_api.patch(SLEEP_QUOTA_NAME, &pp, &patch),
        annotate_all(host, &env.namespace, &mark),
    );
    a.map_err(|e| host.map(e))?;
    b
}

/// Puts an environment to sleep; the caller holds its lock. Sleeping twice keeps the first
/// recorded counts.
pub async fn sleep(host: &Host, env: &Environment, progress: Progress<'_>) -> Result<SleepReport> {
    let since = env.sleeping_since.unwrap_or_else(now_stamp);
    progress("blocking new pods");
    mark_asleep(host, env, &since.to_string()).await?;
    progress("scaling workloads to zero");
    let (changed, excluded) = patch_all(host, &env.namespace, sleep_patch).await?;
    Ok(SleepReport {
        name: env.name.clone(),
        namespace: env.namespace.clone(),
        was_changed: !env.is_asleep() || !changed.is_empty(),
        changed,
        excluded,
    })
}

/// Wakes an environment (the caller holds its lock): restores what sleep recorded. On an
/// awake one it changes nothing.
pub async fn wake(host: &Host, env: &Environment, progress: Progress<'_>) -> Result<SleepReport> {
    progress("restoring workloads");
    // Lift the pod block first so restored workloads can start at once.
    unblock(host, env).await?;
    let (mut changed, excluded) = patch_all(host, &env.namespace, wake_patch).await?;
    unmark(host, env).await?;
    changed.sort();
    Ok(SleepReport {
        name: env.name.clone(),
        namespace: env.namespace.clone(),
        was_changed: env.is_asleep() || !changed.is_empty(),
        changed,
        excluded,
    })
}
