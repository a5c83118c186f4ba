//! `kubenv connect` and `kubenv disconnect`: kubeconfig contexts for environments.

use super::Ctx;
use kubenv::app::connect::{self, ConnectOptions, Credentials, Target};
use kubenv::app::read::{self, ListOptions};
use kubenv::names::{EnvName, parse_duration};
use kubenv::token::{DEFAULT_TOKEN_TTL, MIN_TOKEN_TTL};
use kubenv::{Error, Result};
use std::time::Duration;

/// How the context authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CredentialsArg {
    /// `kubenv token` as a kubectl exec plugin: short-lived tokens minted on demand
    Exec,
    /// A short-lived token embedded in the kubeconfig
    Token,
    /// Your own host-cluster credentials, with the environment's namespace
    Host,
}

impl From<CredentialsArg> for Credentials {
    fn from(c: CredentialsArg) -> Credentials {
        match c {
            CredentialsArg::Exec => Credentials::Exec,
            CredentialsArg::Token => Credentials::Token,
            CredentialsArg::Host => Credentials::Host,
        }
    }
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv connect pr-42                          switch kubectl to the environment
  kubenv connect pr-42 --print > env.kubeconfig # self-contained, for a CI deploy step
  kubenv connect pr-42 -- kubectl apply -f app.yaml")]
pub struct Args {
    /// Environment name (on a terminal, omit it to pick from a list)
    pub name: Option<EnvName>,
    /// Print a self-contained kubeconfig (embedded short-lived token) and write nothing
    #[arg(long)]
    pub print: bool,
    /// How the context authenticates
    #[arg(long, value_enum, default_value_t = CredentialsArg::Exec)]
    pub credentials: CredentialsArg,
    /// Lifetime of minted tokens (at least 10m)
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = token_ttl)]
    pub token_ttl: Option<Duration>,
    /// Write the context but keep the current one
    #[arg(long)]
    pub no_switch: bool,
    /// Run this command with a temporary KUBECONFIG for the environment, and exit with its code
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

fn token_ttl(s: &str) -> Result<Duration> {
    let d = parse_duration(s)?;
    if d < MIN_TOKEN_TTL {
        return Err(Error::InvalidInput(format!(
            "--token-ttl {s} is too short; the API server needs at least 10m"
        )));
    }
    Ok(d)
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    if a.name.is_none() && (!ctx.out.stdin_tty || a.print || !a.command.is_empty()) {
        return Err(Error::InvalidInput(
            "no environment named; pass NAME (see `kubenv list`)".into(),
        ));
    }
    let ttl = a.token_ttl.unwrap_or(DEFAULT_TOKEN_TTL);
    let host = ctx.host().await?;
    let name = match a.name {
        Some(n) => n,
        None => pick(ctx, &host).await?,
    };
    let progress = ctx.out.progress();
    let step = |m: &str| progress.step(m);
    if a.print {
        let printed = connect::print(&host, &name, ttl, &step).await?;
        progress.finish();
        ctx.out.show(&printed)?;
        return Ok(0);
    }
    if !a.command.is_empty() {
        // The child's output is its own: the spinner goes before it starts.
        return connect::run(&host, &name, ttl, &a.command, &step, &|| progress.finish()).await;
    }
    let opts = ConnectOptions {
        name,
        credentials: a.credentials.into(),
        target: Target {
            switch: !(a.no_switch || ctx.config.switch_context == Some(false)),
            token_ttl: ttl,
        },
    };
    let connected = connect::connect(&host, &opts, &step).await?;
    progress.finish();
    ctx.out.show(&connected)?;
    Ok(0)
}

/// On a terminal without NAME: pick one of the caller's environments.
async fn pick(ctx: &Ctx, host: &kubenv::cluster::Host) -> Result<EnvName> {
    let envs = read::list(host, &ListOptions::default()).await?;
    if envs.is_empty() {
        return Err(Error::InvalidInput(
            "you have no environments; create one with `kubenv create NAME`".into(),
        ));
    }
    let items: Vec<String> = envs.iter().map(|e| format!("{}  ({})", e.name, e.status)).collect();
    match ctx.out.pick("Connect to which environment?", &items) {
        Some(i) => Ok(envs[i].name.parse()?),
        None => Err(Error::InvalidInput("no environment picked".into())),
    }
}

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  kubenv disconnect     kubectl is back on the context you used before `kubenv connect`"
)]
pub struct DisconnectArgs {}

pub async fn run_disconnect(ctx: &Ctx, _a: DisconnectArgs) -> Result<i32> {
    match connect::disconnect(ctx.global.kubeconfig.as_deref())? {
        Some(c) => ctx.out.out(&format!("switched back to context {c}"))?,
        None => ctx
            .out
            .note("the current context is not a kubenv environment; nothing to do"),
    }
    Ok(0)
}
