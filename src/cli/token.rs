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
    if let Some(t) = token::read_cached(&path).filter(|t| t.is_fresh(now, ttl)) {
        ctx.out.debug("using the cached token");
        ctx.out
            .out(&serde_json::to_string(&token::exec_credential(&api_version, &t)).unwrap_or_default());
        return Ok(0);
    }
    let host = ctx.host().await?;
    let namespace = match a.namespace {
        Some(n) => n,
        None => {
            host.deadline("the environment", kubenv::env::ops::get(&host, &a.name))
                .await?
                .namespace
        }
    };
    let t = host
        .deadline("a token", token::mint(&host, &a.name, &namespace, ttl, &|_| {}))
        .await
        .map_err(|e| match e {
            Error::NotFound { name, .. } => Error::InvalidInput(format!(
                "environment {name:?} (namespace {namespace}) or its ServiceAccount is gone; \
                 run `kubenv create {name} --if-not-exists` and `kubenv connect {name}` again"
            )),
            other => other,
        })?;
    token::write_cached(&path, &t)?;
    ctx.out
        .out(&serde_json::to_string(&token::exec_credential(&api_version, &t)).unwrap_or_default());
    Ok(0)
}
