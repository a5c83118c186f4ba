//! `kubenv list` (and `--watch`) and `kubenv get` (with the environment's endpoints).

use super::Ctx;
use crate::output::Format;
use kubenv::Result;
use kubenv::env::ops::{self, ListOptions};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv list                 your environments
  kubenv list -A              everyone's
  kubenv list --team web -o json | jq -r '.items[].name'
  kubenv list -o name | xargs -n1 kubenv sleep
  kubenv list -l tier=preview -o jsonpath='{.items[*].name}'
  kubenv list -A --no-headers | wc -l
  kubenv list -w                 then every change, until Ctrl-C")]
pub struct Args {
    /// Everyone's environments, not only yours
    #[arg(short = 'A', long)]
    pub all: bool,
    /// Only environments of this owner
    #[arg(long)]
    pub owner: Option<String>,
    /// Only environments of this team
    #[arg(long)]
    pub team: Option<String>,
    /// Label selector, e.g. tier=preview
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// After listing, print every change (created, changed, deleted) until Ctrl-C; with
    /// -o json, one WatchEvent object a line
    #[arg(short = 'w', long)]
    pub watch: bool,
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let host = ctx.host().await?;
    let opts = ListOptions {
        all: a.all,
        owner: a.owner,
        team: a.team,
        selector: a.selector,
    };
    if a.watch {
        // Ctrl-C is how a watch ends: exit 0, as kubectl's does.
        crate::output::set_handles_interrupt();
        let mut first = true;
        let mut on = |change: &str, env: &kubenv::env::Environment| {
            ctx.out.watch_event(change, env, first);
            first = false;
        };
        tokio::select! {
            r = kubenv::env::watch::watch(&host, &opts, &mut on) => r?,
            _ = tokio::signal::ctrl_c() => {}
        }
        return Ok(0);
    }
    let envs = host.deadline("the environment list", ops::list(&host, &opts)).await?;
    ctx.out.environments(&envs);
    Ok(0)
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv get pr-42 -o json
  kubenv get pr-42 -o jsonpath='{.endpoints[*].url}'
  kubenv get pr-42 -o markdown >> \"$GITHUB_STEP_SUMMARY\"")]
pub struct GetArgs {
    /// Environment name
    pub name: String,
}

pub async fn run_get(ctx: &Ctx, a: GetArgs) -> Result<i32> {
    kubenv::names::namespace_for(&a.name, "")?;
    let host = ctx.host().await?;
    let env = host
        .deadline("the environment", ops::get_with_endpoints(&host, &a.name))
        .await?;
    match ctx.out.format {
        Format::Table => ctx.out.environment_detail(&env),
        _ => ctx.out.environment(&env),
    }
    Ok(0)
}
