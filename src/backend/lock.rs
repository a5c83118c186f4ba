//! A per-environment lock (a coordination.k8s.io Lease `kubenv-lock` in the namespace), so
//! that sleep, wake and gc acting on one environment from several places take turns.
//!
//! Only the environment's owner and platform actors may write it (the admission policy
//! `kubenv-tenant-limits`), and nothing in it is taken on trust: like client-go's leader
//! election, a lease counts as held only while its holder keeps renewing it, measured with
//! this process's own clock from when it first saw the lease (a renewTime far in the future
//! buys nothing). A holder renews in the background during long work and releases on drop,
//! including on Ctrl-C (main waits briefly for `wait_for_releases`).

use crate::cluster::Host;
use crate::error::{Error, Result, api_code};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams, Preconditions};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const LEASE_NAME: &str = "kubenv-lock";
/// How long a holder may go without renewing; it renews three times as often.
const LEASE_SECONDS: i32 = 60;

/// Releases started on drop and not finished yet (see `wait_for_releases`).
static PENDING: AtomicUsize = AtomicUsize::new(0);

pub struct Guard {
    api: Api<Lease>,
    holder: String,
    renewer: Option<tokio::task::JoinHandle<()>>,
    released: bool,
}

impl Guard {
    pub async fn release(mut self) {
        self.released = true;
        if let Some(r) = self.renewer.take() {
            r.abort();
        }
        release(&self.api, &self.holder).await;
    }
}

/// Deletes the lease if it is still ours (someone may have taken it over meanwhile).
async fn release(api: &Api<Lease>, holder: &str) {
    if let Ok(Some(cur)) = api.get_opt(LEASE_NAME).await
        && cur.spec.as_ref().and_then(|s| s.holder_identity.as_deref()) == Some(holder)
    {
        let dp = DeleteParams {
            preconditions: Some(Preconditions {
                resource_version: cur.metadata.resource_version.clone(),
                uid: None,
            }),
            ..Default::default()
        };
        let _ = api.delete(LEASE_NAME, &dp).await;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(r) = self.renewer.take() {
            r.abort();
        }
        if !self.released {
            // Dropped on an error path or by Ctrl-C: release in the background while the
            // runtime is still there; main gives it a moment before exiting.
            let (api, holder) = (self.api.clone(), self.holder.clone());
            if let Ok(h) = tokio::runtime::Handle::try_current() {
                PENDING.fetch_add(1, Ordering::SeqCst);
                h.spawn(async move {
                    release(&api, &holder).await;
                    PENDING.fetch_sub(1, Ordering::SeqCst);
                });
            }
        }
    }
}

/// Waits (at most `max`) for the releases dropped guards started, so an interrupted command
/// does not leave its lock for the next one to wait out.
pub async fn wait_for_releases(max: Duration) {
    let start = Instant::now();
    while PENDING.load(Ordering::SeqCst) > 0 && start.elapsed() < max {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What is known about a lease someone else holds: when this process first saw it in this
/// exact state (resourceVersion), by its own clock.
struct Observed {
    version: Option<String>,
    since: Instant,
}

/// Whether a lease held by someone else may be taken over now.
fn stale(lease: &Lease, seen: &Observed, now: jiff::Timestamp) -> bool {
    let spec = lease.spec.clone().unwrap_or_default();
    // Whatever a lease claims, kubenv's holders renew within LEASE_SECONDS.
    let dur = spec
        .lease_duration_seconds
        .unwrap_or(LEASE_SECONDS)
        .clamp(1, LEASE_SECONDS) as i64;
    let dur_s = jiff::SignedDuration::from_secs(dur);
    let Some(renewed) = spec.renew_time.map(|t| t.0) else {
        return true;
    };
    // A renewal from the future beyond a lease's length is not one kubenv wrote.
    if renewed > now + dur_s {
        return true;
    }
    // By the lease's own timestamps (another clock), or by ours since we saw it unchanged.
    renewed + dur_s < now || seen.since.elapsed() > Duration::from_secs(dur as u64)
}

fn our_lease(holder: &str, from: Option<&Lease>) -> Lease {
    let now = MicroTime(jiff::Timestamp::now());
    Lease {
        metadata: ObjectMeta {
            name: Some(LEASE_NAME.into()),
            resource_version: from.and_then(|l| l.metadata.resource_version.clone()),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(holder.to_string()),
            lease_duration_seconds: Some(LEASE_SECONDS),
            acquire_time: Some(now.clone()),
            renew_time: Some(now),
            lease_transitions: from
                .and_then(|l| l.spec.as_ref())
                .and_then(|s| s.lease_transitions)
                .map(|n| n + 1),
            ..Default::default()
        }),
    }
}

/// Takes the lock, waiting for it up to the command's timeout.
pub async fn acquire(host: &Host, namespace: &str, action: &str) -> Result<Guard> {
    match try_acquire(host, namespace, action, host.remaining()).await? {
        Ok(g) => Ok(g),
        Err(holder) => Err(Error::Timeout {
            what: format!("another kubenv command ({holder}) to finish with {namespace}"),
            seconds: host.timeout.as_secs(),
        }),
    }
}

/// Takes the lock, waiting at most `wait`; `Ok(Err(holder))` when someone live still holds it.
pub async fn try_acquire(
    host: &Host,
    namespace: &str,
    action: &str,
    wait: Duration,
) -> Result<std::result::Result<Guard, String>> {
    let api: Api<Lease> = Api::namespaced(host.client.clone(), namespace);
    let holder = format!("kubenv-{action}-{}-{}", std::process::id(), hostname());
    let start = Instant::now();
    let mut seen: Option<Observed> = None;
    loop {
        match api.create(&PostParams::default(), &our_lease(&holder, None)).await {
            Ok(l) => return Ok(Ok(hold(api, holder, l))),
            Err(e) if api_code(&e) == Some(409) => {}
            Err(e) if api_code(&e) == Some(404) => {
                return Err(Error::Other(format!("namespace {namespace} is gone")));
            }
            Err(e) => return Err(host.map(e)),
        }
        let Some(cur) = api.get_opt(LEASE_NAME).await.map_err(|e| host.map(e))? else {
            continue; // released in between: try again at once
        };
        let version = cur.metadata.resource_version.clone();
        let obs = match seen.take() {
            Some(o) if o.version == version => o,
            _ => Observed {
                version,
                since: Instant::now(),
            },
        };
        let current_holder = cur
            .spec
            .as_ref()
            .and_then(|s| s.holder_identity.clone())
            .unwrap_or_else(|| "unknown holder".into());
        if stale(&cur, &obs, jiff::Timestamp::now()) {
            // Take it over in place: the resourceVersion makes this atomic against others.
            match api
                .replace(LEASE_NAME, &PostParams::default(), &our_lease(&holder, Some(&cur)))
                .await
            {
                Ok(l) => return Ok(Ok(hold(api, holder, l))),
                Err(e) if matches!(api_code(&e), Some(409 | 404)) => continue,
                Err(e) => return Err(host.map(e)),
            }
        }
        seen = Some(obs);
        if start.elapsed() >= wait {
            return Ok(Err(current_holder));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A guard for a lease just taken, renewing it in the background until released.
fn hold(api: Api<Lease>, holder: String, lease: Lease) -> Guard {
    let last = Arc::new(Mutex::new(lease));
    let renewer = {
        let api = api.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(LEASE_SECONDS as u64 / 3)).await;
                let mut next = last.lock().map(|l| l.clone()).unwrap_or_default();
                if let Some(s) = next.spec.as_mut() {
                    s.renew_time = Some(MicroTime(jiff::Timestamp::now()));
                }
                match api.replace(LEASE_NAME, &PostParams::default(), &next).await {
                    Ok(l) => {
                        if let Ok(mut g) = last.lock() {
                            *g = l;
                        }
                    }
                    // Taken over or gone: nothing left to renew.
                    Err(e) if matches!(api_code(&e), Some(409 | 404)) => return,
                    // Briefly unreachable: try again at the next tick, within the lease.
                    Err(_) => {}
                }
            }
        })
    };
    Guard {
        api,
        holder,
        renewer: Some(renewer),
        released: false,
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(renewed: jiff::Timestamp, secs: i32) -> Lease {
        Lease {
            spec: Some(LeaseSpec {
                holder_identity: Some("someone".into()),
                renew_time: Some(MicroTime(renewed)),
                lease_duration_seconds: Some(secs),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn forged_or_abandoned_leases_are_stale() {
        let now = jiff::Timestamp::now();
        let fresh = Observed {
            version: None,
            since: Instant::now(),
        };
        let s = jiff::SignedDuration::from_secs;
        assert!(!stale(&lease(now, 60), &fresh, now), "just renewed");
        assert!(stale(&lease(now - s(61), 60), &fresh, now), "not renewed in time");
        assert!(stale(&lease(now + s(3600), 60), &fresh, now), "renewed in the future");
        // A huge duration does not make it last: kubenv holders renew within 60s.
        assert!(stale(&lease(now - s(120), 1_000_000), &fresh, now));
        let long_ago = Observed {
            version: None,
            since: Instant::now() - Duration::from_secs(61),
        };
        assert!(
            stale(&lease(now + s(30), 60), &long_ago, now),
            "unchanged for longer than its duration, by our clock"
        );
    }
}
