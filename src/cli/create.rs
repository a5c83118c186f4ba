//! `kubenv create`: make a governed environment and connect to it.

use super::Ctx;
use crate::output::Format;
use kubenv::Result;
use kubenv::app::connect::Target;
use kubenv::app::create::{self, CreateDefaults, CreateOptions};
use kubenv::environment::Kind;
use kubenv::names::{EnvName, parse_duration, parse_metadata};
use std::time::Duration;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv create pr-42 --ttl 2d
  kubenv create pr-$PR --team web --if-not-exists --no-switch -o json   # CI: one preview environment per pull request
  kubenv create demo --template standard --wait
  kubenv create --from-branch \"$GITHUB_HEAD_REF\" -l tier=preview -l pr=42 --wait -o markdown")]
pub struct Args {
    /// Environment name: lowercase letters, digits and '-'
    #[arg(required_unless_present = "from_branch", conflicts_with = "from_branch")]
    pub name: Option<EnvName>,
    /// Name the environment after a git branch, as `kubenv name BRANCH` prints it (stable,
    /// valid, at most 40 characters)
    #[arg(long, value_name = "BRANCH")]
    pub from_branch: Option<String>,
    /// Label for the namespace, KEY=VALUE (repeatable); `kubenv list -l KEY=VALUE` finds it
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE", value_parser = |s: &str| parse_metadata(s, true))]
    pub labels: Vec<(String, String)>,
    /// Annotation for the namespace, KEY=VALUE (repeatable), e.g. a pull request's URL
    #[arg(long = "annotation", value_name = "KEY=VALUE", value_parser = |s: &str| parse_metadata(s, false))]
    pub annotations: Vec<(String, String)>,
    /// Team that owns the environment (for listing and cost)
    #[arg(long)]
    pub team: Option<String>,
    /// Time to live, e.g. 8h, 2d, 1w (default and maximum from the policy)
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = parse_duration)]
    pub ttl: Option<Duration>,
    /// Record this identity as the owner instead of the caller's
    #[arg(long, value_name = "ID")]
    pub owner: Option<String>,
    /// Template (golden path) to build it from; see the policy
    #[arg(long)]
    pub template: Option<String>,
    /// Kind of environment: namespace, or vcluster (a virtual cluster with its own API
    /// server); default: the template's
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<Kind>,
    /// Wait until the environment is ready: quota counted, the template's Deployments and
    /// StatefulSets available (a virtual cluster: always, until its API server answers)
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits (exit 6 after it), apart from the API --timeout
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub wait_timeout: Duration,
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

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let cfg = &ctx.config;
    let name = match (a.name, &a.from_branch) {
        (Some(n), _) => n,
        (None, Some(b)) => kubenv::names::name_for_branch(b, kubenv::names::BRANCH_NAME_MAX)?,
        (None, None) => {
            return Err(kubenv::Error::InvalidInput(
                "give the environment a NAME or --from-branch BRANCH".into(),
            ));
        }
    };
    if let Some(t) = &a.team {
        kubenv::policy::Policy::default().check_team(Some(t))?;
    }
    let opts = CreateOptions {
        name,
        kind: a.kind,
        labels: a.labels.into_iter().collect(),
        annotations: a.annotations.into_iter().collect(),
        team: a.team,
        ttl: a.ttl,
        owner: a.owner,
        template: a.template,
        if_not_exists: a.if_not_exists,
        // Personal defaults fill in what the flags leave open, for a new environment only.
        defaults: CreateDefaults {
            team: cfg.team.clone(),
            template: cfg.template.clone(),
            ttl: cfg.ttl.as_deref().map(parse_duration).transpose().map_err(|e| {
                kubenv::Error::InvalidInput(format!(
                    "ttl in {} or KUBENV_TTL: {e}",
                    kubenv::local::config::path().display()
                ))
            })?,
        },
        wait: a.wait,
        wait_timeout: a.wait_timeout,
        endpoints: ctx.out.format == Format::Markdown,
        connect: (!a.no_connect).then(|| Target {
            switch: !(a.no_switch || cfg.switch_context == Some(false)),
            ..Target::default()
        }),
    };
    let host = ctx.host().await?;
    let progress = ctx.out.progress();
    let created = create::create(&host, &opts, &|m| progress.step(m)).await?;
    progress.finish();
    ctx.out.show(&created)?;
    Ok(0)
}
