//! The audit trail: every lifecycle action records a Kubernetes Event with the actor, the
//! environment and what changed, in the environment's namespace and in `kubenv-system` (so
//! the trail outlives the environment, for as long as the API server keeps events).

use crate::cluster::Host;
use crate::environment::{LABEL_ENV, LABEL_MANAGED_BY, MANAGED_BY};
use crate::error::Result;
use crate::policy::SYSTEM_NAMESPACE;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use kube::api::{Api, ListParams, PostParams};
use serde::Serialize;
use std::collections::BTreeMap;

pub const LABEL_ACTION: &str = "kubenv.dev/action";
pub const ANN_ACTOR: &str = "kubenv.dev/actor";

/// One lifecycle action, as recorded.
#[derive(Clone, Debug)]
pub struct Action<'a> {
    pub env: &'a str,
    pub namespace: &'a str,
    /// create, connect, sleep, wake, extend, delete, gc-delete, gc-sleep
    pub action: &'a str,
    pub actor: &'a str,
    pub message: String,
}

impl<'a> Action<'a> {
    /// An action on an environment, by `actor`.
    pub fn on(env: &'a crate::environment::Environment, action: &'a str, actor: &'a str, message: String) -> Self {
        Action {
            env: &env.name,
            namespace: &env.namespace,
            action,
            actor,
            message,
        }
    }
}

fn reason(action: &str) -> String {
    action
        .split('-')
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn event(a: &Action<'_>, in_namespace: &str) -> Event {
    let now = jiff::Timestamp::now();
    Event {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}.", a.env)),
            namespace: Some(in_namespace.to_string()),
            labels: Some(BTreeMap::from([
                (LABEL_MANAGED_BY.to_string(), MANAGED_BY.to_string()),
                (LABEL_ENV.to_string(), a.env.to_string()),
                (LABEL_ACTION.to_string(), a.action.to_string()),
            ])),
            annotations: Some(BTreeMap::from([(ANN_ACTOR.to_string(), a.actor.to_string())])),
            ..Default::default()
        },
        involved_object: ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Namespace".into()),
            name: Some(a.namespace.to_string()),
            // The API server wants an event's object in the event's own namespace, even for a
            // cluster-scoped object like this one.
            namespace: Some(in_namespace.to_string()),
            ..Default::default()
        },
        reason: Some(reason(a.action)),
        message: Some(a.message.clone()),
        type_: Some("Normal".into()),
        source: Some(EventSource {
            component: Some("kubenv".into()),
            host: None,
        }),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        event_time: Some(MicroTime(now)),
        action: Some(a.action.to_string()),
        reporting_component: Some("kubenv".into()),
        reporting_instance: Some(crate::cluster::user_agent()),
        count: Some(1),
        ..Default::default()
    }
}

/// Where an action is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trail {
    /// In the environment's namespace (false once it is gone).
    pub environment: bool,
    /// In kubenv-system (false when the policy lookup found none: no `kubenv admin init`).
    pub system: bool,
}

impl Trail {
    pub const BOTH: Trail = Trail {
        environment: true,
        system: true,
    };

    /// Both, or only the environment's when the policy says kubenv-system is not there.
    pub fn for_policy(source: crate::policy::PolicySource) -> Trail {
        Trail {
            environment: true,
            system: source == crate::policy::PolicySource::Cluster,
        }
    }
}

/// Records an action in both places, at once. Best effort: a trail that cannot be written
/// (no kubenv-system, no permission) never fails the action itself; the result says so.
pub async fn record(host: &Host, a: &Action<'_>, trail: Trail) -> bool {
    let sys: Api<Event> = Api::namespaced(host.client.clone(), SYSTEM_NAMESPACE);
    let local: Api<Event> = Api::namespaced(host.client.clone(), a.namespace);
    let pp = PostParams::default();
    let (e1, e2) = (event(a, SYSTEM_NAMESPACE), event(a, a.namespace));
    let (system, env_namespace_alive) = (trail.system, trail.environment);
    let (r1, r2) = futures::join!(
        async {
            if system {
                sys.create(&pp, &e1).await.map(Some)
            } else {
                Ok(None)
            }
        },
        async {
            if env_namespace_alive {
                local.create(&pp, &e2).await.map(Some)
            } else {
                Ok(None)
            }
        }
    );
    r1.is_ok() && r2.is_ok()
}

/// One entry of `kubenv history`.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub time: String,
    pub environment: String,
    pub action: String,
    pub actor: String,
    pub message: String,
}

/// The trail from kubenv-system, oldest first; optionally for one environment and since a time.
pub async fn history(host: &Host, env: Option<&str>, since: Option<jiff::Timestamp>) -> Result<Vec<Entry>> {
    let api: Api<Event> = Api::namespaced(host.client.clone(), SYSTEM_NAMESPACE);
    let mut sel = format!("{LABEL_MANAGED_BY}={MANAGED_BY}");
    if let Some(e) = env {
        sel.push_str(&format!(",{LABEL_ENV}={e}"));
    }
    let list = api
        .list(&ListParams::default().labels(&sel))
        .await
        .map_err(|e| host.map(e))?;
    let mut out: Vec<(jiff::Timestamp, Entry)> = list
        .items
        .into_iter()
        .filter_map(|ev| {
            let t = ev
                .event_time
                .as_ref()
                .map(|t| t.0)
                .or(ev.first_timestamp.as_ref().map(|t| t.0))?;
            if since.is_some_and(|s| t < s) {
                return None;
            }
            let labels = ev.metadata.labels.clone().unwrap_or_default();
            Some((
                t,
                Entry {
                    time: t.to_string(),
                    environment: labels.get(LABEL_ENV).cloned().unwrap_or_default(),
                    action: labels.get(LABEL_ACTION).cloned().unwrap_or_default(),
                    actor: ev
                        .metadata
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get(ANN_ACTOR))
                        .cloned()
                        .unwrap_or_default(),
                    message: ev.message.unwrap_or_default(),
                },
            ))
        })
        .collect();
    out.sort_by_key(|(t, _)| *t);
    Ok(out.into_iter().map(|(_, e)| e).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reasons() {
        assert_eq!(super::reason("gc-delete"), "GcDelete");
        assert_eq!(super::reason("create"), "Create");
    }
}
