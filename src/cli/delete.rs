//! `kubenv delete`: delete an environment and the kubeconfig entries kubenv added for it.

use super::Ctx;
use kubenv::app::lifecycle::{self, DeleteOptions};
use kubenv::names::EnvName;
use kubenv::{Error, Result};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv delete pr-42
  kubenv delete pr-$PR --yes --ignore-not-found     # CI: on pull request close")]
pub struct Args {
    /// Environment name
    pub name: EnvName,
    /// Wait until the namespace is gone
    #[arg(long)]
    pub wait: bool,
    /// Exit 0 when the environment does not exist
    #[arg(long)]
    pub ignore_not_found: bool,
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    // `--yes`/`-y` is the global flag, so it works wherever it is typed.
    if ctx.must_confirm()?
        && !ctx
            .out
            .confirm(&format!("Delete environment {} and everything in it?", a.name))
    {
        return Err(Error::InvalidInput("not confirmed; nothing was deleted".into()));
    }
    let opts = DeleteOptions {
        name: a.name,
        ignore_not_found: a.ignore_not_found,
        wait: a.wait,
    };
    let host = ctx.host().await?;
    let progress = ctx.out.progress();
    let deleted = lifecycle::delete(&host, &opts, &|m| progress.step(m)).await?;
    progress.finish();
    ctx.out.show(&deleted)?;
    Ok(0)
}
