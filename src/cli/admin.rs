//! `kubenv admin`: install the policy and RBAC, show and validate policies, and `kubenv
//! templates` for everyone.

use super::Ctx;
use crate::output::{Format, simple_table};
use kubenv::admin::{self, InitOptions};
use kubenv::policy::{Policy, PolicySource};
use kubenv::{Error, Result};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv admin init --policy policy.yaml --engineers-group developers
  kubenv admin policy show
  kubenv admin policy validate policy.yaml")]
pub struct Args {
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum AdminCommand {
    /// Install kubenv-system, the policy and the engineer/admin ClusterRoles (idempotent)
    #[command(after_help = "Examples:
  kubenv admin init
  kubenv admin init --policy policy.yaml --engineers-group developers --admins-group platform
  kubenv admin init --policy policy.yaml --dry-run
  kubenv admin init --gc-cronjob-image registry.example.com/kubenv:0.1.0 | kubectl apply -f -")]
    Init(InitArgs),
    /// Show what the API server enforces on this cluster: admission policies, bindings, parameters
    #[command(
        after_help = "Exits 1 when something is missing, outdated or out of sync.\n\nExamples:\n  kubenv admin check\n  kubenv admin check -o json"
    )]
    Check,
    /// Show or validate the policy
    Policy(PolicyArgs),
}

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// Policy file to install (default: the built-in defaults)
    #[arg(long, value_name = "FILE")]
    pub policy: Option<std::path::PathBuf>,
    /// Ask the server to check everything without changing anything
    #[arg(long)]
    pub dry_run: bool,
    /// Bind this group to the kubenv:engineer ClusterRole
    #[arg(long, value_name = "GROUP")]
    pub engineers_group: Option<String>,
    /// Bind this group to the kubenv:admin ClusterRole
    #[arg(long, value_name = "GROUP")]
    pub admins_group: Option<String>,
    /// Print (do not apply) a CronJob, ServiceAccount and RBAC running `kubenv gc` in the cluster
    #[arg(long, value_name = "IMAGE")]
    pub gc_cronjob_image: Option<String>,
    /// Schedule of that CronJob
    #[arg(long, value_name = "CRON", default_value = "*/15 * * * *")]
    pub gc_schedule: String,
}

#[derive(clap::Args, Debug)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum PolicyCommand {
    /// Print the policy in force (the cluster's, or the built-in defaults)
    Show,
    /// Check a policy file offline; errors name the line
    Validate {
        /// Policy file
        file: std::path::PathBuf,
    },
}

fn read(file: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(file)
        .map_err(|e| Error::InvalidInput(format!("cannot read policy file {}: {e}", file.display())))
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    match a.command {
        AdminCommand::Init(i) => init(ctx, i).await,
        AdminCommand::Check => check(ctx).await,
        AdminCommand::Policy(PolicyArgs {
            command: PolicyCommand::Validate { file },
        }) => {
            let text = read(&file)?;
            let p = Policy::from_yaml(&text, &file.display().to_string())?;
            match ctx.out.format {
                Format::Table | Format::Name => ctx.out.out(&format!(
                    "policy {} is valid: {} templates, TTL default {} max {}",
                    file.display(),
                    p.templates.len(),
                    p.ttl.default,
                    p.ttl.max
                )),
                _ => ctx.out.value(&p),
            }
            Ok(0)
        }
        AdminCommand::Policy(PolicyArgs {
            command: PolicyCommand::Show,
        }) => {
            let host = ctx.host().await?;
            let (p, source) = host
                .deadline("the policy", kubenv::env::ops::load_policy(&host))
                .await?;
            if source == PolicySource::BuiltIn {
                ctx.out
                    .note("no policy installed in the cluster: these are the built-in defaults (kubenv admin init)");
            }
            match ctx.out.format {
                Format::Json => ctx.out.value(&p),
                _ => ctx
                    .out
                    .out(&serde_saphyr::to_string(&p).map_err(|e| Error::Other(e.to_string()))?),
            }
            Ok(0)
        }
    }
}

async fn init(ctx: &Ctx, a: InitArgs) -> Result<i32> {
    if let Some(image) = &a.gc_cronjob_image {
        let docs: Vec<String> = admin::gc_cronjob(image, &a.gc_schedule)
            .iter()
            .map(|d| serde_saphyr::to_string(d).unwrap_or_default())
            .collect();
        ctx.out.out(&docs.join("---\n"));
        return Ok(0);
    }
    let policy = match &a.policy {
        Some(f) => Some((read(f)?, f.display().to_string())),
        None => None,
    };
    let opts = InitOptions {
        policy,
        dry_run: a.dry_run,
        engineers_group: a.engineers_group,
        admins_group: a.admins_group,
    };
    if let Some((text, origin)) = &opts.policy {
        Policy::from_yaml(text, origin)?;
    }
    let host = ctx.host().await?;
    let report = host.deadline("admin init", admin::init(&host, &opts)).await?;
    match ctx.out.format {
        Format::Table | Format::Name => {
            let verb = if report.dry_run { "would apply" } else { "applied" };
            let mut lines: Vec<String> = report.applied.iter().map(|o| format!("{verb} {o}")).collect();
            lines.extend(
                report
                    .kept
                    .iter()
                    .map(|o| format!("kept {o} (pass --policy FILE to replace it)")),
            );
            ctx.out.out(&lines.join("\n"));
        }
        _ => ctx.out.value(&report),
    }
    Ok(0)
}

async fn check(ctx: &Ctx) -> Result<i32> {
    let host = ctx.host().await?;
    let report = host.deadline("admin check", admin::check(&host)).await?;
    match ctx.out.format {
        Format::Table | Format::Name => {
            let yes = |b: bool| if b { "yes" } else { "NO" }.to_string();
            let rows = report
                .policies
                .iter()
                .map(|p| {
                    vec![
                        p.name.clone(),
                        yes(p.installed),
                        yes(p.bound),
                        yes(p.current),
                        p.warnings.len().to_string(),
                    ]
                })
                .collect();
            let mut text = simple_table(&["POLICY", "INSTALLED", "BOUND (DENY)", "CURRENT", "WARNINGS"], rows);
            text.push_str(&format!(
                "\nparameters (ConfigMap kubenv-system/kubenv-policy): {}",
                match (report.params_present, report.params_drift.is_empty()) {
                    (false, _) => "MISSING".to_string(),
                    (true, true) => "present, in sync with policy.yaml".to_string(),
                    (true, false) => format!("OUT OF SYNC: {}", report.params_drift.join("; ")),
                }
            ));
            for p in &report.policies {
                for w in &p.warnings {
                    text.push_str(&format!("\nwarning: {}: {w}", p.name));
                }
            }
            if report.enforced {
                text.push_str("\nenforced: the API server refuses what kubenv's rules forbid, whatever the client");
            } else {
                for p in &report.problems {
                    text.push_str(&format!("\nproblem: {p}"));
                }
            }
            ctx.out.out(&text);
        }
        _ => ctx.out.value(&report),
    }
    Ok(if report.enforced {
        0
    } else {
        kubenv::error::exit::FAILURE
    })
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  kubenv templates -o json")]
pub struct TemplatesArgs {}

pub async fn run_templates(ctx: &Ctx, _a: TemplatesArgs) -> Result<i32> {
    let host = ctx.host().await?;
    let (p, _) = host
        .deadline("the policy", kubenv::env::ops::load_policy(&host))
        .await?;
    match ctx.out.format {
        Format::Table => {
            let rows = p
                .templates
                .iter()
                .map(|(name, t)| {
                    let def = if *name == p.default_template { " (default)" } else { "" };
                    vec![
                        format!("{name}{def}"),
                        format!("{}/{}", t.quota.requests_cpu, t.quota.limits_cpu),
                        format!("{}/{}", t.quota.requests_memory, t.quota.limits_memory),
                        t.quota.pods.to_string(),
                        t.pod_security.clone(),
                        t.network.mode.clone(),
                        t.ttl.clone().unwrap_or_else(|| p.ttl.default.clone()),
                        t.manifests.len().to_string(),
                        t.description.clone(),
                    ]
                })
                .collect();
            ctx.out.out(&simple_table(
                &[
                    "NAME",
                    "CPU",
                    "MEMORY",
                    "PODS",
                    "POD-SECURITY",
                    "NETWORK",
                    "TTL",
                    "EXTRAS",
                    "DESCRIPTION",
                ],
                rows,
            ));
        }
        Format::Name => ctx.out.out(
            &p.templates
                .keys()
                .map(|k| format!("template/{k}"))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => ctx.out.value(&p.templates),
    }
    Ok(0)
}
