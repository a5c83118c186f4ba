//! `token`: the client-go exec credential plugin behind environment contexts. A cached,
//! fresh token is answered from disk with no API call and no kubeconfig read; every few
//! minutes it also wakes a sleeping environment (when the policy allows) and records the use
//! as activity.

use crate::backend::{Backend, Credential, records};
use crate::cluster::{self, HostOptions};
use crate::environment::{ANN_LAST_ACTIVITY, Status, now_stamp};
use crate::error::{Error, Result};
use crate::names::EnvName;
use crate::token;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct TokenOptions {
    pub name: EnvName,
    /// The environment's namespace, when the context knows it (saves a lookup).
    pub namespace: Option<String>,
    /// Lifetime of minted tokens (at least [`token::MIN_TOKEN_TTL`]).
    pub ttl: Duration,
    /// `KUBERNETES_EXEC_INFO` as client-go passes it: the ExecCredential version it wants
    /// and the cluster the token is for.
    pub exec_info: Option<serde_json::Value>,
}

/// How long kubectl keeps a virtual cluster's client certificate before it asks again (and
/// kubenv reads it again with the caller's rights).
pub const CERTIFICATE_RECHECK: Duration = Duration::from_secs(300);

/// An ExecCredential for client-go, and whether it came from the cache alone.
#[derive(Clone, Debug)]
pub struct ExecCredential {
    pub exec_credential: serde_json::Value,
    pub cached: bool,
}

pub async fn token(host: &HostOptions, opts: &TokenOptions) -> Result<ExecCredential> {
    let ttl = opts.ttl.max(token::MIN_TOKEN_TTL);
    let info = opts.exec_info.as_ref();
    let api_version = info
        .and_then(|i| i.get("apiVersion"))
        .and_then(|v| v.as_str())
        .unwrap_or("client.authentication.k8s.io/v1beta1");
    let server = info
        .and_then(|i| i.pointer("/spec/cluster/server"))
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let kubeconfig = match &host.kubeconfig {
        Some(k) => k.to_string_lossy().into_owned(),
        None => std::env::var("KUBECONFIG").unwrap_or_default(),
    };
    let context = host.context.clone().unwrap_or_default();
    let path = token::cache_path(&token::cache_dir(), &[&context, &kubeconfig, server], &opts.name);
    let now = jiff::Timestamp::now();
    let cached = token::read_cached(&path).filter(|t| t.is_fresh(now, ttl));
    if let Some(t) = cached.as_ref().filter(|t| t.recently_checked(now)) {
        return Ok(ExecCredential {
            exec_credential: token::exec_credential(api_version, t),
            cached: true,
        });
    }
    let host = cluster::connect(host).await?;
    let env = host
        .deadline("the environment", async {
            let (policy, _) = crate::policy::load(&host).await?;
            let env = records::get_with_policy(&host, &opts.name, &policy).await;
            Ok((env, policy))
        })
        .await;
    let (env, policy) = env?;
    let env = env.map_err(|e| match e {
        Error::NotFound { name, namespace } => Error::InvalidInput(format!(
            "environment {name:?} (namespace {namespace}) is gone; create it again (`kubenv create {name}`) or \
             remove its context (`kubectl config delete-context kubenv-{name}`)"
        )),
        other => other,
    })?;
    // Use wakes it (when the policy says so) and is activity either way.
    if env.status == Status::Sleeping && policy.sleep.wake_on_access {
        host.deadline("wake", super::lifecycle::wake_up(&host, &env, &crate::no_progress))
            .await?;
    } else {
        let stamp = now_stamp().to_string();
        records::annotate_all(&host, &env.namespace, &[(ANN_LAST_ACTIVITY, Some(&stamp))]).await?;
    }
    let cred = match cached {
        Some(mut t) => {
            t.checked_at = Some(now_stamp().to_string());
            Credential::Token(t)
        }
        None => {
            let mut target = env.clone();
            if let Some(ns) = &opts.namespace {
                target.namespace = ns.clone();
            }
            host.deadline(
                "a token",
                Backend::for_env(&env).credential(&host, &target, ttl, &crate::no_progress),
            )
            .await
            .map_err(|e| match e {
                Error::NotFound { name, .. } => Error::InvalidInput(format!(
                    "the ServiceAccount of environment {name:?} is gone; run `kubenv create {name} --if-not-exists` \
                     to restore its guardrails, then `kubenv connect {name}`"
                )),
                other => other,
            })?
        }
    };
    let exec_credential = match &cred {
        Credential::Token(t) => {
            token::write_cached(&path, t)?;
            token::exec_credential(api_version, t)
        }
        // Never cached: read from the cluster, with the caller's rights, each time kubectl
        // asks (it asks again once this expires).
        Credential::ClientCertificate { certificate, key } => {
            let expires = crate::environment::expiry_after(jiff::Timestamp::now(), CERTIFICATE_RECHECK);
            serde_json::json!({
                "apiVersion": api_version,
                "kind": "ExecCredential",
                "status": {"clientCertificateData": certificate, "clientKeyData": key,
                           "expirationTimestamp": expires.to_string()},
            })
        }
    };
    Ok(ExecCredential {
        exec_credential,
        cached: false,
    })
}
