//! `kubenv token`: the client-go exec credential plugin behind environment contexts. A
//! cached, fresh token is answered from disk with no API call.

use super::Ctx;
use kubenv::token::{self, DEFAULT_TOKEN_TTL};
use kubenv::{Error, Result};

#[derive(clap::Args, Debug)]
#[command(after_help = "kubectl runs this for contexts written by `kubenv connect`; you rarely need it by hand.")]
pub struct Args {
    /// Environment name
    pub name: String,
    /// The environment's namespace (saves a lookup)
    #[arg(long, hide = true)]
    pub namespace: Option<String>,
    /// Lifetime of minted tokens
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub token_ttl: Option<String>,
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    kubenv::names::namespace_for(&a.name, "")?;
    let ttl = match &a.token_ttl {
        Some(s) => kubenv::names::parse_duration(s)?.max(token::MIN_TOKEN_TTL),
        None => DEFAULT_TOKEN_TTL,
    };
    // client-go says which ExecCredential version it wants, and which cluster this is for.
    let info: Option<serde_json::Value> = std::env::var("KUBERNETES_EXEC_INFO")
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok());
    let api_version = info
        .as_ref()
        .and_then(|i| i.get("apiVersion"))
        .and_then(|v| v.as_str())
        .unwrap_or("client.authentication.k8s.io/v1beta1")
        .to_string();
    let server = info
        .as_ref()
        .and_then(|i| i.pointer("/spec/cluster/server"))
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let kubeconfig = match &ctx.global.kubeconfig {
        Some(k) => k.to_string_lossy().into_owned(),
        None => std::env::var("KUBECONFIG").unwrap_or_default(),
    };
    let context = ctx.global.context.clone().unwrap_or_default();
    let path = token::cache_path(&token::cache_dir(), &[&context, &kubeconfig, server], &a.name);
    let now = jiff::Timestamp::now();
    let cached = token::read_cached(&path).filter(|t| t.is_fresh(now, ttl));
    if let Some(t) = cached.as_ref().filter(|t| t.recently_checked(now)) {
        ctx.out.debug("using the cached token");
        ctx.out
            .out(&serde_json::to_string(&token::exec_credential(&api_version, t)).unwrap_or_default());
        return Ok(0);
    }
    let host = ctx.host().await?;
    // Every few minutes: wake the environment if it sleeps (when the policy allows), and
    // record the use as activity.
    let (env, policy) = host
        .deadline("the environment", async {
            let (policy, _) = kubenv::env::ops::load_policy(&host).await?;
            let env = kubenv::env::ops::get_with_policy(&host, &a.name, &policy).await;
            Ok((env, policy))
        })
        .await?;
    let env = env.map_err(|e| match e {
        Error::NotFound { name, namespace } => Error::InvalidInput(format!(
            "environment {name:?} (namespace {namespace}) is gone; create it again (`kubenv create {name}`) or \
             remove its context (`kubectl config delete-context kubenv-{name}`)"
        )),
        other => other,
    })?;
    if env.status == kubenv::env::Status::Sleeping && policy.sleep.wake_on_access {
        host.deadline("wake", kubenv::env::sleep::wake(&host, &env, &|_| {}))
            .await?;
    } else {
        let now_s = kubenv::env::ops::now_rfc3339();
        kubenv::env::ops::annotate_all(&host, &env.namespace, &[(kubenv::env::ANN_LAST_ACTIVITY, Some(&now_s))])
            .await?;
    }
    let namespace = a.namespace.unwrap_or(env.namespace.clone());
    let t = match cached {
        Some(mut t) => {
            t.checked_at = Some(kubenv::env::ops::now_rfc3339());
            t
        }
        None => host
            .deadline("a token", token::mint(&host, &a.name, &namespace, ttl, &|_| {}))
            .await
            .map_err(|e| match e {
                Error::NotFound { name, .. } => Error::InvalidInput(format!(
                    "the ServiceAccount of environment {name:?} is gone; run `kubenv create {name} --if-not-exists` \
                     to restore its guardrails, then `kubenv connect {name}`"
                )),
                other => other,
            })?,
    };
    token::write_cached(&path, &t)?;
    ctx.out
        .out(&serde_json::to_string(&token::exec_credential(&api_version, &t)).unwrap_or_default());
    Ok(0)
}
