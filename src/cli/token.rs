//! `kubenv token`: the client-go exec credential plugin behind environment contexts.

use super::Ctx;
use kubenv::Result;
use kubenv::app::token::{self, TokenOptions};
use kubenv::names::{EnvName, parse_duration};
use kubenv::token::DEFAULT_TOKEN_TTL;
use std::time::Duration;

#[derive(clap::Args, Debug)]
#[command(after_help = "kubectl runs this for contexts written by `kubenv connect`; you rarely need it by hand.")]
pub struct Args {
    /// Environment name
    pub name: EnvName,
    /// The environment's namespace (saves a lookup)
    #[arg(long, hide = true)]
    pub namespace: Option<String>,
    /// Lifetime of minted tokens
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = parse_duration)]
    pub token_ttl: Option<Duration>,
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let opts = TokenOptions {
        name: a.name,
        namespace: a.namespace,
        ttl: a.token_ttl.unwrap_or(DEFAULT_TOKEN_TTL),
        // client-go says which ExecCredential version it wants, and which cluster this is for.
        exec_info: std::env::var("KUBERNETES_EXEC_INFO")
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok()),
    };
    let cred = token::token(&ctx.host_options(), &opts).await?;
    if cred.cached {
        ctx.out.debug("using the cached token");
    }
    ctx.out.show(&crate::output::ExecCredential(&cred.exec_credential))?;
    Ok(0)
}
