//! `kubenv create`: make a governed environment and connect to it.

use super::Ctx;
use super::connect::{Credentials, connect_env};
use crate::output::Format;
use kubenv::Result;
use kubenv::env::ops::{self, CreateOptions};
use kubenv::env::ready;
use kubenv::names::parse_duration;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv create pr-42 --ttl 2d
  kubenv create pr-$PR --team web --if-not-exists --no-switch -o json   # CI: one preview environment per pull request
  kubenv create demo --template standard --wait")]
pub struct Args {
    /// Environment name: lowercase letters, digits and '-'
    pub name: String,
    /// Team that owns the environment (for listing and cost)
    #[arg(long)]
    pub team: Option<String>,
    /// Time to live, e.g. 8h, 2d, 1w (default and maximum from the policy)
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub ttl: Option<String>,
    /// Record this identity as the owner instead of the caller's
    #[arg(long, value_name = "ID")]
    pub owner: Option<String>,
    /// Template (golden path) to build it from; see the policy
    #[arg(long)]
    pub template: Option<String>,
    /// Wait until the environment is ready: quota counted, the template's Deployments and
    /// StatefulSets available
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits (exit 6 after it), apart from the API --timeout
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub wait_timeout: std::time::Duration,
    /// Exit 0 if it already exists and is yours, re-applying its guardrails
    #[arg(long)]
    pub if_not_exists: bool,
    /// Do not write a kubeconfig context
    #[arg(long, conflicts_with = "no_switch")]
    pub no_connect: bool,
    /// Write the context but keep the current one
    #[arg(long)]
    pub no_switch: bool,
}

pub async fn run(ctx: &Ctx, mut a: Args) -> Result<i32> {
    let cfg = &ctx.config;
    a.no_switch = a.no_switch || (cfg.switch_context == Some(false) && !a.no_connect);
    // Everything the user typed is checked before the first request.
    kubenv::names::namespace_for(&a.name, "")?;
    let ttl = a.ttl.as_deref().map(parse_duration).transpose()?;
    // Personal defaults fill in what the flags leave open, for a new environment only.
    let defaults = ops::CreateDefaults {
        team: cfg.team.clone(),
        template: cfg.template.clone(),
        ttl: cfg.ttl.as_deref().map(parse_duration).transpose().map_err(|e| {
            kubenv::Error::InvalidInput(format!(
                "ttl in {} or KUBENV_TTL: {e}",
                kubenv::config::path().display()
            ))
        })?,
    };
    if let Some(t) = &a.team {
        kubenv::policy::Policy::default().check_team(Some(t))?;
    }
    let host = ctx.host().await?;
    if !a.no_connect {
        // A kubeconfig we could not write would leave an environment nobody connected to.
        kubenv::kubeconfig::preflight(&host.paths)?;
    }
    let opts = CreateOptions {
        name: a.name.clone(),
        team: a.team,
        ttl,
        owner: a.owner,
        template: a.template,
        if_not_exists: a.if_not_exists,
        defaults,
    };
    let progress = ctx.out.progress();
    let step = |m: &str| progress.step(m);
    let created = host
        .deadline("the environment to be created", ops::create(&host, &opts, &step))
        .await?;
    let mut env = created.environment;
    if a.wait {
        env = ready::wait(&host, &env, ready::Goal::Available, a.wait_timeout, &step).await?;
    }
    let mut switched = false;
    if !a.no_connect {
        step("writing the kubeconfig context");
        connect_env(ctx, &host, &env, Credentials::Exec, !a.no_switch, None).await?;
        switched = !a.no_switch;
    }
    step("done");
    progress.finish();
    match ctx.out.format {
        Format::Table => {
            let verb = if created.created {
                "created"
            } else {
                "exists; guardrails re-applied"
            };
            let mut msg = format!("environment {} {verb} (namespace {}", env.name, env.namespace);
            if let Some(e) = &env.expires_at {
                msg.push_str(&format!(", expires {e}"));
            }
            msg.push(')');
            if !a.no_connect {
                msg.push_str(&format!("\ncontext {} written", env.context));
                if switched {
                    msg.push_str(" and now current: kubectl works in the environment");
                }
            }
            ctx.out.out(&msg);
        }
        Format::Name => ctx.out.environment(&env),
        // The environment, plus whether this run made it.
        _ => ctx.out.value(&ops::Created {
            environment: env,
            created: created.created,
        }),
    }
    Ok(0)
}
