//! A per-environment lock (a coordination.k8s.io Lease in the namespace), so that sleep,
//! wake and gc acting on one environment from several places take turns. A holder that dies
//! leaves a lease that expires on its own.

use crate::cluster::Host;
use crate::error::{Error, Result, api_code};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams, Preconditions};
use std::time::Duration;

pub const LEASE_NAME: &str = "kubenv-lock";
const LEASE_SECONDS: i32 = 60;

pub struct Guard {
    api: Api<Lease>,
    released: bool,
}

impl Guard {
    pub async fn release(mut self) {
        self.released = true;
        let _ = self.api.delete(LEASE_NAME, &DeleteParams::default()).await;
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.released {
            // Dropped on an error path: release in the background if a runtime is still there.
            let api = self.api.clone();
            if let Ok(h) = tokio::runtime::Handle::try_current() {
                h.spawn(async move {
                    let _ = api.delete(LEASE_NAME, &DeleteParams::default()).await;
                });
            }
        }
    }
}

pub async fn acquire(host: &Host, namespace: &str, action: &str) -> Result<Guard> {
    let api: Api<Lease> = Api::namespaced(host.client.clone(), namespace);
    let holder = format!("kubenv-{action}-{}-{}", std::process::id(), hostname());
    let start = std::time::Instant::now();
    loop {
        let now = jiff::Timestamp::now();
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(LEASE_NAME.into()),
                ..Default::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(holder.clone()),
                lease_duration_seconds: Some(LEASE_SECONDS),
                acquire_time: Some(MicroTime(now)),
                renew_time: Some(MicroTime(now)),
                ..Default::default()
            }),
        };
        match api.create(&PostParams::default(), &lease).await {
            Ok(_) => {
                return Ok(Guard { api, released: false });
            }
            Err(e) if api_code(&e) == Some(409) => {
                if let Some(cur) = api.get_opt(LEASE_NAME).await.map_err(|e| host.map(e))? {
                    let spec = cur.spec.clone().unwrap_or_default();
                    let renewed = spec.renew_time.map(|t| t.0).unwrap_or(now);
                    let dur = spec.lease_duration_seconds.unwrap_or(LEASE_SECONDS) as i64;
                    if renewed + jiff::SignedDuration::from_secs(dur) < now {
                        // Stale: its holder died. Take it over, unless someone else just did.
                        let dp = DeleteParams {
                            preconditions: Some(Preconditions {
                                resource_version: cur.metadata.resource_version.clone(),
                                uid: None,
                            }),
                            ..Default::default()
                        };
                        let _ = api.delete(LEASE_NAME, &dp).await;
                        continue;
                    }
                }
            }
            Err(e) if api_code(&e) == Some(404) => {
                return Err(Error::Other(format!("namespace {namespace} is gone")));
            }
            Err(e) => return Err(host.map(e)),
        }
        if start.elapsed() > host.timeout {
            return Err(Error::Timeout {
                what: format!("another kubenv command to finish with {namespace}"),
                seconds: host.timeout.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}
