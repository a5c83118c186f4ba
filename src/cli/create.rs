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
  kubenv create demo --template standard --wait
  kubenv create --from-branch \"$GITHUB_HEAD_REF\" -l tier=preview -l pr=42 --wait -o markdown")]
pub struct Args {
    /// Environment name: lowercase letters, digits and '-'
    #[arg(required_unless_present = "from_branch", conflicts_with = "from_branch")]
    pub name: Option<String>,
    /// Name the environment after a git branch, as `kubenv name BRANCH` prints it (stable,
    /// valid, at most 40 characters)
    #[arg(long, value_name = "BRANCH")]
    pub from_branch: Option<String>,
    /// Label for the namespace, KEY=VALUE (repeatable); `kubenv list -l KEY=VALUE` finds it
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Annotation for the namespace, KEY=VALUE (repeatable), e.g. a pull request's URL
    #[arg(long = "annotation", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
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
    let name = match (&a.name, &a.from_branch) {
        (Some(n), _) => n.clone(),
        (None, Some(b)) => kubenv::names::branch_name(b, kubenv::names::BRANCH_NAME_MAX),
        (None, None) => {
            return Err(kubenv::Error::InvalidInput(
                "give the environment a NAME or --from-branch BRANCH".into(),
            ));
        }
    };
    kubenv::names::namespace_for(&name, "")?;
    let mut labels = std::collections::BTreeMap::new();
    for l in &a.labels {
        let (k, v) = kubenv::names::parse_metadata(l, true)?;
        labels.insert(k, v);
    }
    let mut annotations = std::collections::BTreeMap::new();
    for l in &a.annotations {
        let (k, v) = kubenv::names::parse_metadata(l, false)?;
        annotations.insert(k, v);
    }
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
        name: name.clone(),
        labels,
        annotations,
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
    // What it exposes matters once it is up (--wait) and in the pull-request summary; two
    // list calls, so not otherwise.
    if a.wait || ctx.out.format == Format::Markdown {
        step("looking up endpoints");
        env.endpoints = Some(
            host.deadline("the endpoints", kubenv::env::endpoints::list(&host, &env.namespace))
                .await?,
        );
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
        Format::Name | Format::Markdown => ctx.out.environment(&env),
        // The environment, plus whether this run made it.
        _ => ctx.out.value(&ops::Created {
            environment: env,
            created: created.created,
        }),
    }
    Ok(0)
}
