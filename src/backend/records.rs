//! Where environments are recorded, whatever their kind: each one is a namespace of the
//! host labelled `app.kubernetes.io/managed-by=kubenv` and `kubenv.dev/environment=NAME`,
//! whose annotations hold its owner, team, template, expiry and sleep state, beside the
//! `kubenv-quota` ResourceQuota that makes its usage. Reading them (get, list), and writing
//! those annotations, is the same for every backend.

use crate::cluster::Host;
use crate::environment::*;
use crate::error::{Error, Result, api_code};
use crate::names::{label_value, namespace_for};
use crate::policy::Policy;
use k8s_openapi::api::core::v1::{Namespace, ResourceQuota};
use kube::Resource;
use kube::api::{Api, ListParams, Patch, PatchParams};

/// Looks up one environment (its name checked where it was typed: [`crate::names::EnvName`]).
/// Unmanaged namespaces are refused (exit 5) whatever their name.
pub async fn get(host: &Host, name: &str) -> Result<Environment> {
    // One round trip: find it by its labels, no need to read the policy for the prefix.
    let sel = ListParams::default().labels(&format!("{},{LABEL_ENV}={name}", managed_selector()));
    let ns_api: Api<Namespace> = Api::all(host.client.clone());
    let q_api: Api<ResourceQuota> = Api::all(host.client.clone());
    let (nss, quotas) = futures::join!(ns_api.list(&sel), q_api.list(&sel));
    let nss = nss.map_err(|e| host.map(e))?;
    // A label is easy to put on any namespace; the name must fit too.
    let found = nss.items.iter().find(|n| {
        n.metadata
            .name
            .as_deref()
            .is_some_and(|n| n.ends_with(name) && !crate::names::is_reserved(n))
    });
    if let (Some(ns), Ok(quotas)) = (found, quotas) {
        let nsname = ns.metadata.name.clone().unwrap_or_default();
        let quota = quotas.items.iter().find(|q| {
            q.metadata.name.as_deref() == Some(QUOTA_NAME) && q.metadata.namespace.as_deref() == Some(nsname.as_str())
        });
        if let Some(env) = Environment::from_namespace(ns, quota, jiff::Timestamp::now()) {
            return Ok(env);
        }
    }
    // Not there (or quotas not listable): look it up by name, which also tells an unmanaged
    // namespace (exit 5) from a missing one (exit 3).
    let (policy, _) = crate::policy::load(host).await?;
    get_with_policy(host, name, &policy).await
}

pub async fn get_with_policy(host: &Host, name: &str, policy: &Policy) -> Result<Environment> {
    let (env, _) = get_ns(host, name, policy).await?;
    Ok(env)
}

/// The environment and its namespace object.
pub async fn get_ns(host: &Host, name: &str, policy: &Policy) -> Result<(Environment, Namespace)> {
    let namespace = namespace_for(name, &policy.namespace_prefix)?;
    let ns_api: Api<Namespace> = Api::all(host.client.clone());
    let q_api: Api<ResourceQuota> = Api::namespaced(host.client.clone(), &namespace);
    let (ns, quota) = futures::join!(ns_api.get_opt(&namespace), q_api.get_opt(QUOTA_NAME));
    let ns = ns.map_err(|e| host.map(e))?.ok_or_else(|| Error::NotFound {
        name: name.to_string(),
        namespace: namespace.clone(),
    })?;
    // Without read access to quotas the guardrails are unknown, not missing.
    let (quota, readable) = match quota {
        Ok(q) => (q, true),
        Err(e) if api_code(&e) == Some(403) => (Some(ResourceQuota::default()), false),
        Err(e) => return Err(host.map(e)),
    };
    let mut env =
        Environment::from_namespace(&ns, quota.as_ref(), jiff::Timestamp::now()).ok_or(Error::NotManaged {
            namespace: namespace.clone(),
        })?;
    if !readable {
        env.quota = None;
    }
    Ok((env, ns))
}

#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    /// Everyone's environments, not only the caller's.
    pub all: bool,
    pub owner: Option<String>,
    pub team: Option<String>,
    /// An extra label selector, ANDed with kubenv's own.
    pub selector: Option<String>,
}

/// The label selector of the namespaces, and the label and field selectors of kubenv's
/// quotas, for `list` and `list --watch`.
pub(crate) fn list_selectors(opts: &ListOptions) -> (String, String, String) {
    let mut sel = managed_selector();
    if let Some(t) = &opts.team {
        sel.push_str(&format!(",{LABEL_TEAM}={}", label_value(t)));
    }
    if let Some(s) = opts.selector.as_deref().filter(|s| !s.trim().is_empty()) {
        sel.push(',');
        sel.push_str(s);
    }
    (sel, managed_selector(), format!("metadata.name={QUOTA_NAME}"))
}

/// Whose environments to show: `--owner`, else the caller's, else (`-A`) everyone's.
pub(crate) async fn list_owner(host: &Host, opts: &ListOptions) -> Result<Option<String>> {
    if opts.all || opts.owner.is_some() {
        return Ok(opts.owner.clone());
    }
    Ok(Some(host.identity().await?.name))
}

pub(crate) fn owner_matches(e: &Environment, owner: Option<&str>) -> bool {
    match owner {
        Some(o) => e.owner.as_deref() == Some(o) || e.owner.as_deref().map(owner_label).as_deref() == Some(o),
        None => true,
    }
}

/// Without read access to quotas, an environment is shown without usage rather than as
/// `Incomplete`.
pub(crate) fn list_filter(mut env: Environment, quotas_readable: bool, now: jiff::Timestamp) -> Environment {
    if !quotas_readable && env.status == Status::Incomplete {
        env.settle(Guardrails::Unknown, now);
    }
    env
}

/// Objects per page when listing: kubectl's own default chunk size.
pub const LIST_PAGE_SIZE: u32 = 500;

/// Reads a list page by page (`limit` and `continue`), handing each object to `each` as it
/// arrives, so no more than one page is held at a time, whatever the number of objects.
/// `fetch` gets the continue token of the next page (None for the first).
async fn for_each_page<T, F, Fut>(mut fetch: F, mut each: impl FnMut(T)) -> kube::Result<()>
where
    T: Clone,
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = kube::Result<kube::core::ObjectList<T>>>,
{
    let mut token = None;
    loop {
        let page = fetch(token.take()).await?;
        let next = page.metadata.continue_.filter(|c| !c.is_empty());
        page.items.into_iter().for_each(&mut each);
        match next {
            Some(c) => token = Some(c),
            None => return Ok(()),
        }
    }
}

/// `for_each_page` of a cluster-wide list at `path`, each object read as `T`: a slim type that
/// keeps only what list shows, so the bulk of each object (managedFields above all) is skipped
/// while parsing instead of being built and dropped.
async fn list_paged<T>(host: &Host, path: &str, lp: &ListParams, each: impl FnMut(T)) -> kube::Result<()>
where
    T: Clone + serde::de::DeserializeOwned,
{
    for_each_page(
        |token: Option<String>| {
            let mut p = lp.clone().limit(LIST_PAGE_SIZE);
            if let Some(t) = token {
                p = p.continue_token(&t);
            }
            let req = kube::core::Request::new(path).list(&p);
            async move {
                host.client
                    .request::<kube::core::ObjectList<T>>(req.map_err(kube::Error::BuildRequest)?)
                    .await
            }
        },
        each,
    )
    .await
}

/// The metadata list reads of a namespace or quota.
#[derive(Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListedMeta {
    name: Option<String>,
    namespace: Option<String>,
    labels: Option<std::collections::BTreeMap<String, String>>,
    annotations: Option<std::collections::BTreeMap<String, String>>,
    creation_timestamp: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
    deletion_timestamp: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
}

impl From<ListedMeta> for k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
    fn from(m: ListedMeta) -> Self {
        Self {
            name: m.name,
            namespace: m.namespace,
            labels: m.labels,
            annotations: m.annotations,
            creation_timestamp: m.creation_timestamp,
            deletion_timestamp: m.deletion_timestamp,
            ..Default::default()
        }
    }
}

/// A Namespace as list reads it.
#[derive(Clone, serde::Deserialize)]
struct ListedNamespace {
    metadata: ListedMeta,
    status: Option<k8s_openapi::api::core::v1::NamespaceStatus>,
}

impl From<ListedNamespace> for Namespace {
    fn from(n: ListedNamespace) -> Self {
        Namespace {
            metadata: n.metadata.into(),
            spec: None,
            status: n.status,
        }
    }
}

/// A ResourceQuota as list reads it.
#[derive(Clone, serde::Deserialize)]
struct ListedQuota {
    metadata: ListedMeta,
    spec: Option<k8s_openapi::api::core::v1::ResourceQuotaSpec>,
    status: Option<k8s_openapi::api::core::v1::ResourceQuotaStatus>,
}

impl From<ListedQuota> for ResourceQuota {
    fn from(q: ListedQuota) -> Self {
        ResourceQuota {
            metadata: q.metadata.into(),
            spec: q.spec,
            status: q.status,
        }
    }
}

/// The environment of a listed namespace, before its quota is known: converted as if it had
/// one (`from_namespace` decides the status from the quota's presence only), so each page of
/// namespaces can be dropped as it is read while the quotas are still being read.
fn listed_env(ns: &Namespace, now: jiff::Timestamp) -> Option<Environment> {
    Environment::from_namespace(ns, Some(&ResourceQuota::default()), now)
}

/// Completes a `listed_env` with its quota's usage, or what `from_namespace` says without one:
/// `Incomplete` unless terminating; when quotas cannot be read at all (`quotas_readable`
/// false), Active or Sleeping instead, as the guardrails are unknown rather than missing.
fn with_quota(
    mut env: Environment,
    usage: Option<QuotaUsage>,
    quotas_readable: bool,
    now: jiff::Timestamp,
) -> Environment {
    let guardrails = match (&usage, quotas_readable) {
        (Some(_), _) => Guardrails::Present,
        (None, true) => Guardrails::Missing,
        (None, false) => Guardrails::Unknown,
    };
    env.quota = usage;
    env.settle(guardrails, now);
    env
}

/// Lists environments with two cluster-wide paged reads (namespaces and quotas, side by side),
/// whatever their number. Memory: one page of each, plus the environments themselves.
pub async fn list(host: &Host, opts: &ListOptions) -> Result<Vec<Environment>> {
    let (sel, qsel, qfields) = list_selectors(opts);
    let lp = ListParams::default().labels(&sel);
    let qp = ListParams::default().labels(&qsel).fields(&qfields);
    let now = jiff::Timestamp::now();
    let mut envs: Vec<Environment> = Vec::new();
    let mut usage: std::collections::HashMap<String, QuotaUsage> = std::collections::HashMap::new();
    let ns_path = <Namespace as Resource>::url_path(&(), None);
    let q_path = <ResourceQuota as Resource>::url_path(&(), None);
    let (nss, quotas, owner) = futures::join!(
        list_paged(host, &ns_path, &lp, |ns: ListedNamespace| {
            envs.extend(listed_env(&ns.into(), now))
        }),
        list_paged(host, &q_path, &qp, |q: ListedQuota| {
            let q = ResourceQuota::from(q);
            if q.metadata.name.as_deref() == Some(QUOTA_NAME) {
                usage.insert(q.metadata.namespace.clone().unwrap_or_default(), quota_usage(&q));
            }
        }),
        list_owner(host, opts)
    );
    nss.map_err(|e| match api_code(&e) {
        Some(400) => Error::InvalidSelector {
            selector: sel.clone(),
            reason: crate::error::root_cause(&e),
        },
        _ => host.map(e),
    })?;
    // Without cluster-wide read on quotas, show environments without usage.
    let readable = match quotas {
        Ok(()) => true,
        Err(e) if api_code(&e) == Some(403) => false,
        Err(e) => return Err(host.map(e)),
    };
    let owner = owner?;
    let mut out: Vec<Environment> = envs
        .into_iter()
        .filter(|e| owner_matches(e, owner.as_deref()))
        .map(|e| {
            let u = usage.remove(&e.namespace);
            with_quota(e, u, readable, now)
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Sets or removes namespace annotations in one merge patch (server-side apply would take
/// over the whole annotation set; a merge patch touches just these keys).
pub async fn annotate_all(host: &Host, namespace: &str, kv: &[(&str, Option<&str>)]) -> Result<()> {
    let ns_api: Api<Namespace> = Api::all(host.client.clone());
    let ann: serde_json::Map<String, serde_json::Value> = kv
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                v.map(|s| serde_json::Value::String(s.into())).unwrap_or_default(),
            )
        })
        .collect();
    let patch = serde_json::json!({"metadata": {"annotations": ann}});
    ns_api
        .patch(namespace, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| host.map(e))?;
    Ok(())
}

/// The environment re-read from its namespace (its quota usage kept as it was), for a
/// decision made under its lock.
pub async fn reread(host: &Host, env: &Environment) -> Result<Environment> {
    let api: Api<Namespace> = Api::all(host.client.clone());
    let ns = api.get(&env.namespace).await.map_err(|e| host.map(e))?;
    let mut e = Environment::from_namespace(&ns, Some(&ResourceQuota::default()), jiff::Timestamp::now()).ok_or(
        Error::NotManaged {
            namespace: env.namespace.clone(),
        },
    )?;
    e.quota = env.quota.clone();
    Ok(e)
}

/// The environments on the host (whoever owns them) as (name, namespace), with one
/// cluster-wide list call; for telling which kubeconfig contexts are stale and for
/// completing names. Namespaces being deleted are left out: they are gone for good.
pub async fn environment_namespaces(host: &Host) -> Result<Vec<(String, String)>> {
    let ns_api: Api<Namespace> = Api::all(host.client.clone());
    let lp = ListParams::default().labels(&managed_selector());
    let nss = ns_api.list_metadata(&lp).await.map_err(|e| host.map(e))?;
    Ok(nss
        .items
        .into_iter()
        .filter(|ns| ns.metadata.deletion_timestamp.is_none())
        .filter_map(|ns| {
            let env = ns.metadata.labels.as_ref()?.get(LABEL_ENV)?.clone();
            Some((env, ns.metadata.name?))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;
    use kube::core::{ObjectList, TypeMeta};
    use std::collections::BTreeMap;

    fn page(items: &[u32], next: Option<&str>) -> ObjectList<u32> {
        ObjectList {
            types: TypeMeta {
                api_version: "v1".into(),
                kind: "List".into(),
            },
            metadata: ListMeta {
                continue_: next.map(str::to_string),
                ..Default::default()
            },
            items: items.to_vec(),
        }
    }

    #[tokio::test]
    async fn pages_are_followed_until_no_continue_token() {
        let pages = [page(&[1, 2], Some("a")), page(&[3], Some("b")), page(&[4, 5], Some(""))];
        let mut asked = Vec::new();
        let mut got = Vec::new();
        let r = for_each_page(
            |token: Option<String>| {
                let i = asked.len();
                asked.push(token);
                let p = pages[i].clone();
                async move { Ok(p) }
            },
            |x| got.push(x),
        )
        .await;
        assert!(r.is_ok());
        assert_eq!(asked, vec![None, Some("a".to_string()), Some("b".to_string())]);
        assert_eq!(got, vec![1, 2, 3, 4, 5]);
    }

    #[tokio::test]
    async fn a_failed_page_stops_the_list() {
        let mut calls = 0;
        let r = for_each_page(
            |_t: Option<String>| {
                calls += 1;
                let n = calls;
                async move {
                    if n == 1 {
                        Ok(page(&[1], Some("a")))
                    } else {
                        Err(kube::Error::LinesCodecMaxLineLengthExceeded)
                    }
                }
            },
            |_: u32| {},
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls, 2);
    }

    fn ns(ann: &[(&str, &str)], terminating: bool) -> Namespace {
        crate::environment::fixtures::namespace(ann, terminating)
    }

    /// The slim types read everything list shows, and skip the rest (managedFields).
    #[test]
    fn slim_reads_convert_like_full_objects() {
        let now: jiff::Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let ns = serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {
                "name": "env-a", "uid": "u", "resourceVersion": "7",
                "creationTimestamp": "2029-12-01T10:00:00Z",
                "deletionTimestamp": "2029-12-31T10:00:00Z",
                "labels": {LABEL_MANAGED_BY: MANAGED_BY, LABEL_ENV: "a", LABEL_TEAM: "web"},
                "annotations": {ANN_OWNER: "alice", ANN_EXPIRES: "2029-06-01T00:00:00Z", ANN_TEMPLATE: "standard"},
                "managedFields": [{"manager": "kubenv", "operation": "Update", "apiVersion": "v1",
                                   "time": "2029-12-01T10:00:00Z", "fieldsType": "FieldsV1",
                                   "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:x": {}}}}}]
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Terminating"}
        });
        let quota = serde_json::json!({
            "apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": QUOTA_NAME, "namespace": "env-a",
                         "managedFields": [{"manager": "kubenv", "fieldsV1": {"f:spec": {}}}]},
            "spec": {"hard": {"pods": "50", "requests.cpu": "4"}},
            "status": {"hard": {"pods": "50", "requests.cpu": "4"}, "used": {"pods": "2", "requests.cpu": "500m"}}
        });
        let full_ns: Namespace = serde_json::from_value(ns.clone()).unwrap();
        let full_q: ResourceQuota = serde_json::from_value(quota.clone()).unwrap();
        let slim_ns: Namespace = serde_json::from_value::<ListedNamespace>(ns).unwrap().into();
        let slim_q: ResourceQuota = serde_json::from_value::<ListedQuota>(quota).unwrap().into();
        assert_eq!(slim_q.metadata.namespace.as_deref(), Some("env-a"));
        assert_eq!(
            Environment::from_namespace(&slim_ns, Some(&slim_q), now),
            Environment::from_namespace(&full_ns, Some(&full_q), now)
        );
        let mut live = full_ns.clone();
        live.metadata.deletion_timestamp = None;
        live.status = None;
        let live_json = serde_json::to_value(&live).unwrap();
        let slim_live: Namespace = serde_json::from_value::<ListedNamespace>(live_json).unwrap().into();
        assert_eq!(
            Environment::from_namespace(&slim_live, None, now),
            Environment::from_namespace(&live, None, now)
        );
    }

    /// Paged list answers exactly what one list with every quota at hand did.
    #[test]
    fn paged_list_converts_like_a_whole_list() {
        let now: jiff::Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let quota = ResourceQuota {
            status: Some(k8s_openapi::api::core::v1::ResourceQuotaStatus {
                hard: Some(BTreeMap::from([("pods".to_string(), Quantity("50".into()))])),
                used: Some(BTreeMap::from([("pods".to_string(), Quantity("3".into()))])),
            }),
            ..Default::default()
        };
        let cases = [
            ns(&[], false),
            ns(&[(ANN_EXPIRES, "2029-01-01T00:00:00Z")], false),
            ns(
                &[
                    (ANN_EXPIRES, "2029-01-01T00:00:00Z"),
                    (ANN_SLEEPING, "2029-06-01T00:00:00Z"),
                ],
                false,
            ),
            ns(&[(ANN_SLEEPING, "2029-06-01T00:00:00Z")], false),
            ns(&[(ANN_EXPIRES, "2031-01-01T00:00:00Z")], true),
        ];
        for n in &cases {
            // With its quota.
            let whole = Environment::from_namespace(n, Some(&quota), now).unwrap();
            let paged = with_quota(listed_env(n, now).unwrap(), Some(quota_usage(&quota)), true, now);
            assert_eq!(paged, whole);
            // Quotas readable, this one missing.
            let whole = Environment::from_namespace(n, None, now).unwrap();
            assert_eq!(with_quota(listed_env(n, now).unwrap(), None, true, now), whole);
            // Quotas not readable at all: guardrails unknown, not missing.
            let mut whole = Environment::from_namespace(n, None, now).unwrap();
            if whole.status == Status::Incomplete {
                whole.settle(Guardrails::Unknown, now);
            }
            assert_eq!(with_quota(listed_env(n, now).unwrap(), None, false, now), whole);
        }
    }
}
