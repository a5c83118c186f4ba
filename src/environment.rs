//! The environment: the record every command shows, whatever backend made it, with its
//! status derived from its namespace (the record, see `backend::records`) and its quota.

use crate::names::label_value;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Namespace, ResourceQuota};
use serde::Serialize;
use std::collections::BTreeMap;

pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "kubenv";
pub const LABEL_ENV: &str = "kubenv.dev/environment";
pub const LABEL_OWNER: &str = "kubenv.dev/owner";
pub const LABEL_TEAM: &str = "kubenv.dev/team";
/// The environment's kind (`namespace` when absent: every environment made before kinds).
pub const LABEL_KIND: &str = "kubenv.dev/type";
pub const ANN_OWNER: &str = "kubenv.dev/owner";
pub const ANN_TEAM: &str = "kubenv.dev/team";
pub const ANN_TEMPLATE: &str = "kubenv.dev/template";
pub const ANN_EXPIRES: &str = "kubenv.dev/expires-at";
pub const ANN_SLEEPING: &str = "kubenv.dev/sleeping-since";
pub const ANN_LAST_ACTIVITY: &str = "kubenv.dev/last-activity";
pub const ANN_REPLICAS: &str = "kubenv.dev/replicas-before-sleep";
pub const ANN_SUSPENDED: &str = "kubenv.dev/suspended-by-sleep";
pub const ANN_EXCLUDE: &str = "kubenv.dev/exclude-from-sleep";

pub const QUOTA_NAME: &str = "kubenv-quota";
pub const SLEEP_QUOTA_NAME: &str = "kubenv-sleep";
pub const TENANT_SA: &str = "tenant";

pub fn managed_selector() -> String {
    format!("{LABEL_MANAGED_BY}={MANAGED_BY}")
}

/// What kind of environment it is: which backend made it and manages it.
#[derive(Clone, Copy, Debug, Default, Serialize, serde::Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A namespace of the host cluster with its guardrails.
    #[default]
    Namespace,
    /// A virtual cluster (loft-sh/vcluster) in a namespace with the same guardrails: its own
    /// API server, CRDs and cluster-scoped objects, its pods synced to the host.
    VCluster,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[Kind::Namespace, Kind::VCluster];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Namespace => "namespace",
            Kind::VCluster => "vcluster",
        }
    }

    pub fn is_namespace(&self) -> bool {
        *self == Kind::Namespace
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Kind, String> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s).ok_or_else(|| {
            let all: Vec<_> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            format!("{s:?} is not a kind of environment; use one of {}", all.join(", "))
        })
    }
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub enum Status {
    Active,
    Sleeping,
    Expired,
    Terminating,
    /// The namespace exists but its guardrails are not all there (an interrupted create);
    /// `kubenv create NAME --if-not-exists` completes it.
    Incomplete,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Status::Active => "Active",
            Status::Sleeping => "Sleeping",
            Status::Expired => "Expired",
            Status::Terminating => "Terminating",
            Status::Incomplete => "Incomplete",
        };
        f.write_str(s)
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Usage {
    pub used: String,
    pub hard: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct QuotaUsage {
    pub cpu: Usage,
    pub memory: Usage,
    pub pods: Usage,
}

/// One way in. Every field is always present (null or empty when unknown), as in the
/// Environment object.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// `Ingress` or `Service`.
    pub kind: String,
    /// The Ingress's or Service's name.
    pub name: String,
    /// For a Service, `LoadBalancer` or `NodePort`; null for an Ingress.
    #[serde(rename = "type")]
    pub service_type: Option<String>,
    /// The Ingress rule's host (null for a rule without one).
    pub host: Option<String>,
    /// The Ingress path (`/` when the rule has none).
    pub path: Option<String>,
    /// Where a browser goes: `https://HOST/PATH` when the host is in the Ingress's TLS
    /// section, else `http://`; for a hostless rule, its load balancer address once assigned.
    pub url: Option<String>,
    /// The load balancer's IP or host name, once the cluster assigned one.
    pub address: Option<String>,
    /// Service ports as kubectl shows them: `80:30080/TCP` (port:nodePort/protocol).
    pub ports: Vec<String>,
}

/// One environment as every command shows it. Field names are a stable contract.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    pub name: String,
    pub namespace: String,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub template: Option<String>,
    pub status: Status,
    pub created_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub sleeping_since: Option<Timestamp>,
    pub context: String,
    pub quota: Option<QuotaUsage>,
    /// The namespace's labels and annotations that are not kubenv's own: those of
    /// `create --label/--annotation`, or set with kubectl.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// What the environment exposes; looked up by `get` and `create` only (null in `list`,
    /// which stays at two requests whatever the number of environments).
    pub endpoints: Option<Vec<Endpoint>>,
    /// Which backend manages it.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Whether its record says it sleeps (whatever the status shows first); `status` is
    /// derived from it ([`Environment::settle`]).
    #[serde(skip)]
    pub asleep: bool,
}

/// What is known of an environment's guardrails, for its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guardrails {
    /// Its quota is there.
    Present,
    /// Its quota is missing: an interrupted create.
    Missing,
    /// The caller may not read quotas: unknown, not missing.
    Unknown,
}

/// How an environment's status follows from its record; the one place it is decided.
pub fn status(terminating: bool, guardrails: Guardrails, expired: bool, asleep: bool) -> Status {
    if terminating {
        Status::Terminating
    } else if guardrails == Guardrails::Missing {
        Status::Incomplete
    } else if expired {
        Status::Expired
    } else if asleep {
        Status::Sleeping
    } else {
        Status::Active
    }
}

impl Environment {
    /// Derives the environment from its namespace and (if found) its quota.
    pub fn from_namespace(ns: &Namespace, quota: Option<&ResourceQuota>, now: Timestamp) -> Option<Environment> {
        let meta = &ns.metadata;
        let labels = meta.labels.as_ref()?;
        if labels.get(LABEL_MANAGED_BY).map(String::as_str) != Some(MANAGED_BY) {
            return None;
        }
        let ann = meta.annotations.clone().unwrap_or_default();
        let name = labels.get(LABEL_ENV).cloned().or_else(|| meta.name.clone())?;
        let expires_at = ann.get(ANN_EXPIRES).and_then(|t| t.parse::<Timestamp>().ok());
        // Asleep is the annotation's presence; its value is when it fell asleep.
        let asleep = ann.contains_key(ANN_SLEEPING);
        let sleeping_since = ann.get(ANN_SLEEPING).and_then(|t| t.parse::<Timestamp>().ok());
        let terminating = meta.deletion_timestamp.is_some()
            || ns.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Terminating");
        let expired = expires_at.is_some_and(|t| t <= now);
        let guardrails = if quota.is_some() {
            Guardrails::Present
        } else {
            Guardrails::Missing
        };
        let status = status(terminating, guardrails, expired, asleep);
        Some(Environment {
            context: context_name(&name),
            name,
            namespace: meta.name.clone().unwrap_or_default(),
            owner: ann.get(ANN_OWNER).cloned(),
            team: ann.get(ANN_TEAM).cloned().or_else(|| labels.get(LABEL_TEAM).cloned()),
            template: ann.get(ANN_TEMPLATE).cloned(),
            status,
            created_at: meta.creation_timestamp.as_ref().map(|t| t.0),
            expires_at,
            sleeping_since,
            quota: quota.map(quota_usage),
            labels: user_keys(labels),
            annotations: user_keys(&ann),
            endpoints: None,
            kind: labels.get(LABEL_KIND).and_then(|k| k.parse().ok()).unwrap_or_default(),
            asleep,
        })
    }

    /// The status again, once more is known of the guardrails or the expiry changed.
    pub fn settle(&mut self, guardrails: Guardrails, now: Timestamp) {
        let expired = self.expires_at.is_some_and(|t| t <= now);
        self.status = status(self.status == Status::Terminating, guardrails, expired, self.asleep);
    }

    /// Whether its record says it sleeps (an Expired or Incomplete one may too).
    pub fn is_asleep(&self) -> bool {
        self.asleep
    }

    pub fn is_owned_by(&self, who: &str) -> bool {
        self.owner.as_deref() == Some(who)
    }
}

/// Keys neither kubenv nor Kubernetes set on a namespace.
fn user_keys(m: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    m.iter()
        .filter(|(k, _)| {
            !crate::names::is_kubenv_key(k)
                && !k.starts_with("kubernetes.io/")
                && k.as_str() != "kubectl.kubernetes.io/last-applied-configuration"
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

pub fn quota_usage(q: &ResourceQuota) -> QuotaUsage {
    let status = q.status.as_ref();
    let spec_hard = q.spec.as_ref().and_then(|s| s.hard.as_ref());
    let get = |key: &str| -> Usage {
        let hard = status
            .and_then(|s| s.hard.as_ref())
            .and_then(|h| h.get(key))
            .or_else(|| spec_hard.and_then(|h| h.get(key)))
            .map(|v| v.0.clone())
            .unwrap_or_else(|| "-".into());
        let used = status
            .and_then(|s| s.used.as_ref())
            .and_then(|u| u.get(key))
            .map(|v| v.0.clone())
            .unwrap_or_else(|| "0".into());
        Usage { used, hard }
    };
    QuotaUsage {
        cpu: get("requests.cpu"),
        memory: get("requests.memory"),
        pods: get("pods"),
    }
}

/// The name of an environment's context (and of its user entry): `kubenv-ENV`.
pub fn context_name(env: &str) -> String {
    format!("kubenv-{env}")
}

/// The current time as kubenv writes it in annotations: whole seconds, RFC 3339, UTC.
pub fn now_stamp() -> Timestamp {
    let now = Timestamp::now();
    now.round(jiff::Unit::Second).unwrap_or(now)
}

/// When something made now with `ttl` to live expires (whole seconds).
pub fn expiry_after(now: Timestamp, ttl: std::time::Duration) -> Timestamp {
    let secs = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    let t = now
        .checked_add(jiff::SignedDuration::from_secs(secs))
        .unwrap_or(jiff::Timestamp::MAX);
    t.round(jiff::Unit::Second).unwrap_or(t)
}

/// The owner label value for an identity (selection only; the annotation is exact).
pub fn owner_label(identity: &str) -> String {
    label_value(identity)
}

/// Namespaces for unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

    /// Environment `a`'s namespace with these annotations, being deleted if `terminating`.
    pub fn namespace(ann: &[(&str, &str)], terminating: bool) -> Namespace {
        Namespace {
            metadata: ObjectMeta {
                name: Some("env-a".into()),
                labels: Some(BTreeMap::from([
                    (LABEL_MANAGED_BY.to_string(), MANAGED_BY.to_string()),
                    (LABEL_ENV.to_string(), "a".to_string()),
                ])),
                annotations: Some(ann.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
                deletion_timestamp: terminating.then(|| Time("2029-01-01T00:00:00Z".parse().unwrap())),
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(ann: &[(&str, &str)]) -> Namespace {
        fixtures::namespace(ann, false)
    }

    #[test]
    fn status_is_derived() {
        let now: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let q = ResourceQuota::default();
        let e = Environment::from_namespace(&ns(&[]), Some(&q), now).unwrap();
        assert_eq!(
            (e.status, e.name.as_str(), e.context.as_str()),
            (Status::Active, "a", "kubenv-a")
        );
        let e = Environment::from_namespace(&ns(&[(ANN_EXPIRES, "2029-01-01T00:00:00Z")]), Some(&q), now).unwrap();
        assert_eq!(e.status, Status::Expired);
        let e = Environment::from_namespace(&ns(&[(ANN_SLEEPING, "2029-01-01T00:00:00Z")]), Some(&q), now).unwrap();
        assert_eq!(e.status, Status::Sleeping);
        let e = Environment::from_namespace(&ns(&[]), None, now).unwrap();
        assert_eq!(e.status, Status::Incomplete);
        let mut with_user = ns(&[("example.com/pr-url", "https://x"), (ANN_OWNER, "a")]);
        with_user
            .metadata
            .labels
            .as_mut()
            .unwrap()
            .insert("tier".into(), "preview".into());
        with_user
            .metadata
            .labels
            .as_mut()
            .unwrap()
            .insert("kubernetes.io/metadata.name".into(), "env-a".into());
        let e = Environment::from_namespace(&with_user, Some(&q), now).unwrap();
        assert_eq!(e.labels, BTreeMap::from([("tier".to_string(), "preview".to_string())]));
        assert_eq!(
            e.annotations,
            BTreeMap::from([("example.com/pr-url".to_string(), "https://x".to_string())])
        );
        let mut unmanaged = ns(&[]);
        unmanaged.metadata.labels = None;
        assert!(Environment::from_namespace(&unmanaged, Some(&q), now).is_none());
    }

    #[test]
    fn status_rules() {
        use Guardrails::*;
        assert_eq!(status(true, Missing, true, true), Status::Terminating);
        assert_eq!(status(false, Missing, true, true), Status::Incomplete);
        assert_eq!(status(false, Unknown, true, true), Status::Expired);
        assert_eq!(status(false, Present, false, true), Status::Sleeping);
        assert_eq!(status(false, Unknown, false, false), Status::Active);
        let now: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let mut e = Environment::from_namespace(&ns(&[(ANN_SLEEPING, "not a time")]), None, now).unwrap();
        assert_eq!((e.status, e.sleeping_since), (Status::Incomplete, None));
        e.settle(Unknown, now);
        assert_eq!(e.status, Status::Sleeping, "asleep even when the time is unreadable");
        e.expires_at = Some("2029-01-01T00:00:00Z".parse().unwrap());
        e.settle(Present, now);
        assert_eq!(e.status, Status::Expired);
    }

    #[test]
    fn expiry_is_whole_seconds() {
        let now: Timestamp = "2030-01-01T00:00:00.6Z".parse().unwrap();
        let t = expiry_after(now, std::time::Duration::from_secs(3600));
        assert_eq!(t.to_string(), "2030-01-01T01:00:01Z");
        assert!(expiry_after(now, std::time::Duration::MAX) > now);
    }

    #[test]
    fn json_field_names_are_stable() {
        let now: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let e = Environment::from_namespace(&ns(&[]), Some(&ResourceQuota::default()), now).unwrap();
        let v = serde_json::to_value(&e).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "name",
                "namespace",
                "owner",
                "team",
                "template",
                "status",
                "createdAt",
                "expiresAt",
                "sleepingSince",
                "context",
                "quota",
                "labels",
                "annotations",
                "endpoints",
                "type"
            ]
        );
    }
}
