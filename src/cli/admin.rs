//! `kubenv admin`: install the policy and RBAC, show and validate policies, and `kubenv
//! templates` for everyone.

use super::Ctx;
use crate::output::{Manifests, Shown, Templates, Validated};
use kubenv::Result;
use kubenv::app::admin::{self, InitOptions, PolicyFile};

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
    #[arg(long, value_name = "FILE", value_parser = |s: &str| PolicyFile::read(std::path::Path::new(s)).map(Box::new))]
    pub policy: Option<Box<PolicyFile>>,
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
        #[arg(value_parser = |s: &str| PolicyFile::read(std::path::Path::new(s)).map(Box::new))]
        file: Box<PolicyFile>,
    },
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    match a.command {
        AdminCommand::Init(i) => init(ctx, i).await,
        AdminCommand::Check => check(ctx).await,
        AdminCommand::Policy(PolicyArgs {
            command: PolicyCommand::Validate { file },
        }) => {
            ctx.out.show(&Validated {
                file: &file.path,
                policy: &file.policy,
            })?;
            Ok(0)
        }
        AdminCommand::Policy(PolicyArgs {
            command: PolicyCommand::Show,
        }) => {
            let host = ctx.host().await?;
            let (policy, source) = admin::policy(&host).await?;
            ctx.out.show(&Shown {
                policy: &policy,
                source,
            })?;
            Ok(0)
        }
    }
}

async fn init(ctx: &Ctx, a: InitArgs) -> Result<i32> {
    if let Some(image) = &a.gc_cronjob_image {
        ctx.out.show(&Manifests(admin::gc_cronjob(image, &a.gc_schedule)))?;
        return Ok(0);
    }
    let opts = InitOptions {
        policy: a.policy.map(|p| *p),
        dry_run: a.dry_run,
        engineers_group: a.engineers_group,
        admins_group: a.admins_group,
    };
    let host = ctx.host().await?;
    let report = admin::init(&host, &opts).await?;
    ctx.out.show(&report)?;
    Ok(0)
}

async fn check(ctx: &Ctx) -> Result<i32> {
    let host = ctx.host().await?;
    let report = admin::check(&host).await?;
    ctx.out.show(&report)?;
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
    let (policy, _) = admin::policy(&host).await?;
    ctx.out.show(&Templates(&policy))?;
    Ok(0)
}
