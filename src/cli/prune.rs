//! `kubenv prune`: remove the kubeconfig contexts of environments that no longer exist.

use super::Ctx;
use crate::output::Format;
use kubenv::Result;
use kubenv::env::prune::{self, PruneOptions};

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
    let opts = PruneOptions {
        kubeconfig: ctx.global.kubeconfig.clone(),
        host_context: ctx.global.context.clone(),
        dry_run: a.dry_run,
        timeout: ctx.host_options()?.timeout,
    };
    let report = prune::prune(&opts).await?;
    for s in &report.skipped {
        ctx.out.note(&format!(
            "kept the contexts made from {}: cannot list its environments ({})",
            s.host_context, s.reason
        ));
    }
    match ctx.out.format {
        Format::Table => {
            let verb = if a.dry_run { "would remove" } else { "removed" };
            for c in &report.removed {
                ctx.out.out(&format!(
                    "{verb} context {} (environment {} is gone from {})",
                    c.context, c.environment, c.host_context
                ));
            }
            if report.removed.is_empty() {
                ctx.out.note("no stale kubenv contexts");
            }
        }
        Format::Name => {
            for c in &report.removed {
                ctx.out.out(&format!("context/{}", c.context));
            }
        }
        _ => ctx.out.value(&report),
    }
    Ok(0)
}
