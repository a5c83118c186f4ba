//! `kubenv sleep` and `kubenv wake`.

use super::Ctx;
use crate::output::Format;
use kubenv::Result;
use kubenv::env::{ops, ready, sleep};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv sleep pr-42     scale every Deployment/StatefulSet to 0, suspend CronJobs
  kubenv wake pr-42      restore exactly what sleep changed
  kubenv wake pr-42 --wait --wait-timeout 2m   and return once every workload is available")]
pub struct Args {
    /// Environment name
    pub name: String,
    /// Wait until its workloads have stopped (sleep) or are all available again (wake)
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits (exit 6 after it), apart from the API --timeout
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = kubenv::names::parse_duration)]
    pub wait_timeout: std::time::Duration,
}

pub async fn run(ctx: &Ctx, a: Args, to_sleep: bool) -> Result<i32> {
    kubenv::names::namespace_for(&a.name, "")?;
    let host = ctx.host().await?;
    let progress = ctx.out.progress();
    let step = |m: &str| progress.step(m);
    let report = host
        .deadline(if to_sleep { "sleep" } else { "wake" }, async {
            let env = ops::get(&host, &a.name).await?;
            if to_sleep {
                ops::authorize_change(&host, &env, "sleep").await?;
                sleep::sleep(&host, &env, &step).await
            } else {
                ops::authorize_change(&host, &env, "wake").await?;
                sleep::wake(&host, &env, &step).await
            }
        })
        .await?;
    if a.wait {
        let env = ops::get(&host, &a.name).await?;
        let goal = if to_sleep {
            ready::Goal::Stopped
        } else {
            ready::Goal::Available
        };
        ready::wait(&host, &env, goal, a.wait_timeout, &step).await?;
    }
    progress.finish();
    match ctx.out.format {
        Format::Table => {
            let verb = if to_sleep { "asleep" } else { "awake" };
            let msg = if report.was_changed {
                let n = report.changed.len();
                let s = if n == 1 { "" } else { "s" };
                format!("environment {} is {verb} ({n} workload{s} changed)", report.name)
            } else {
                format!("environment {} was already {verb}; nothing changed", report.name)
            };
            ctx.out.out(&msg);
            for x in &report.excluded {
                ctx.out.note(&format!("left alone (opted out): {x}"));
            }
        }
        Format::Name => ctx.out.out(&format!("environment/{}", report.name)),
        _ => ctx.out.value(&report),
    }
    Ok(0)
}
