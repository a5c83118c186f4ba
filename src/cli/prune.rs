//! `kubenv prune`: remove the kubeconfig contexts of environments that no longer exist.

use super::Ctx;
use kubenv::Result;
use kubenv::app::prune::{self, PruneOptions};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv prune --dry-run      which contexts would go
  kubenv prune                remove contexts of environments deleted by gc or by others
  kubenv prune -o json        the result for a script

Only contexts kubenv wrote are candidates; your own contexts are never touched. Contexts
whose host cluster cannot be asked are kept.")]
pub struct Args {
    /// Show what would be removed, and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let host = ctx.host_options();
    let opts = PruneOptions {
        kubeconfig: host.kubeconfig,
        host_context: host.context,
        dry_run: a.dry_run,
        timeout: host.timeout,
    };
    let report = prune::prune(&opts).await?;
    ctx.out.show(&report)?;
    Ok(0)
}
