//! `kubenv gc`, `kubenv extend`, `kubenv history`, `kubenv cost`: expiry, the audit trail and
//! showback.

use super::Ctx;
use crate::output::{Extended, History};
use kubenv::Result;
use kubenv::app::cost::{self, GroupBy};
use kubenv::app::gc::{self, GcOptions};
use kubenv::app::history::{self, HistoryOptions};
use kubenv::app::lifecycle::{self, ExtendOptions};
use kubenv::names::{EnvName, parse_duration};
use std::time::Duration;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv gc --dry-run            what would be deleted or put to sleep, and why
  kubenv gc -o json              from a cron job; safe to run from many places at once")]
pub struct GcArgs {
    /// Only report what would be done
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run_gc(ctx: &Ctx, a: GcArgs) -> Result<i32> {
    let host = ctx.host().await?;
    let progress = ctx.out.progress();
    let report = gc::gc(&host, &GcOptions { dry_run: a.dry_run }, &|m| progress.step(m)).await?;
    progress.finish();
    ctx.out.show(&report)?;
    Ok(0)
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  kubenv extend pr-42 --ttl 3d     expires three days from now")]
pub struct ExtendArgs {
    /// Environment name
    pub name: EnvName,
    /// New time to live, from now (at most the policy's maximum)
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = parse_duration)]
    pub ttl: Duration,
}

pub async fn run_extend(ctx: &Ctx, a: ExtendArgs) -> Result<i32> {
    let host = ctx.host().await?;
    let env = lifecycle::extend(
        &host,
        &ExtendOptions {
            name: a.name,
            ttl: a.ttl,
        },
    )
    .await?;
    ctx.out.show(&Extended(&env))?;
    Ok(0)
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv history pr-42
  kubenv history --since 24h -o json")]
pub struct HistoryArgs {
    /// Only this environment
    pub name: Option<EnvName>,
    /// Only entries newer than this, e.g. 2h, 7d
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = parse_duration)]
    pub since: Option<Duration>,
}

pub async fn run_history(ctx: &Ctx, a: HistoryArgs) -> Result<i32> {
    let host = ctx.host().await?;
    let entries = history::history(
        &host,
        &HistoryOptions {
            name: a.name,
            since: a.since,
        },
    )
    .await?;
    ctx.out.show(&History(&entries))?;
    Ok(0)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    Env,
    Owner,
    Team,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv cost
  kubenv cost --by team -o json | jq '.total.costPerDay'")]
pub struct CostArgs {
    /// Group totals by environment, owner or team
    #[arg(long, value_enum, default_value_t = By::Env)]
    pub by: By,
}

pub async fn run_cost(ctx: &Ctx, a: CostArgs) -> Result<i32> {
    let by = match a.by {
        By::Env => GroupBy::Env,
        By::Owner => GroupBy::Owner,
        By::Team => GroupBy::Team,
    };
    let host = ctx.host().await?;
    let report = cost::report(&host, by).await?;
    ctx.out.show(&report)?;
    Ok(0)
}
