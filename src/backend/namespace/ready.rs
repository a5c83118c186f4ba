//! What `--wait` waits for: an environment is ready when the quota controller has counted
//! it and every Deployment and StatefulSet in it has all its replicas available (after
//! `create` or `wake`), or none left (after `sleep`). It has its own time limit, apart from
//! the API deadline of each request, and says which workload is not ready and why.

use crate::Progress;
use crate::cluster::Host;
use crate::environment::*;
use crate::error::{Error, Result};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::core::v1::ResourceQuota;
use kube::api::{Api, ListParams};
use std::time::Duration;

/// How long `--wait` waits when `--wait-timeout` is not given.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(300);

/// Ready for use, or asleep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// Every workload has all its replicas available.
    Available,
    /// Every workload has scaled down to no pods.
    Stopped,
}

/// One workload's progress towards a goal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progressing {
    /// `deployment/web`
    pub workload: String,
    pub ready: i32,
    pub want: i32,
}

/// The workloads not yet at the goal. Pure, so the rule is unit-tested.
pub fn pending(deployments: &[Deployment], statefulsets: &[StatefulSet], goal: Goal) -> Vec<Progressing> {
    let mut out = Vec::new();
    for d in deployments {
        let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let st = d.status.clone().unwrap_or_default();
        let seen = st.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0);
        let done = match goal {
            Goal::Available => {
                seen && st.updated_replicas.unwrap_or(0) >= want
                    && st.available_replicas.unwrap_or(0) >= want
                    && st.replicas.unwrap_or(0) == want
            }
            Goal::Stopped => seen && st.replicas.unwrap_or(0) == 0,
        };
        if !done {
            out.push(Progressing {
                workload: format!("deployment/{}", d.metadata.name.clone().unwrap_or_default()),
                ready: if goal == Goal::Available {
                    st.available_replicas.unwrap_or(0)
                } else {
                    st.replicas.unwrap_or(0)
                },
                want,
            });
        }
    }
    for s in statefulsets {
        let want = s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let st = s.status.clone().unwrap_or_default();
        let seen = st.observed_generation.unwrap_or(0) >= s.metadata.generation.unwrap_or(0);
        let done = match goal {
            Goal::Available => seen && st.ready_replicas.unwrap_or(0) >= want && st.replicas == want,
            Goal::Stopped => seen && st.replicas == 0,
        };
        if !done {
            out.push(Progressing {
                workload: format!("statefulset/{}", s.metadata.name.clone().unwrap_or_default()),
                ready: if goal == Goal::Available {
                    st.ready_replicas.unwrap_or(0)
                } else {
                    st.replicas
                },
                want,
            });
        }
    }
    out
}

/// Why a pod is not ready, in the scheduler's or the kubelet's words.
/// Whether a pod is Ready (its condition says so).
pub fn pod_ready(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_none()
        && p.status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

pub fn pod_problem(p: &Pod) -> Option<String> {
    let name = p.metadata.name.clone().unwrap_or_default();
    let st = p.status.as_ref()?;
    for c in st.conditions.iter().flatten() {
        if c.type_ == "PodScheduled" && c.status == "False" {
            return Some(format!(
                "pod {name} is not scheduled: {}",
                c.message
                    .clone()
                    .unwrap_or_else(|| c.reason.clone().unwrap_or_default())
            ));
        }
    }
    for cs in st.container_statuses.iter().flatten() {
        if let Some(w) = cs.state.as_ref().and_then(|s| s.waiting.as_ref()) {
            return Some(format!(
                "pod {name}: container {} is waiting ({})",
                cs.name,
                w.reason.clone().unwrap_or_default()
            ));
        }
    }
    None
}

/// Waits until the environment reaches the goal, for at most `limit`. On time-out: exit 6,
/// naming what is not ready and, where the cluster says, why.
pub async fn wait(
    host: &Host,
    env: &Environment,
    goal: Goal,
    limit: Duration,
    progress: Progress<'_>,
) -> Result<Environment> {
    let c = || host.client.clone();
    let ns = env.namespace.as_str();
    let (q_api, d_api, s_api) = (
        Api::<ResourceQuota>::namespaced(c(), ns),
        Api::<Deployment>::namespaced(c(), ns),
        Api::<StatefulSet>::namespaced(c(), ns),
    );
    let lp = ListParams::default();
    let started = std::time::Instant::now();
    let mut last: Vec<Progressing> = Vec::new();
    let poll = async {
        loop {
            let (q, d, s) = futures::join!(q_api.get_opt(QUOTA_NAME), d_api.list(&lp), s_api.list(&lp));
            let counted = q
                .map_err(|e| host.map(e))?
                .and_then(|q| q.status)
                .and_then(|s| s.used)
                .is_some();
            let (d, s) = (d.map_err(|e| host.map(e))?, s.map_err(|e| host.map(e))?);
            last = pending(&d.items, &s.items, goal);
            if counted && last.is_empty() {
                return Ok::<(), Error>(());
            }
            progress(&match last.first() {
                None => "waiting for the quota controller".to_string(),
                Some(p) => format!(
                    "waiting for {} ({}/{}){}",
                    p.workload,
                    p.ready,
                    p.want,
                    if last.len() > 1 {
                        format!(" and {} more", last.len() - 1)
                    } else {
                        String::new()
                    }
                ),
            });
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    match tokio::time::timeout(limit, poll).await {
        Ok(r) => r?,
        Err(_) => {
            let mut what: Vec<String> = last
                .iter()
                .map(|p| format!("{} {}/{} ready", p.workload, p.ready, p.want))
                .collect();
            if what.is_empty() {
                what.push("the quota controller to count the environment".into());
            }
            // Why, in the cluster's words: the first pod with a reason.
            let pods = Api::<Pod>::namespaced(c(), ns).list(&lp).await.ok();
            let why = pods.and_then(|l| l.items.iter().find_map(pod_problem));
            return Err(Error::NotReady {
                name: env.name.clone(),
                namespace: env.namespace.clone(),
                seconds: started.elapsed().as_secs(),
                what: what.join(", "),
                why: why.map(|w| format!(" ({w})")).unwrap_or_default(),
            });
        }
    }
    crate::backend::records::get(host, &env.name).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{DeploymentSpec, DeploymentStatus, StatefulSetSpec, StatefulSetStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn deploy(want: i32, generation: i64, observed: i64, replicas: i32, available: i32) -> Deployment {
        Deployment {
            metadata: ObjectMeta {
                name: Some("web".into()),
                generation: Some(generation),
                ..Default::default()
            },
            spec: Some(DeploymentSpec {
                replicas: Some(want),
                ..Default::default()
            }),
            status: Some(DeploymentStatus {
                observed_generation: Some(observed),
                replicas: Some(replicas),
                updated_replicas: Some(replicas),
                available_replicas: Some(available),
                ..Default::default()
            }),
        }
    }

    fn sts(want: i32, replicas: i32, ready: i32) -> StatefulSet {
        StatefulSet {
            metadata: ObjectMeta {
                name: Some("db".into()),
                generation: Some(1),
                ..Default::default()
            },
            spec: Some(StatefulSetSpec {
                replicas: Some(want),
                ..Default::default()
            }),
            status: Some(StatefulSetStatus {
                observed_generation: Some(1),
                replicas,
                ready_replicas: Some(ready),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn available_needs_every_replica_of_the_current_generation() {
        assert!(pending(&[deploy(2, 1, 1, 2, 2)], &[sts(1, 1, 1)], Goal::Available).is_empty());
        // The controller has not seen the latest spec yet.
        assert_eq!(pending(&[deploy(2, 2, 1, 2, 2)], &[], Goal::Available).len(), 1);
        // One replica of two is available.
        let p = pending(&[deploy(2, 1, 1, 2, 1)], &[sts(2, 2, 1)], Goal::Available);
        assert_eq!(
            p,
            [
                Progressing {
                    workload: "deployment/web".into(),
                    ready: 1,
                    want: 2
                },
                Progressing {
                    workload: "statefulset/db".into(),
                    ready: 1,
                    want: 2
                }
            ]
        );
        // Surplus pods of a rollout still going on are not done.
        assert_eq!(pending(&[deploy(2, 1, 1, 3, 3)], &[], Goal::Available).len(), 1);
    }

    #[test]
    fn stopped_means_no_pods_left() {
        assert!(pending(&[deploy(0, 2, 2, 0, 0)], &[sts(0, 0, 0)], Goal::Stopped).is_empty());
        assert_eq!(
            pending(&[deploy(0, 2, 2, 1, 0)], &[sts(0, 1, 0)], Goal::Stopped).len(),
            2
        );
        // A zero-replica workload is available as it is.
        assert!(pending(&[deploy(0, 1, 1, 0, 0)], &[], Goal::Available).is_empty());
    }
}
