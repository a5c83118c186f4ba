//! `create`: make a governed environment (or converge one), wait for it if asked, look up
//! what it exposes, and write its kubeconfig context.

use super::connect::{self, ContextWritten, Credentials};
use crate::Progress;
use crate::audit::{self, Action, Trail};
use crate::backend::namespace::objects;
use crate::backend::{Backend, Goal, Spec};
use crate::cluster::{FIELD_MANAGER, Host, Identity};
use crate::environment::*;
use crate::error::{Error, Result, api_code};
use crate::names::{EnvName, namespace_for};
use k8s_openapi::api::core::v1::{Namespace, ResourceQuota};
use kube::api::{Api, PostParams};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct CreateOptions {
    pub name: EnvName,
    /// The kind of environment (default: the template's, else a namespace).
    pub kind: Option<Kind>,
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
    /// Wait until the template's workloads are available (always, for a virtual cluster:
    /// its context needs its API server), at most `wait_timeout`.
    pub wait: bool,
    pub wait_timeout: Duration,
    /// Look up what it exposes (always done with `wait`).
    pub endpoints: bool,
    /// Write a kubeconfig context for it (and make it current when `switch`).
    pub connect: Option<connect::Target>,
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
    /// The context written, if any.
    #[serde(skip)]
    pub context: Option<ContextWritten>,
}

/// Makes (or, with `if_not_exists`, converges) an environment, then does what the options
/// ask on top: wait, endpoints, a kubeconfig context.
pub async fn create(host: &Host, opts: &CreateOptions, progress: Progress<'_>) -> Result<Created> {
    if opts.connect.is_some() {
        // A kubeconfig we could not write would leave an environment nobody connected to.
        crate::local::kubeconfig::preflight(&host.paths)?;
    }
    let mut made = host
        .deadline("the environment to be created", make(host, opts, progress))
        .await?;
    let backend = Backend::for_env(&made.environment);
    let wait = opts.wait || made.environment.kind == Kind::VCluster;
    if wait {
        made.environment = backend
            .wait(host, &made.environment, Goal::Available, opts.wait_timeout, progress)
            .await?;
    }
    // What it exposes matters once it is up, and in a pull-request summary.
    if wait || opts.endpoints {
        progress("looking up endpoints");
        made.environment.endpoints = Some(
            host.deadline("the endpoints", backend.endpoints(host, &made.environment))
                .await?,
        );
    }
    if let Some(target) = &opts.connect {
        progress("writing the kubeconfig context");
        made.context = Some(connect::write_context(host, &made.environment, target, Credentials::Exec).await?);
    }
    Ok(made)
}

/// The environment itself: its record and its backend's objects.
async fn make(host: &Host, opts: &CreateOptions, progress: Progress<'_>) -> Result<Created> {
    progress("reading policy");
    let ns_api: Api<Namespace> = Api::all(host.client.clone());
    let (policy, identity, ()) = futures::try_join!(
        crate::policy::load(host),
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
    let (policy, source) = policy;
    let namespace = namespace_for(&opts.name, &policy.namespace_prefix)?;
    let d = &opts.defaults;
    // A personal default template applies when no kind is asked for.
    let wanted = opts
        .template
        .as_deref()
        .or(d.template.as_deref().filter(|_| opts.kind.is_none()));
    let (template_name, template) = policy.template_for(opts.kind, wanted)?;
    let team = opts.team.clone().or(d.team.clone());
    policy.check_team(team.as_deref())?;
    let ttl = policy.resolve_ttl(opts.ttl.or(d.ttl), template)?;
    let kind = template.kind;
    Backend::of(kind).check_name(&opts.name)?;
    // A virtual cluster's syncer gets its rights from ClusterRole kubenv:vcluster, which
    // `kubenv admin init` installs with the policy: without it, it could never start.
    if kind == Kind::VCluster && source == crate::policy::PolicySource::BuiltIn {
        return Err(Error::InvalidInput(
            "virtual clusters need kubenv's roles and policy on the cluster; ask your platform team to run \
             `kubenv admin init` (it installs ClusterRole kubenv:vcluster)"
                .into(),
        ));
    }
    let expires_at = expiry_after(jiff::Timestamp::now(), ttl);
    let mut spec = Spec {
        name: opts.name.to_string(),
        kind,
        namespace: namespace.clone(),
        owner: identity.name.clone(),
        bind_owner: identity.verified,
        team,
        template_name: template_name.to_string(),
        template: template.clone(),
        tenant_role: policy.tenant_role.clone(),
        expires_at: Some(expires_at),
        vcluster: policy.vcluster.clone(),
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
                        name: opts.name.to_string(),
                    });
                }
                progress("finishing an interrupted create");
            }
            let had = |key: &str| existing.metadata.annotations.as_ref().and_then(|a| a.get(key)).cloned();
            // Re-apply keeps the expiry unless a new TTL was asked for.
            if opts.ttl.is_none() {
                spec.expires_at = had(ANN_EXPIRES).and_then(|t| t.parse().ok()).or(spec.expires_at);
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
                spec.team = had(ANN_TEAM);
            }
            if opts.template.is_none()
                && let Some(t) = had(ANN_TEMPLATE)
                && let Ok((n, t)) = policy.template(Some(&t))
            {
                spec.template_name = n.to_string();
                spec.template = t.clone();
            }
            (
                crate::backend::namespace::apply(host, ns_api.clone(), &objects::namespace(&spec)).await?,
                false,
            )
        }
        Err(e) => return Err(host.map(e)),
    };
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
        spec.expires_at.map(|t| t.to_string()).as_deref().unwrap_or("never")
    );
    let action = Action {
        env: &opts.name,
        namespace: &namespace,
        action: "create",
        actor: &actor,
        message,
    };
    // The trail is written beside the backend's work: the namespace is there already.
    let (quota, _) = futures::join!(
        Backend::of(kind).provision(host, &spec, created, progress),
        audit::record(host, &action, Trail::for_policy(source))
    );
    let quota: ResourceQuota = quota?;
    let env = Environment::from_namespace(&ns_obj, Some(&quota), jiff::Timestamp::now()).ok_or(Error::NotManaged {
        namespace: namespace.clone(),
    })?;
    Ok(Created {
        environment: env,
        created,
        context: None,
    })
}

/// Refuses to take over a namespace kubenv does not manage or that someone else owns.
fn check_takeover(ns: &Namespace, name: &EnvName, me: &Identity) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn ns(managed: bool, owner: &str, deleting: bool) -> Namespace {
        let mut labels = BTreeMap::new();
        if managed {
            labels.insert(LABEL_MANAGED_BY.to_string(), MANAGED_BY.to_string());
        }
        Namespace {
            metadata: ObjectMeta {
                name: Some("env-a".into()),
                labels: Some(labels),
                annotations: Some(BTreeMap::from([(ANN_OWNER.to_string(), owner.to_string())])),
                deletion_timestamp: deleting.then(|| {
                    k8s_openapi::apimachinery::pkg::apis::meta::v1::Time("2030-01-01T00:00:00Z".parse().unwrap())
                }),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn takeover_rules() {
        let me = Identity {
            name: "alice".into(),
            verified: true,
        };
        let name: EnvName = "a".parse().unwrap();
        assert!(check_takeover(&ns(true, "alice", false), &name, &me).is_ok());
        assert!(matches!(
            check_takeover(&ns(true, "bob", false), &name, &me),
            Err(Error::OwnedByOther { owner, .. }) if owner == "bob"
        ));
        assert!(matches!(
            check_takeover(&ns(false, "alice", false), &name, &me),
            Err(Error::TakenByUnmanaged { .. })
        ));
        assert!(matches!(
            check_takeover(&ns(true, "alice", true), &name, &me),
            Err(Error::Terminating { .. })
        ));
    }
}
