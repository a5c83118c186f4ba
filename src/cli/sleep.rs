//! `kubenv sleep` and `kubenv wake`.

use super::Ctx;
use crate::output::Slept;
use kubenv::Result;
use kubenv::app::lifecycle::{self, SleepOptions};
use kubenv::names::EnvName;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv sleep pr-42     scale every Deployment/StatefulSet to 0, suspend CronJobs
  kubenv wake pr-42      restore exactly what sleep changed
  kubenv wake pr-42 --wait --wait-timeout 2m   and return once every workload is available")]
pub struct Args {
    /// Environment name
    pub name: EnvName,
    /// Wait until its workloads have stopped (sleep) or are all available again (wake)
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits (exit 6 after it), apart from the API --timeout
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = kubenv::names::parse_duration)]
    pub wait_timeout: std::time::Duration,
}

pub async fn run(ctx: &Ctx, a: Args, to_sleep: bool) -> Result<i32> {
    let opts = SleepOptions {
        name: a.name,
        wait: a.wait.then_some(a.wait_timeout),
    };
    let host = ctx.host().await?;
    let progress = ctx.out.progress();
    let step = |m: &str| progress.step(m);
    let report = if to_sleep {
        lifecycle::sleep(&host, &opts, &step).await?
    } else {
        lifecycle::wake(&host, &opts, &step).await?
    };
    progress.finish();
    ctx.out.show(&Slept {
        report: &report,
        asleep: to_sleep,
    })?;
    Ok(0)
}
