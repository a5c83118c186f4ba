//! `kubenv delete`: delete an environment and the kubeconfig entries kubenv added for it.

use super::Ctx;
use crate::output::Format;
use kubenv::env::ops::{self, DeleteOptions};
use kubenv::{Error, Result};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv delete pr-42
  kubenv delete pr-$PR --yes --ignore-not-found     # CI: on pull request close")]
pub struct Args {
    /// Environment name
    pub name: String,
    /// Wait until the namespace is gone
    #[arg(long)]
    pub wait: bool,
    /// Exit 0 when the environment does not exist
    #[arg(long)]
    pub ignore_not_found: bool,
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    kubenv::names::namespace_for(&a.name, "")?;
    // `--yes`/`-y` is the global flag, so it works wherever it is typed.
    if ctx.must_confirm()?
        && !ctx
            .out
            .confirm(&format!("Delete environment {} and everything in it?", a.name))
    {
        return Err(Error::InvalidInput("not confirmed; nothing was deleted".into()));
    }
    let host = ctx.host().await?;
    let progress = ctx.out.progress();
    let step = |m: &str| progress.step(m);
    let opts = DeleteOptions {
        name: a.name.clone(),
        ignore_not_found: a.ignore_not_found,
    };
    step(&format!("deleting environment {}", a.name));
    let env = host.deadline("the delete", ops::delete(&host, &opts)).await;
    // Whatever happened to the namespace, a context for an environment that is gone is stale.
    let gone = matches!(env, Ok(_) | Err(Error::NotFound { .. }));
    if gone {
        kubenv::kubeconfig::remove_env(&host.paths, &a.name)?;
        kubenv::token::remove_cached_for(&a.name);
    }
    let env = env?;
    if let (Some(e), true) = (&env, a.wait) {
        host.deadline(
            "the namespace to be finalized",
            ops::wait_gone(&host, &e.namespace, &step),
        )
        .await?;
    }
    progress.finish();
    match (&ctx.out.format, env) {
        (_, None) => ctx
            .out
            .note(&format!("environment {} does not exist; nothing to delete", a.name)),
        (Format::Table, Some(e)) => {
            let how = if a.wait {
                "deleted"
            } else {
                "deleted (the namespace is being finalized)"
            };
            ctx.out.out(&format!("environment {} {how}", e.name));
        }
        (Format::Name, Some(e)) => ctx.out.out(&format!("environment/{}", e.name)),
        (_, Some(e)) => ctx.out.environment(&e),
    }
    Ok(0)
}
