//! Garbage collection: deletes expired environments and puts to sleep those idle longer than
//! the policy allows or outside its uptime schedule. Safe to run from many places at once:
//! each action takes the environment's lock and re-checks before acting, so two runs never
//! both act on one environment.

use super::ADMIN_GROUP;
use crate::Progress;
use crate::audit::{self, Action, Trail};
use crate::backend::{Backend, lock};
use crate::cluster::Host;
use crate::environment::*;
use crate::error::{Error, Result, api_code};
use crate::names::parse_duration;
use crate::schedule::Schedule;
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams};
use serde::Serialize;
use std::collections::HashMap;

/// Field managers whose writes are the cluster's own bookkeeping, not someone's activity.
const SYSTEM_MANAGERS: &[&str] = &[
    "kubenv",
    "kube-controller-manager",
    "kubelet",
    "kube-scheduler",
    "kube-apiserver",
];

/// How long gc waits for an environment another command holds before skipping it.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Clone, Debug, Default)]
pub struct GcOptions {
    pub dry_run: bool,
}

/// What gc does to an environment.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GcKind {
    /// Expired: deleted.
    Delete,
    /// Idle, or outside the uptime schedule: put to sleep.
    Sleep,
}

impl GcKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GcKind::Delete => "delete",
            GcKind::Sleep => "sleep",
        }
    }
}

impl std::fmt::Display for GcKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one gc run did (or, on a dry run, would do).
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GcReport {
    pub dry_run: bool,
    pub actions: Vec<GcAction>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GcAction {
    pub environment: String,
    pub namespace: String,
    pub action: GcKind,
    pub reason: String,
    /// False on a dry run, or when another run got there first (see `skipped`).
    pub done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// The latest write to an object by anyone but the cluster itself.
fn last_write(meta: &ObjectMeta) -> Option<Timestamp> {
    meta.managed_fields
        .as_ref()?
        .iter()
        .filter(|m| !SYSTEM_MANAGERS.iter().any(|s| m.manager.as_deref() == Some(s)))
        .filter(|m| m.subresource.as_deref().unwrap_or("") != "status")
        .filter_map(|m| m.time.as_ref().map(|t| t.0))
        .max()
}

/// Latest user write per namespace, from cluster-wide metadata lists of common kinds.
async fn activity(host: &Host) -> Result<HashMap<String, Timestamp>> {
    let lp = ListParams::default();
    let c = || host.client.clone();
    let (d, s, svc, cm, p) = (
        Api::<Deployment>::all(c()),
        Api::<StatefulSet>::all(c()),
        Api::<Service>::all(c()),
        Api::<ConfigMap>::all(c()),
        Api::<Pod>::all(c()),
    );
    let (d, s, svc, cm, p) = futures::join!(
        d.list_metadata(&lp),
        s.list_metadata(&lp),
        svc.list_metadata(&lp),
        cm.list_metadata(&lp),
        p.list_metadata(&lp)
    );
    let mut out: HashMap<String, Timestamp> = HashMap::new();
    let mut add = |metas: Vec<ObjectMeta>| {
        for m in metas {
            if let (Some(ns), Some(t)) = (m.namespace.clone(), last_write(&m)) {
                let e = out.entry(ns).or_insert(t);
                if t > *e {
                    *e = t;
                }
            }
        }
    };
    macro_rules! take {
        ($r:expr) => {
            match $r {
                Ok(l) => add(l.items.into_iter().map(|o| o.metadata).collect()),
                // A kind the caller may not list cluster-wide does not stop gc.
                Err(e) if api_code(&e) == Some(403) => {}
                Err(e) => return Err(host.map(e)),
            }
        };
    }
    take!(d);
    take!(s);
    take!(svc);
    take!(cm);
    take!(p);
    Ok(out)
}

fn ann(ns: &Namespace, key: &str) -> Option<String> {
    ns.metadata.annotations.as_ref().and_then(|a| a.get(key)).cloned()
}

fn ts(s: Option<String>) -> Option<Timestamp> {
    s?.parse().ok()
}

/// What gc would do to one environment, and why.
pub fn decide(
    ns: &Namespace,
    now: Timestamp,
    idle_after: Option<std::time::Duration>,
    schedule: Option<&Schedule>,
    last_write: Option<Timestamp>,
) -> Option<(GcKind, String)> {
    if ns.metadata.deletion_timestamp.is_some() {
        return None;
    }
    if let Some(exp) = ts(ann(ns, ANN_EXPIRES))
        && exp <= now
    {
        return Some((GcKind::Delete, format!("expired at {exp}")));
    }
    if ann(ns, ANN_SLEEPING).is_some() {
        return None;
    }
    if let Some(s) = schedule
        && !s.is_up(now)
    {
        return Some((GcKind::Sleep, "outside the uptime schedule".into()));
    }
    if let Some(idle) = idle_after {
        // The last-activity annotation is the clock (kubenv sets it at create, connect and
        // wake); without it, the namespace's creation. Writes by anyone else count too.
        let base = ts(ann(ns, ANN_LAST_ACTIVITY)).or(ns.metadata.creation_timestamp.as_ref().map(|t| t.0));
        let last = match (base, last_write) {
            (Some(b), Some(w)) => Some(b.max(w)),
            (b, w) => b.or(w),
        };
        if let Some(last) = last {
            let idle_for = now.as_second() - last.as_second();
            if idle_for >= idle.as_secs() as i64 {
                return Some((GcKind::Sleep, format!("idle since {last}")));
            }
        }
    }
    None
}

/// One gc run, within the command's deadline.
pub async fn gc(host: &Host, opts: &GcOptions, progress: Progress<'_>) -> Result<GcReport> {
    let actions = host.deadline("gc", run(host, opts, progress)).await?;
    Ok(GcReport {
        dry_run: opts.dry_run,
        actions,
    })
}

async fn run(host: &Host, opts: &GcOptions, progress: Progress<'_>) -> Result<Vec<GcAction>> {
    let (policy, _) = crate::policy::load(host).await?;
    let idle_after = policy
        .sleep
        .after_inactivity
        .as_deref()
        .map(parse_duration)
        .transpose()?;
    let schedule = policy
        .sleep
        .schedule
        .as_deref()
        .map(Schedule::parse)
        .transpose()
        .map_err(Error::InvalidInput)?;
    let ns_api: Api<Namespace> = Api::all(host.client.clone());
    progress("listing environments");
    let lp = ListParams::default().labels(&managed_selector());
    let (nss, writes) = futures::join!(ns_api.list(&lp), async {
        if idle_after.is_some() {
            activity(host).await
        } else {
            Ok(HashMap::new())
        }
    });
    let nss = nss.map_err(|e| host.map(e))?;
    let writes = writes?;
    let now = Timestamp::now();
    let mut plan = Vec::new();
    for ns in &nss.items {
        let name = ns.metadata.name.clone().unwrap_or_default();
        if let Some((action, reason)) = decide(ns, now, idle_after, schedule.as_ref(), writes.get(&name).copied()) {
            let env = ns
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(LABEL_ENV))
                .cloned()
                .unwrap_or(name.clone());
            plan.push(GcAction {
                environment: env,
                namespace: name,
                action,
                reason,
                done: false,
                skipped: None,
            });
        }
    }
    if opts.dry_run {
        return Ok(plan);
    }
    // Acting on everyone's environments is for platform admins and the gc ServiceAccount.
    if !plan.is_empty() {
        let (del, slp) = futures::join!(
            host.can_i("delete", ADMIN_GROUP, "environments", ""),
            host.can_i("sleep", ADMIN_GROUP, "environments", "")
        );
        if !(del? && slp?) {
            return Err(Error::Forbidden {
                message: "gc acts on everyone's environments, so it needs delete and sleep on environments.kubenv.dev \
                          (ClusterRole kubenv:admin or kubenv:gc); `kubenv gc --dry-run` shows what it would do"
                    .into(),
            });
        }
    }
    // The trail names who ran gc, as the server sees it (it refuses anything else); the
    // actions `gc-delete` and `gc-sleep` say it was gc.
    let actor = host.identity().await.map(|i| i.name).unwrap_or_default();
    let tasks = plan.into_iter().enumerate().map(|(i, mut a)| {
        let actor = actor.clone();
        let (idle_after, schedule) = (idle_after, schedule.clone());
        async move {
            progress(&format!("{} {}", a.action, a.environment));
            match act(host, &mut a, &actor, idle_after, schedule.as_ref()).await {
                Ok(()) => Ok((i, a)),
                Err(e) => Err(e),
            }
        }
    });
    // A bounded number of environments at a time, so a backlog of a thousand is a steady
    // stream of requests rather than a burst the API server has to queue or reject.
    use futures::{StreamExt, TryStreamExt};
    let mut done: Vec<(usize, GcAction)> = futures::stream::iter(tasks)
        .buffer_unordered(GC_CONCURRENCY)
        .try_collect()
        .await?;
    done.sort_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, a)| a).collect())
}

/// Environments gc acts on at once.
const GC_CONCURRENCY: usize = 16;

/// Acts on one environment under its lock, after checking the reason still holds.
async fn act(
    host: &Host,
    a: &mut GcAction,
    actor: &str,
    idle_after: Option<std::time::Duration>,
    schedule: Option<&Schedule>,
) -> Result<()> {
    // One busy environment never holds up the run: wait briefly, then skip it with the reason
    // (the next run retries). A stale or forged lock is taken over.
    let wait = LOCK_WAIT.min(host.remaining() / 2);
    let guard = match lock::try_acquire(host, &a.namespace, "gc", wait).await {
        Ok(Ok(g)) => g,
        Ok(Err(holder)) => {
            a.skipped = Some(format!(
                "locked by {holder}, which is still working on it; the next gc run will retry"
            ));
            return Ok(());
        }
        // The namespace is gone or going: another run deleted it.
        Err(Error::Other(_)) => {
            a.skipped = Some("already handled by another run".into());
            return Ok(());
        }
        Err(e) => {
            a.skipped = Some(format!("could not take its lock: {e}"));
            return Ok(());
        }
    };
    let result = async {
        let ns_api: Api<Namespace> = Api::all(host.client.clone());
        let Some(ns) = ns_api.get_opt(&a.namespace).await.map_err(|e| host.map(e))? else {
            a.skipped = Some("already deleted".into());
            return Ok(());
        };
        // Re-decide on the fresh object (activity from writes was checked a moment ago).
        let still = decide(&ns, Timestamp::now(), idle_after, schedule, None).is_some_and(|(act, _)| act == a.action);
        if !still {
            a.skipped = Some("no longer applies (another run acted, or it changed)".into());
            return Ok(());
        }
        let message = format!(
            "{actor} (kubenv gc): {} environment {} ({})",
            if a.action == GcKind::Delete {
                "deleted"
            } else {
                "put to sleep"
            },
            a.environment,
            a.reason
        );
        let action = format!("gc-{}", a.action);
        let rec = Action {
            env: &a.environment,
            namespace: &a.namespace,
            action: &action,
            actor,
            message,
        };
        audit::record(host, &rec, Trail::BOTH).await;
        let env = Environment::from_namespace(&ns, None, Timestamp::now()).ok_or(Error::NotManaged {
            namespace: a.namespace.clone(),
        })?;
        let backend = Backend::for_env(&env);
        match a.action {
            GcKind::Delete => backend.remove(host, &env).await?,
            GcKind::Sleep => {
                backend.sleep(host, &env, &crate::no_progress).await?;
            }
        }
        a.done = true;
        Ok(())
    }
    .await;
    guard.release().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment::fixtures::namespace;
    use std::time::Duration;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn what_gc_does_and_why() {
        let now = t("2030-01-07T12:00:00Z"); // a Monday
        let hour = Some(Duration::from_secs(3600));
        // Expired: deleted, whatever else is true.
        let expired = namespace(&[(ANN_EXPIRES, "2030-01-07T11:00:00Z"), (ANN_SLEEPING, "x")], false);
        let (kind, why) = decide(&expired, now, hour, None, None).unwrap();
        assert_eq!(
            (kind, why.as_str()),
            (GcKind::Delete, "expired at 2030-01-07T11:00:00Z")
        );
        // Being deleted: nothing to do.
        let going = namespace(&[(ANN_EXPIRES, "2030-01-07T11:00:00Z")], true);
        assert_eq!(decide(&going, now, hour, None, None), None);
        // Asleep already: nothing to do.
        let asleep = namespace(&[(ANN_SLEEPING, "2030-01-07T10:00:00Z")], false);
        assert_eq!(decide(&asleep, now, hour, None, None), None);
        // Outside the uptime schedule: sleep.
        let weekend = Schedule::parse("Sat-Sun 10:00-12:00 UTC").unwrap();
        let awake = namespace(&[(ANN_LAST_ACTIVITY, "2030-01-07T11:59:00Z")], false);
        assert_eq!(
            decide(&awake, now, None, Some(&weekend), None).map(|(k, _)| k),
            Some(GcKind::Sleep)
        );
        // Idle longer than the policy allows: sleep; recent activity or a recent write: not.
        let idle = namespace(&[(ANN_LAST_ACTIVITY, "2030-01-07T10:00:00Z")], false);
        let (kind, why) = decide(&idle, now, hour, None, None).unwrap();
        assert_eq!((kind, why.as_str()), (GcKind::Sleep, "idle since 2030-01-07T10:00:00Z"));
        assert_eq!(decide(&awake, now, hour, None, None), None);
        assert_eq!(decide(&idle, now, hour, None, Some(t("2030-01-07T11:30:00Z"))), None);
        // No idle rule: never for inactivity.
        assert_eq!(decide(&idle, now, None, None, None), None);
    }
}
