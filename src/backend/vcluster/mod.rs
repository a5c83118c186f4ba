//! The virtual-cluster backend: an environment is a namespace with the same guardrails, in
//! which runs a virtual cluster (loft-sh/vcluster, the version the policy pins): its own API
//! server, CRDs and cluster-scoped objects, its pods synced down into the namespace.
//!
//! kubenv makes the chart's objects itself (no helm, no vcluster CLI), reaches the virtual API
//! with the client certificate the syncer writes to Secret `vc-NAME` (read with the caller's
//! host rights, each time), and pauses and resumes with vcluster's own annotations, so the
//! vcluster CLI and kubenv agree on a virtual cluster's state.

pub mod objects;

use crate::Progress;
use crate::backend::namespace::{self, sleep::SleepReport};
use crate::backend::{Access, Credential, Forward, Goal};
use crate::cluster::Host;
use crate::environment::{Environment, now_stamp};
use crate::error::{Error, Result, api_code};
use crate::policy::{Exposure, VClusterPolicy};
use base64::Engine;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Node, Pod, ResourceQuota, Secret, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use serde_json::{Value, json};
use std::time::Duration;

/// The port of the syncer's proxy to the virtual API server, in the pod.
pub const VIRTUAL_API_PORT: u16 = 8443;

/// vcluster's pause annotations (`vcluster pause` / `vcluster resume` use the same).
pub const ANN_PAUSED: &str = "loft.sh/paused";
pub const ANN_PAUSED_REPLICAS: &str = "loft.sh/paused-replicas";
pub const ANN_PAUSED_DATE: &str = "loft.sh/paused-date";
/// The label vcluster puts on the host pods it syncs.
pub const LABEL_MANAGED_BY: &str = "vcluster.loft.sh/managed-by";

/// A virtual cluster's name must be a DNS-1035 label (its Service is named after it).
pub fn check_name(name: &str) -> Result<()> {
    if name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "a virtual cluster's name must start with a letter (its Service is named after it); {name:?} does not, e.g. vc-{name}"
        )))
    }
}

/// The guardrails (as for a namespace), then the virtual cluster's objects: its config,
/// ServiceAccounts, RoleBinding, Services and StatefulSet.
pub async fn provision(
    host: &Host,
    spec: &namespace::objects::Spec,
    fresh: bool,
    progress: Progress<'_>,
) -> Result<ResourceQuota> {
    let quota = namespace::provision(host, spec, fresh, progress).await?;
    progress("making the virtual cluster");
    let p = &spec.vcluster;
    let config = objects::config(p)
        .ok_or_else(|| Error::InvalidInput(format!("vcluster {} is not a version kubenv can make", p.version)))?;
    let text = serde_json::to_string_pretty(&config).map_err(|e| Error::Other(e.to_string()))?;
    let hash = format!("{:016x}", crate::names::fnv1a(text.as_bytes()));
    let target = objects::Target {
        name: &spec.name,
        namespace: &spec.namespace,
        policy: p,
    };
    let objs = objects::objects(&target, &text, &hash);
    let ns = spec.namespace.as_str();
    let c = || host.client.clone();
    // Everything but the StatefulSet at once; its pod needs the rest.
    let (before, sts) = objs.split_at(objs.len() - 1);
    let tasks = before.iter().map(|o| async move {
        match o["kind"].as_str() {
            Some("ServiceAccount") => apply::<ServiceAccount>(host, Api::namespaced(c(), ns), o).await,
            Some("RoleBinding") => apply::<RoleBinding>(host, Api::namespaced(c(), ns), o).await,
            Some("Secret") => apply::<Secret>(host, Api::namespaced(c(), ns), o).await,
            Some("Service") => apply::<Service>(host, Api::namespaced(c(), ns), o).await,
            _ => Err(Error::Other(format!("unexpected object {}", o["kind"]))),
        }
    });
    futures::future::try_join_all(tasks).await?;
    apply::<StatefulSet>(host, Api::namespaced(c(), ns), &sts[0]).await?;
    Ok(quota)
}

async fn apply<K>(host: &Host, api: Api<K>, obj: &Value) -> Result<()>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let typed: K = serde_json::from_value(obj.clone()).map_err(|e| Error::Other(format!("{}: {e}", obj["kind"])))?;
    namespace::apply(host, api, &typed).await.map(drop)
}

/// The virtual cluster's kubeconfig Secret, written by its syncer once it runs.
async fn kubeconfig_secret(host: &Host, env: &Environment) -> Result<Option<Secret>> {
    let api: Api<Secret> = Api::namespaced(host.client.clone(), &env.namespace);
    api.get_opt(&format!("vc-{}", env.name)).await.map_err(|e| host.map(e))
}

fn secret_key(s: &Secret, key: &str) -> Option<Vec<u8>> {
    s.data.as_ref()?.get(key).map(|b| b.0.clone())
}

fn not_ready(env: &Environment) -> Error {
    Error::NotReady {
        name: env.name.clone(),
        namespace: env.namespace.clone(),
        seconds: 0,
        what: "the virtual cluster's API server (Secret vc-".to_string() + &env.name + " is not written yet)",
        why: String::new(),
    }
}

/// Whether the virtual API server answers (`/version`), asked through a port-forward to its
/// pod with its own kubeconfig (Secret `vc-NAME`) and credentials.
async fn answers(host: &Host, env: &Environment) -> bool {
    let Ok(Some(secret)) = kubeconfig_secret(host, env).await else {
        return false;
    };
    let Some(text) = secret_key(&secret, "config").and_then(|b| String::from_utf8(b).ok()) else {
        return false;
    };
    let local = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let pod = format!("{}-0", env.name);
    let Ok(fwd) = crate::backend::portforward::start(host, &env.namespace, &pod, VIRTUAL_API_PORT, local).await else {
        return false;
    };
    let Ok(mut kc) = kube::config::Kubeconfig::from_yaml(&text) else {
        return false;
    };
    for c in &mut kc.clusters {
        if let Some(cluster) = c.cluster.as_mut() {
            cluster.server = Some(format!("https://{}", fwd.local_addr()));
        }
    }
    let opts = kube::config::KubeConfigOptions::default();
    let Ok(mut config) = kube::Config::from_custom_kubeconfig(kc, &opts).await else {
        return false;
    };
    config.connect_timeout = Some(Duration::from_secs(3));
    config.read_timeout = Some(Duration::from_secs(3));
    let Ok(client) = kube::Client::try_from(config) else {
        return false;
    };
    client.apiserver_version().await.is_ok()
}

/// Where the virtual API server is: its address (through the host's port-forward, or the
/// Service the cluster exposes) and the CA from Secret `vc-NAME`; kubectl works in `default`.
pub async fn access(host: &Host, env: &Environment, p: &VClusterPolicy) -> Result<Access> {
    let secret = kubeconfig_secret(host, env).await?.ok_or_else(|| not_ready(env))?;
    let ca = secret_key(&secret, "certificate-authority").ok_or_else(|| not_ready(env))?;
    let (server, forward) = match p.expose {
        Exposure::PortForward => (
            format!("https://127.0.0.1:{}", proxy_port(env)),
            Some(Forward {
                namespace: env.namespace.clone(),
                pod: format!("{}-0", env.name),
                port: VIRTUAL_API_PORT,
            }),
        ),
        Exposure::NodePort | Exposure::LoadBalancer => (service_address(host, env, p.expose).await?, None),
    };
    Ok(Access {
        cluster: json!({
            "server": server,
            "certificate-authority-data": base64::engine::general_purpose::STANDARD.encode(ca),
        }),
        cluster_name: format!("kubenv-vcluster-{}", env.name),
        namespace: "default".into(),
        forward,
    })
}

/// The local port `kubenv proxy NAME` listens on by default, and the port in the context
/// `connect` writes: the same for an environment every time, 20000 to 29999.
pub fn proxy_port(env: &Environment) -> u16 {
    let h = crate::names::fnv1a(format!("{}/{}", env.namespace, env.name).as_bytes());
    20_000 + u16::try_from(h % 10_000).unwrap_or(0)
}

async fn service_address(host: &Host, env: &Environment, how: Exposure) -> Result<String> {
    let svc = Api::<Service>::namespaced(host.client.clone(), &env.namespace)
        .get(&env.name)
        .await
        .map_err(|e| host.map(e))?;
    let pending = || Error::NotReady {
        name: env.name.clone(),
        namespace: env.namespace.clone(),
        seconds: 0,
        what: format!("an address for Service {} ({how:?})", env.name),
        why: String::new(),
    };
    match how {
        Exposure::LoadBalancer => {
            let ing = svc
                .status
                .and_then(|s| s.load_balancer)
                .and_then(|l| l.ingress)
                .and_then(|i| i.into_iter().next())
                .ok_or_else(pending)?;
            let addr = ing.ip.or(ing.hostname).ok_or_else(pending)?;
            Ok(format!("https://{addr}:443"))
        }
        _ => {
            let port = svc
                .spec
                .and_then(|s| s.ports)
                .and_then(|ps| ps.into_iter().find(|p| p.name.as_deref() == Some("https")))
                .and_then(|p| p.node_port)
                .ok_or_else(pending)?;
            let nodes = Api::<Node>::all(host.client.clone())
                .list(&ListParams::default().limit(1))
                .await
                .map_err(|e| host.map(e))?;
            let addr = nodes
                .items
                .first()
                .and_then(|n| n.status.as_ref()?.addresses.as_ref())
                .and_then(|a| {
                    a.iter()
                        .find(|a| a.type_ == "ExternalIP")
                        .or_else(|| a.iter().find(|a| a.type_ == "InternalIP"))
                })
                .map(|a| a.address.clone())
                .ok_or_else(pending)?;
            Ok(format!("https://{addr}:{port}"))
        }
    }
}

/// The virtual cluster's admin credential (client certificate and key), read from Secret
/// `vc-NAME` with the caller's host rights: only who may read Secrets in the environment's
/// namespace (its owner, a platform admin) gets it.
pub async fn credential(host: &Host, env: &Environment) -> Result<Credential> {
    let secret = kubeconfig_secret(host, env).await?.ok_or_else(|| not_ready(env))?;
    let text = |k: &str| {
        secret_key(&secret, k)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| not_ready(env))
    };
    Ok(Credential::ClientCertificate {
        certificate: text("client-certificate")?,
        key: text("client-key")?,
    })
}

fn statefulsets(host: &Host, env: &Environment) -> Api<StatefulSet> {
    Api::namespaced(host.client.clone(), &env.namespace)
}

/// Pauses as `vcluster pause` does: the StatefulSet to zero with the paused annotations
/// (replicas recorded), and the pods it synced deleted; the environment marked asleep.
pub async fn sleep(host: &Host, env: &Environment, progress: Progress<'_>) -> Result<SleepReport> {
    // No pod-blocking quota, unlike a namespace's sleep: `vcluster resume` must be able to
    // bring the syncer back by itself, as it would without kubenv.
    let since = env.sleeping_since.unwrap_or_else(now_stamp).to_string();
    crate::backend::records::annotate_all(
        host,
        &env.namespace,
        &[(crate::environment::ANN_SLEEPING, Some(&since))],
    )
    .await?;
    progress("pausing the virtual cluster");
    let api = statefulsets(host, env);
    let sts = api.get(&env.name).await.map_err(|e| host.map(e))?;
    let ann = sts.metadata.annotations.clone().unwrap_or_default();
    let replicas = sts.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let already = ann.get(ANN_PAUSED).map(String::as_str) == Some("true");
    if !already {
        let date = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let patch = json!({
            "metadata": {
                "annotations": {ANN_PAUSED: "true", ANN_PAUSED_REPLICAS: replicas.to_string(), ANN_PAUSED_DATE: date},
                "resourceVersion": sts.metadata.resource_version,
            },
            "spec": {"replicas": 0}
        });
        api.patch(&env.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| host.map(e))?;
    }
    let pods: Api<Pod> = Api::namespaced(host.client.clone(), &env.namespace);
    let lp = ListParams::default().labels(&format!("{LABEL_MANAGED_BY}={}", env.name));
    match pods.delete_collection(&DeleteParams::background(), &lp).await {
        Ok(_) => {}
        Err(e) if api_code(&e) == Some(404) => {}
        Err(e) => return Err(host.map(e)),
    }
    Ok(SleepReport {
        name: env.name.clone(),
        namespace: env.namespace.clone(),
        changed: if already {
            vec![]
        } else {
            vec![format!("statefulset/{}", env.name)]
        },
        excluded: vec![],
        was_changed: !already || !env.is_asleep(),
    })
}

/// Resumes as `vcluster resume` does: the recorded replicas back, the annotations gone.
pub async fn wake(host: &Host, env: &Environment, progress: Progress<'_>) -> Result<SleepReport> {
    progress("resuming the virtual cluster");
    namespace::sleep::unblock(host, env).await?;
    let api = statefulsets(host, env);
    let sts = api.get(&env.name).await.map_err(|e| host.map(e))?;
    let ann = sts.metadata.annotations.clone().unwrap_or_default();
    let paused = ann.get(ANN_PAUSED).map(String::as_str) == Some("true");
    if paused {
        let replicas: i32 = ann.get(ANN_PAUSED_REPLICAS).and_then(|r| r.parse().ok()).unwrap_or(1);
        let patch = json!({
            "metadata": {
                "annotations": {ANN_PAUSED: null, ANN_PAUSED_REPLICAS: null, ANN_PAUSED_DATE: null},
                "resourceVersion": sts.metadata.resource_version,
            },
            "spec": {"replicas": replicas}
        });
        api.patch(&env.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| host.map(e))?;
    }
    namespace::sleep::unmark(host, env).await?;
    Ok(SleepReport {
        name: env.name.clone(),
        namespace: env.namespace.clone(),
        changed: if paused {
            vec![format!("statefulset/{}", env.name)]
        } else {
            vec![]
        },
        excluded: vec![],
        was_changed: paused || env.is_asleep(),
    })
}

/// Until the virtual cluster runs (its syncer wrote Secret `vc-NAME` and its pod is ready) or
/// has stopped (no pod of its own, none synced), at most `limit`.
pub async fn wait(
    host: &Host,
    env: &Environment,
    goal: Goal,
    limit: Duration,
    progress: Progress<'_>,
) -> Result<Environment> {
    let started = std::time::Instant::now();
    let pods: Api<Pod> = Api::namespaced(host.client.clone(), &env.namespace);
    let own = ListParams::default().labels(&format!("app=vcluster,release={}", env.name));
    let synced = ListParams::default().labels(&format!("{LABEL_MANAGED_BY}={}", env.name));
    loop {
        let (done, what) = match goal {
            Goal::Available => {
                let ready = pods
                    .list(&own)
                    .await
                    .map_err(|e| host.map(e))?
                    .items
                    .iter()
                    .any(crate::backend::namespace::ready::pod_ready);
                let answers = ready && answers(host, env).await;
                (answers, "the virtual cluster's API server")
            }
            Goal::Stopped => {
                let a = pods.list(&own).await.map_err(|e| host.map(e))?;
                let b = pods.list(&synced).await.map_err(|e| host.map(e))?;
                (a.items.is_empty() && b.items.is_empty(), "the virtual cluster to stop")
            }
        };
        if done {
            break;
        }
        if started.elapsed() >= limit {
            return Err(Error::NotReady {
                name: env.name.clone(),
                namespace: env.namespace.clone(),
                seconds: started.elapsed().as_secs(),
                what: what.to_string(),
                why: String::new(),
            });
        }
        progress(&format!("waiting for {what} ({}s)", started.elapsed().as_secs()));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    crate::backend::records::get(host, &env.name).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ports() {
        assert!(check_name("pr-1").is_ok());
        assert!(check_name("42-fix").is_err());
        let e = crate::environment::Environment::from_namespace(
            &crate::environment::fixtures::namespace(&[], false),
            None,
            jiff::Timestamp::now(),
        )
        .unwrap();
        let p = proxy_port(&e);
        assert!((20_000..30_000).contains(&p));
        assert_eq!(p, proxy_port(&e), "stable");
    }
}
