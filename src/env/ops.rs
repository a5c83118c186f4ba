//! Create, list, look up and delete environments on the host cluster. Independent requests
//! run in parallel on the one shared client; guardrails use server-side apply with the
//! field manager `kubenv`, so a re-run converges.

use super::objects::{self, Spec};
use super::*;
use crate::audit::{self, Action};
use crate::cluster::{Host, Identity};
use crate::error::{Error, Result, api_code};
use crate::names::namespace_for;
use crate::policy::{POLICY_CONFIGMAP, POLICY_KEY, Policy, PolicySource, SYSTEM_NAMESPACE};
use futures::future::try_join_all;
use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use k8s_openapi::api::core::v1::{ConfigMap, LimitRange, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::Resource;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

pub const FIELD_MANAGER: &str = "kubenv";

/// A step of a long operation, for progress display. The library reports; the CLI shows.
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

pub fn no_progress(_: &str) {}

#[derive(Clone, Debug, Default)]
pub struct CreateOptions {
    pub name: String,
    pub team: Option<String>,
    pub ttl: Option<Duration>,
    pub owner: Option<String>,
    pub template: Option<String>,
    pub if_not_exists: bool,
    /// The user's own labels and annotations for the namespace (`--label`, `--annotation`),
    /// already checked with [`crate::names::parse_metadata`].
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Personal defaults: used for a new environment, never to change an existing one.
    pub defaults: CreateDefaults,
}

#[derive(Clone, Debug, Default)]
pub struct CreateDefaults {
    pub team: Option<String>,
    pub ttl: Option<Duration>,
    pub template: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    #[serde(flatten)]
    pub environment: Environment,
    /// False when the environment existed and its guardrails were re-applied.
    pub created: bool,
}

/// Loads the policy in force: the cluster's, else the built-in defaults. A policy that is
/// present but malformed, or that the caller may not read, is an error (fail closed): the
/// defaults are only for a cluster that has none.
pub async fn load_policy(host: &Host) -> Result<(Policy, PolicySource)> {
    let api: Api<ConfigMap> = Api::namespaced(host.client.clone(), SYSTEM_NAMESPACE);
    match api.get_opt(POLICY_CONFIGMAP).await {
        Ok(Some(cm)) => {
            let text = cm.data.as_ref().and_then(|d| d.get(POLICY_KEY)).ok_or_else(|| {
                Error::InvalidInput(format!(
                    "the policy ConfigMap {SYSTEM_NAMESPACE}/{POLICY_CONFIGMAP} has no key {POLICY_KEY}; ask your platform team to fix it (kubenv admin init --policy FILE)"
                ))
            })?;
            let p = Policy::from_yaml(text, &format!("{SYSTEM_NAMESPACE}/{POLICY_CONFIGMAP}"))?;
            let _ = host.system_namespace.set(true);
            Ok((p, PolicySource::Cluster))
        }
        Ok(None) => {
            // `kubenv admin init` makes both, so no policy means no kubenv-system either.
            let _ = host.system_namespace.set(false);
            Ok((Policy::builtin(), PolicySource::BuiltIn))
        }
        // A policy may be there: acting on the defaults could break its rules.
        Err(e) if api_code(&e) == Some(403) => Err(Error::Forbidden {
            message: format!(
                "cannot read the policy {SYSTEM_NAMESPACE}/{POLICY_CONFIGMAP} ({}); kubenv does not guess it: ask your platform team to re-run `kubenv admin init`, which lets every authenticated user read it",
                crate::error::root_cause(&e)
            ),
        }),
        Err(e) => Err(host.map(e)),
    }
}

fn apply_params() -> PatchParams {
    PatchParams::apply(FIELD_MANAGER).force()
}

async fn apply<K>(host: &Host, api: Api<K>, obj: &K) -> Result<K>
where
    K: Resource + Clone + serde::de::DeserializeOwned + Serialize + std::fmt::Debug,
{
    let name = obj.meta().name.clone().unwrap_or_default();
    api.patch(&name, &apply_params(), &Patch::Apply(obj))
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

/// Makes (or, with `if_not_exists`, converges) an environment.
pub async fn create(host: &Host, opts: &CreateOptions, progress: Progress<'_>) -> Result<Created> {
    // Shape errors first, before any request.
    namespace_for(&opts.name, "")?;
    progress("reading policy");
    let ns_api: Api<Namespace> = Api::all(host.client.clone());
    let (policy, identity, ()) = futures::try_join!(
        load_policy(host),
        async {
            match &opts.owner {
                Some(o) => Ok(Identity {
                    name: o.clone(),
                    verified: true,
                }),
                None => host.identity().await,
            }
        },
        host.require_supported_server()
    )?;
    let (policy, _) = policy;
    let namespace = namespace_for(&opts.name, &policy.namespace_prefix)?;
    let d = &opts.defaults;
    let (template_name, template) = policy.template(opts.template.as_deref().or(d.template.as_deref()))?;
    let team = opts.team.clone().or(d.team.clone());
    policy.check_team(team.as_deref())?;
    let ttl = policy.resolve_ttl(opts.ttl.or(d.ttl), template)?;
    let now = jiff::Timestamp::now();
    let expires_at = (now + jiff::SignedDuration::from_secs(ttl.as_secs() as i64))
        .round(jiff::Unit::Second)
        .unwrap_or(now);
    let mut spec = Spec {
        name: opts.name.clone(),
        namespace: namespace.clone(),
        owner: identity.name.clone(),
        bind_owner: identity.verified,
        team,
        template_name: template_name.to_string(),
        template: template.clone(),
        tenant_role: policy.tenant_role.clone(),
        expires_at: Some(expires_at.to_string()),
        labels: opts.labels.clone(),
        annotations: opts.annotations.clone(),
    };

    progress(&format!("creating namespace {namespace}"));
    let (ns_obj, created) = match ns_api
        .create(
            &PostParams {
                field_manager: Some(FIELD_MANAGER.into()),
                ..Default::default()
            },
            &objects::namespace(&spec),
        )
        .await
    {
        Ok(o) => (o, true),
        Err(e) if api_code(&e) == Some(409) => {
            let existing = ns_api.get(&namespace).await.map_err(|e| host.map(e))?;
            check_takeover(&existing, &opts.name, &identity)?;
            // An interrupted create (the namespace made, its guardrails not) is finished by
            // re-running the same command, with or without --if-not-exists.
            if !opts.if_not_exists {
                let q_api: Api<ResourceQuota> = Api::namespaced(host.client.clone(), &namespace);
                if q_api.get_opt(QUOTA_NAME).await.map_err(|e| host.map(e))?.is_some() {
                    return Err(Error::AlreadyYours {
                        name: opts.name.clone(),
                    });
                }
                progress("finishing an interrupted create");
            }
            // Re-apply keeps the expiry unless a new TTL was asked for.
            if opts.ttl.is_none() {
                spec.expires_at = existing
                    .metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(ANN_EXPIRES))
                    .cloned()
                    .or(spec.expires_at);
            }
            // Server-side apply drops what kubenv applied before and leaves out now, so the
            // user's earlier labels and annotations are carried over (new values win).
            for (have, want) in [
                (existing.metadata.labels.as_ref(), &mut spec.labels),
                (existing.metadata.annotations.as_ref(), &mut spec.annotations),
            ] {
                for (k, v) in have.into_iter().flatten() {
                    if crate::names::parse_metadata(&format!("{k}={v}"), false).is_ok()
                        && !k.starts_with("kubernetes.io/")
                        && !k.starts_with("kubectl.kubernetes.io/")
                    {
                        want.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
            if opts.team.is_none() {
                spec.team = existing
                    .metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(ANN_TEAM))
                    .cloned();
            }
            if opts.template.is_none()
                && let Some(t) = existing.metadata.annotations.as_ref().and_then(|a| a.get(ANN_TEMPLATE))
                && let Ok((n, t)) = policy.template(Some(t))
            {
                spec.template_name = n.to_string();
                spec.template = t.clone();
            }
            (apply(host, ns_api.clone(), &objects::namespace(&spec)).await?, false)
        }
        Err(e) => return Err(host.map(e)),
    };
    progress("applying guardrails: quota, limits, network policy, service account, RBAC");
    let quota = apply_guardrails(host, &spec).await?;
    if !created {
        prune_network_policies(host, &spec).await?;
    }
    // Extras come after the owner's RoleBinding, which they may rely on.
    if !spec.template.manifests.is_empty() {
        progress("applying the template's manifests");
    }
    // The trail names the requester as the server sees it (the server refuses anything else),
    // which with --owner is not the owner.
    let actor = match &opts.owner {
        Some(_) => host.identity().await?.name,
        None => identity.name.clone(),
    };
    let for_owner = if actor == identity.name {
        String::new()
    } else {
        format!(" for {}", identity.name)
    };
    let message = format!(
        "{actor} {} environment {}{for_owner} (template {}, expires {})",
        if created { "created" } else { "re-applied" },
        opts.name,
        spec.template_name,
        spec.expires_at.as_deref().unwrap_or("never")
    );
    let action = Action {
        env: &opts.name,
        namespace: &namespace,
        action: "create",
        actor: &actor,
        message,
    };
    let (extras, _) = futures::join!(
        super::extras::apply(host, &spec.template.manifests, &namespace, &opts.name),
        audit::record(host, &action, true)
    );
    extras?;
    let env = Environment::from_namespace(&ns_obj, Some(&quota), jiff::Timestamp::now()).ok_or(Error::NotManaged {
        namespace: namespace.clone(),
    })?;
    Ok(Created {
        environment: env,
        created,
    })
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

/// Refuses to take over a namespace kubenv does not manage or that someone else owns.
fn check_takeover(ns: &Namespace, name: &str, me: &Identity) -> Result<()> {
    let nsname = ns.metadata.name.clone().unwrap_or_default();
    if ns.metadata.deletion_timestamp.is_some() {
        return Err(Error::Terminating { name: name.to_string() });
    }
    let managed = ns
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(LABEL_MANAGED_BY))
        .map(String::as_str)
        == Some(MANAGED_BY);
    if !managed {
        return Err(Error::TakenByUnmanaged { namespace: nsname });
    }
    let owner = ns
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANN_OWNER))
        .cloned()
        .unwrap_or_default();
    if owner != me.name {
        return Err(Error::OwnedByOther {
            name: name.to_string(),
            owner,
        });
    }
    Ok(())
}

/// Looks up one environment. Unmanaged namespaces are refused (exit 5) whatever their name.
pub async fn get(host: &Host, name: &str) -> Result<Environment> {
    namespace_for(name, "")?;
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
    let (policy, _) = load_policy(host).await?;
    get_with_policy(host, name, &policy).await
}

/// One environment with what it exposes (Ingress hosts, LoadBalancer and NodePort Services):
/// `get`'s two lookups plus one list call for each kind.
pub async fn get_with_endpoints(host: &Host, name: &str) -> Result<Environment> {
    let mut env = get(host, name).await?;
    env.endpoints = Some(super::endpoints::list(host, &env.namespace).await?);
    Ok(env)
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
pub(crate) fn list_filter(mut env: Environment, quotas_readable: bool) -> Environment {
    if !quotas_readable && env.status == Status::Incomplete {
        env.status = if env.sleeping_since.is_some() {
            Status::Sleeping
        } else {
            Status::Active
        };
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
fn with_quota(mut env: Environment, usage: Option<QuotaUsage>, quotas_readable: bool) -> Environment {
    match usage {
        Some(u) => env.quota = Some(u),
        None => {
            env.quota = None;
            if env.status != Status::Terminating {
                env.status = Status::Incomplete;
            }
            return list_filter(env, quotas_readable);
        }
    }
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
        Some(400) => Error::InvalidInput(format!(
            "invalid label selector {sel:?}: {}",
            crate::error::root_cause(&e)
        )),
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
            with_quota(e, u, readable)
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[derive(Clone, Debug, Default)]
pub struct DeleteOptions {
    pub name: String,
    pub ignore_not_found: bool,
}

/// Checks that the caller may change someone's environment: the owner may; anyone else must
/// prove platform-admin rights: RBAC must allow them `VERB environments.kubenv.dev` in the
/// environment's namespace (a virtual resource: cluster-admin has it, and `kubenv admin init`
/// grants it to the platform team; engineers do not have it).
pub async fn authorize_change(host: &Host, env: &Environment, verb: &str) -> Result<()> {
    let Some(owner) = env.owner.as_deref() else {
        return Ok(());
    };
    let me = host.identity().await?;
    if me.name == owner {
        return Ok(());
    }
    if can_i(host, verb, ADMIN_GROUP, "environments", &env.namespace).await? {
        return Ok(());
    }
    let action = match verb {
        "sleep" => "put it to sleep",
        "wake" => "wake it",
        "connect" => "connect to it",
        "extend" => "extend it",
        _ => "delete it",
    };
    Err(Error::NotOwner {
        name: env.name.clone(),
        owner: owner.to_string(),
        action: action.to_string(),
    })
}

/// The API group of kubenv's virtual RBAC resource `environments`.
pub const ADMIN_GROUP: &str = "kubenv.dev";

pub async fn can_i(host: &Host, verb: &str, group: &str, resource: &str, namespace: &str) -> Result<bool> {
    let api: Api<SelfSubjectAccessReview> = Api::all(host.client.clone());
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(verb.into()),
                group: Some(group.into()),
                resource: Some(resource.into()),
                namespace: Some(namespace.into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let r = api
        .create(&PostParams::default(), &review)
        .await
        .map_err(|e| host.map(e))?;
    Ok(r.status.is_some_and(|s| s.allowed))
}

/// Deletes an environment's namespace (the namespace controller removes what it holds).
/// Returns the environment as it was.
pub async fn delete(host: &Host, opts: &DeleteOptions) -> Result<Option<Environment>> {
    let env = match get(host, &opts.name).await {
        Ok(e) => e,
        Err(Error::NotFound { .. }) if opts.ignore_not_found => return Ok(None),
        Err(e) => return Err(e),
    };
    authorize_change(host, &env, "delete").await?;
    let actor = host.identity().await?.name;
    let message = format!("{actor} deleted environment {}", env.name);
    let action = Action {
        env: &env.name,
        namespace: &env.namespace,
        action: "delete",
        actor: &actor,
        message,
    };
    let ns_api: Api<Namespace> = Api::all(host.client.clone());
    // The trail is written beside the delete, not before it: kubenv-system keeps it.
    let dp = DeleteParams::background();
    let (deleted, _) = futures::join!(ns_api.delete(&env.namespace, &dp), audit::record(host, &action, true));
    match deleted {
        Ok(_) => {}
        Err(e) if matches!(api_code(&e), Some(404 | 409)) => {}
        Err(e) => return Err(host.map(e)),
    }
    Ok(Some(env))
}

/// Waits until a namespace is gone, reporting progress.
pub async fn wait_gone(host: &Host, namespace: &str, progress: Progress<'_>) -> Result<()> {
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

/// Records that someone used an environment (connect): activity for idle detection, and
/// the audit trail.
pub async fn touch(host: &Host, env: &Environment, action: &str) -> Result<()> {
    let actor = host.identity().await?.name;
    let now = now_rfc3339();
    let message = format!("{actor} used environment {} ({action})", env.name);
    let a = Action {
        env: &env.name,
        namespace: &env.namespace,
        action,
        actor: &actor,
        message,
    };
    let kv = [(ANN_LAST_ACTIVITY, Some(now.as_str()))];
    let (r, _) = futures::join!(annotate_all(host, &env.namespace, &kv), audit::record(host, &a, true));
    r
}

#[derive(Clone, Debug)]
pub struct ExtendOptions {
    pub name: String,
    /// New time to live, counted from now.
    pub ttl: Duration,
}

/// Moves an environment's expiry to now + ttl, within the policy's maximum.
pub async fn extend(host: &Host, opts: &ExtendOptions) -> Result<Environment> {
    namespace_for(&opts.name, "")?;
    let (policy, _) = load_policy(host).await?;
    let env = get_with_policy(host, &opts.name, &policy).await?;
    let template = env
        .template
        .as_deref()
        .and_then(|t| policy.templates.get(t))
        .or_else(|| policy.templates.get(&policy.default_template));
    let ttl = match template {
        Some(t) => policy.resolve_ttl(Some(opts.ttl), t)?,
        None => opts.ttl,
    };
    authorize_change(host, &env, "extend").await?;
    let now = jiff::Timestamp::now();
    let expires = (now + jiff::SignedDuration::from_secs(ttl.as_secs() as i64))
        .round(jiff::Unit::Second)
        .unwrap_or(now);
    let expires = expires.to_string();
    let actor = host.identity().await?.name;
    let message = format!(
        "{actor} extended environment {} to {expires} (was {})",
        env.name,
        env.expires_at.as_deref().unwrap_or("never")
    );
    let a = Action {
        env: &env.name,
        namespace: &env.namespace,
        action: "extend",
        actor: &actor,
        message,
    };
    let kv = [(ANN_EXPIRES, Some(expires.as_str()))];
    let (r, _) = futures::join!(annotate_all(host, &env.namespace, &kv), audit::record(host, &a, true));
    r?;
    // The environment as it now is, without reading it back.
    let mut env = env;
    env.expires_at = Some(expires);
    if env.status == Status::Expired {
        env.status = if env.sleeping_since.is_some() {
            Status::Sleeping
        } else {
            Status::Active
        };
    }
    Ok(env)
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

/// Current time as kubenv writes it in annotations.
pub fn now_rfc3339() -> String {
    let now = jiff::Timestamp::now();
    now.round(jiff::Unit::Second).unwrap_or(now).to_string()
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
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ListMeta, ObjectMeta, Time};
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
            let paged = with_quota(listed_env(n, now).unwrap(), Some(quota_usage(&quota)), true);
            assert_eq!(paged, whole);
            // Quotas readable, this one missing.
            let whole = Environment::from_namespace(n, None, now).unwrap();
            assert_eq!(with_quota(listed_env(n, now).unwrap(), None, true), whole);
            // Quotas not readable at all: guardrails unknown, not missing.
            let mut whole = Environment::from_namespace(n, None, now).unwrap();
            if whole.status == Status::Incomplete {
                whole.status = if whole.sleeping_since.is_some() {
                    Status::Sleeping
                } else {
                    Status::Active
                };
            }
            assert_eq!(with_quota(listed_env(n, now).unwrap(), None, false), whole);
        }
    }
}
