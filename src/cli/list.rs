//! `kubenv list` and `kubenv get`.

use super::Ctx;
use kubenv::Result;
use kubenv::env::ops::{self, ListOptions};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv list                 your environments
  kubenv list -A              everyone's
  kubenv list --team web -o json | jq -r '.items[].name'
  kubenv list -o name | xargs -n1 kubenv sleep")]
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
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let host = ctx.host().await?;
    let opts = ListOptions {
        all: a.all,
        owner: a.owner,
        team: a.team,
        selector: a.selector,
    };
    let envs = host.deadline("the environment list", ops::list(&host, &opts)).await?;
    ctx.out.environments(&envs);
    Ok(0)
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  kubenv get pr-42 -o json")]
pub struct GetArgs {
    /// Environment name
    pub name: String,
}

pub async fn run_get(ctx: &Ctx, a: GetArgs) -> Result<i32> {
    kubenv::names::namespace_for(&a.name, "")?;
    let host = ctx.host().await?;
    let env = host.deadline("the environment", ops::get(&host, &a.name)).await?;
    ctx.out.environment(&env);
    Ok(0)
}
