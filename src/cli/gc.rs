//! `kubenv gc`, `kubenv extend`, `kubenv history`, `kubenv cost`: expiry, the audit trail and
//! showback.

use super::Ctx;
use crate::output::{Format, simple_table};
use kubenv::Result;
use kubenv::cost::{self, GroupBy};
use kubenv::env::gc::{self, GcOptions};
use kubenv::env::ops::{self, ExtendOptions};
use kubenv::names::parse_duration;

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
    let step = |m: &str| progress.step(m);
    let actions = host
        .deadline("gc", gc::gc(&host, &GcOptions { dry_run: a.dry_run }, &step))
        .await?;
    progress.finish();
    match ctx.out.format {
        Format::Table => {
            if actions.is_empty() {
                ctx.out.note("nothing to collect");
                return Ok(0);
            }
            let rows = actions
                .iter()
                .map(|x| {
                    let result = match (&x.skipped, x.done, a.dry_run) {
                        (_, _, true) => "would do".to_string(),
                        (Some(s), _, _) => format!("skipped: {s}"),
                        (None, true, _) => "done".into(),
                        (None, false, _) => "not done".into(),
                    };
                    vec![x.environment.clone(), x.action.clone(), x.reason.clone(), result]
                })
                .collect();
            ctx.out
                .out(&simple_table(&["ENVIRONMENT", "ACTION", "REASON", "RESULT"], rows));
        }
        Format::Name => ctx.out.out(
            &actions
                .iter()
                .map(|x| format!("environment/{}", x.environment))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => ctx.out.value(&crate::output::GcReport {
            dry_run: a.dry_run,
            actions: &actions,
        }),
    }
    Ok(0)
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  kubenv extend pr-42 --ttl 3d     expires three days from now")]
pub struct ExtendArgs {
    /// Environment name
    pub name: String,
    /// New time to live, from now (at most the policy's maximum)
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub ttl: String,
}

pub async fn run_extend(ctx: &Ctx, a: ExtendArgs) -> Result<i32> {
    kubenv::names::namespace_for(&a.name, "")?;
    let ttl = parse_duration(&a.ttl)?;
    let host = ctx.host().await?;
    let env = host
        .deadline("extend", ops::extend(&host, &ExtendOptions { name: a.name, ttl }))
        .await?;
    match ctx.out.format {
        Format::Table => ctx.out.out(&format!(
            "environment {} now expires {}",
            env.name,
            env.expires_at.as_deref().unwrap_or("never")
        )),
        _ => ctx.out.environment(&env),
    }
    Ok(0)
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv history pr-42
  kubenv history --since 24h -o json")]
pub struct HistoryArgs {
    /// Only this environment
    pub name: Option<String>,
    /// Only entries newer than this, e.g. 2h, 7d
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub since: Option<String>,
}

pub async fn run_history(ctx: &Ctx, a: HistoryArgs) -> Result<i32> {
    if let Some(n) = &a.name {
        kubenv::names::namespace_for(n, "")?;
    }
    let since = match &a.since {
        Some(s) => {
            let d = parse_duration(s)?;
            Some(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(d.as_secs() as i64))
        }
        None => None,
    };
    let host = ctx.host().await?;
    let entries = host
        .deadline("history", kubenv::audit::history(&host, a.name.as_deref(), since))
        .await?;
    match ctx.out.format {
        Format::Table => {
            if entries.is_empty() {
                ctx.out
                    .note("no history (events are kept as long as the API server's --event-ttl)");
                return Ok(0);
            }
            let rows = entries
                .iter()
                .map(|e| {
                    vec![
                        e.time.clone(),
                        e.environment.clone(),
                        e.action.clone(),
                        e.actor.clone(),
                        e.message.clone(),
                    ]
                })
                .collect();
            ctx.out.out(&simple_table(
                &["TIME", "ENVIRONMENT", "ACTION", "ACTOR", "MESSAGE"],
                rows,
            ));
        }
        Format::Name => ctx.out.out(
            &entries
                .iter()
                .map(|e| format!("environment/{}", e.environment))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => ctx.out.value(&crate::output::History(&entries)),
    }
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

fn money(v: f64) -> String {
    format!("{v:.2}")
}

pub async fn run_cost(ctx: &Ctx, a: CostArgs) -> Result<i32> {
    let by = match a.by {
        By::Env => GroupBy::Env,
        By::Owner => GroupBy::Owner,
        By::Team => GroupBy::Team,
    };
    let host = ctx.host().await?;
    let r = host.deadline("cost", cost::report(&host, by)).await?;
    match ctx.out.format {
        Format::Table => {
            let mut rows: Vec<Vec<String>> = r
                .groups
                .iter()
                .map(|g| {
                    vec![
                        g.key.clone(),
                        g.environments.to_string(),
                        money(g.cost_per_day),
                        money(g.saved_per_day),
                        money(g.saved_so_far),
                    ]
                })
                .collect();
            let t = &r.total;
            rows.push(vec![
                "TOTAL".into(),
                t.environments.to_string(),
                money(t.cost_per_day),
                money(t.saved_per_day),
                money(t.saved_so_far),
            ]);
            let key = match a.by {
                By::Env => "ENVIRONMENT",
                By::Owner => "OWNER",
                By::Team => "TEAM",
            };
            let c = &r.currency;
            ctx.out.out(&simple_table(
                &[
                    key,
                    "ENVS",
                    &format!("{c}/DAY"),
                    &format!("SAVED {c}/DAY"),
                    &format!("SAVED {c} SO FAR"),
                ],
                rows,
            ));
        }
        Format::Name => ctx
            .out
            .out(&r.groups.iter().map(|g| g.key.clone()).collect::<Vec<_>>().join("\n")),
        _ => ctx.out.value(&r),
    }
    Ok(0)
}
