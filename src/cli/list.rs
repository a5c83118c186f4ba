//! `kubenv list` (and `--watch`) and `kubenv get` (with the environment's endpoints).

use super::Ctx;
use kubenv::Result;
use kubenv::app::read::{self, ListOptions};
use kubenv::names::EnvName;

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
    let opts = ListOptions {
        all: a.all,
        owner: a.owner,
        team: a.team,
        selector: a.selector,
    };
    let host = ctx.host().await?;
    if a.watch {
        // Ctrl-C is how a watch ends: exit 0, as kubectl's does.
        crate::output::set_handles_interrupt();
        let mut first = true;
        let mut on = |change: read::Change, env: &kubenv::environment::Environment| {
            let r = ctx.out.watch_event(change.as_str(), env, first);
            first = false;
            r
        };
        tokio::select! {
            r = read::watch(&host, &opts, &mut on) => r?,
            _ = tokio::signal::ctrl_c() => {}
        }
        return Ok(0);
    }
    let envs = read::list(&host, &opts).await?;
    ctx.out.environments(&envs)?;
    Ok(0)
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv get pr-42 -o json
  kubenv get pr-42 -o jsonpath='{.endpoints[*].url}'
  kubenv get pr-42 -o markdown >> \"$GITHUB_STEP_SUMMARY\"")]
pub struct GetArgs {
    /// Environment name
    pub name: EnvName,
}

pub async fn run_get(ctx: &Ctx, a: GetArgs) -> Result<i32> {
    let host = ctx.host().await?;
    let env = read::get(&host, &a.name).await?;
    ctx.out.show(&env)?;
    Ok(0)
}
