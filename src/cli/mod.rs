//! The command line: global flags, one module per subcommand. Each subcommand parses its
//! flags into typed values (clap's value parsers), makes one call into `kubenv::app`, and
//! hands the result to `output`. No use case logic lives here.

pub mod admin;
pub mod completions;
pub mod connect;
pub mod create;
pub mod delete;
pub mod gc;
pub mod list;
pub mod name;
pub mod proxy;
pub mod prune;
pub mod sleep;
pub mod token;
pub mod version;

use crate::output::{Format, Output};
use clap::{Parser, Subcommand};
use kubenv::cluster::{Host, HostOptions};
use kubenv::{Error, Result};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Start here:
  kubenv create pr-42 --ttl 2d        make an environment and switch kubectl to it
  kubectl apply -f app.yaml           work in it as usual
  kubenv list                         your environments, with quota use and expiry
  kubenv sleep pr-42 / kubenv wake pr-42
  kubenv delete pr-42 --yes

Exit codes: 0 ok, 1 failure, 2 invalid input, 3 not found, 4 already exists / owned by
someone else, 5 forbidden or not managed by kubenv, 6 cluster unreachable or timed out,
130 interrupted (Ctrl-C). See docs/exit-codes.md.";

#[derive(Parser, Debug)]
#[command(name = "kubenv", version, about = "Self-service, governed Kubernetes environments on a shared cluster",
          after_help = AFTER_HELP, arg_required_else_help = true, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Args, Debug, Clone)]
pub struct Global {
    /// Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
    #[arg(long, global = true, value_name = "FILE", help_heading = "Global options")]
    pub kubeconfig: Option<PathBuf>,
    /// The host cluster's kubeconfig context (default: the current context)
    #[arg(long, global = true, value_name = "NAME", help_heading = "Global options")]
    pub context: Option<String>,
    /// Output format: table, json, yaml, name, markdown (get, create), jsonpath=TEMPLATE
    #[arg(short = 'o', long, global = true, value_name = "FORMAT", value_parser = Format::parse,
          default_value = "table", help_heading = "Global options")]
    pub output: Format,
    /// Tables without their header line
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_headers: bool,
    /// Print only results, no progress or notes
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// More detail on stderr (never credentials)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,
    /// Answer yes to confirmations
    #[arg(short = 'y', long, global = true, help_heading = "Global options")]
    pub yes: bool,
    /// Deadline for the command's work with the cluster, e.g. 30s, 2m
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        default_value = "30s",
        allow_hyphen_values = true,
        value_parser = kubenv::names::parse_duration,
        help_heading = "Global options"
    )]
    pub timeout: std::time::Duration,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create an environment (namespace + guardrails) and connect to it
    Create(Box<create::Args>),
    /// List environments
    #[command(visible_alias = "ls")]
    List(list::Args),
    /// Show one environment
    Get(list::GetArgs),
    /// Write a kubeconfig context for an environment and switch to it
    Connect(connect::Args),
    /// Switch kubectl back to the context in use before `connect`
    Disconnect(connect::DisconnectArgs),
    /// Remove kubeconfig contexts of environments that no longer exist
    Prune(prune::Args),
    /// Forward a local port to a virtual cluster's API server, until Ctrl-C
    Proxy(proxy::Args),
    /// Print a short-lived credential for an environment (kubectl exec plugin)
    Token(token::Args),
    /// Scale an environment's workloads to zero and block new pods
    Sleep(sleep::Args),
    /// Restore what `sleep` scaled down
    Wake(sleep::Args),
    /// Delete an environment and its kubeconfig entries
    #[command(visible_alias = "rm")]
    Delete(delete::Args),
    /// Move an environment's expiry
    Extend(gc::ExtendArgs),
    /// List the templates (golden paths) of the policy
    Templates(admin::TemplatesArgs),
    /// Delete expired environments; put idle or out-of-schedule ones to sleep
    Gc(gc::GcArgs),
    /// Show the audit trail of lifecycle actions
    History(gc::HistoryArgs),
    /// Show what environments cost per day, and what sleep saved
    Cost(gc::CostArgs),
    /// Platform admin: install the policy and RBAC, show or validate the policy
    Admin(admin::Args),
    /// Print a shell completion script
    Completions(completions::Args),
    /// Print the environment name for a git branch (what `create --from-branch` uses)
    Name(name::Args),
    /// Print the client's and the server's version
    Version(version::Args),
}

/// What every subcommand gets: the output and how to reach the cluster.
pub struct Ctx {
    pub out: Output,
    pub global: Global,
    /// Personal defaults (config file and KUBENV_* variables); flags win over them.
    pub config: kubenv::local::config::UserConfig,
}

impl Ctx {
    pub fn host_options(&self) -> HostOptions {
        HostOptions {
            kubeconfig: self.global.kubeconfig.clone(),
            context: self.global.context.clone(),
            timeout: Some(self.global.timeout),
        }
    }

    pub async fn host(&self) -> Result<Host> {
        let h = kubenv::cluster::connect(&self.host_options()).await?;
        self.out
            .debug(&format!("host cluster {} (context {})", h.endpoint.server, h.context));
        Ok(h)
    }

    /// Whether to ask before acting: on a terminal, without --yes.
    pub fn must_confirm(&self) -> Result<bool> {
        if self.global.yes {
            return Ok(false);
        }
        if !self.out.stdin_tty {
            return Err(Error::InvalidInput(
                "refusing to ask for confirmation off a terminal; pass --yes".into(),
            ));
        }
        Ok(true)
    }
}

pub async fn run(cli: Cli, config: kubenv::local::config::UserConfig) -> Result<i32> {
    if cli.global.output == Format::Markdown && !matches!(cli.command, Command::Get(_) | Command::Create(_)) {
        return Err(Error::InvalidInput(
            "-o markdown is for `kubenv get` and `kubenv create`; use -o json or -o yaml here".into(),
        ));
    }
    crate::output::set_no_headers(cli.global.no_headers);
    let out = Output::new(cli.global.output.clone(), cli.global.quiet, cli.global.verbose);
    let ctx = Ctx {
        out,
        global: cli.global,
        config,
    };
    match cli.command {
        Command::Create(a) => create::run(&ctx, *a).await,
        Command::List(a) => list::run(&ctx, a).await,
        Command::Get(a) => list::run_get(&ctx, a).await,
        Command::Connect(a) => connect::run(&ctx, a).await,
        Command::Disconnect(a) => connect::run_disconnect(&ctx, a).await,
        Command::Prune(a) => prune::run(&ctx, a).await,
        Command::Proxy(a) => proxy::run(&ctx, a).await,
        Command::Token(a) => token::run(&ctx, a).await,
        Command::Sleep(a) => sleep::run(&ctx, a, true).await,
        Command::Wake(a) => sleep::run(&ctx, a, false).await,
        Command::Delete(a) => delete::run(&ctx, a).await,
        Command::Extend(a) => gc::run_extend(&ctx, a).await,
        Command::Templates(a) => admin::run_templates(&ctx, a).await,
        Command::Gc(a) => gc::run_gc(&ctx, a).await,
        Command::History(a) => gc::run_history(&ctx, a).await,
        Command::Cost(a) => gc::run_cost(&ctx, a).await,
        Command::Admin(a) => admin::run(&ctx, a).await,
        Command::Completions(a) => completions::run(&ctx, a).await,
        Command::Name(a) => name::run(&ctx, a).await,
        Command::Version(a) => version::run(&ctx, a).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The smallest valid arguments of every subcommand (and of admin's), so that each can
    /// be parsed with the global flags around it.
    fn minimal_args(path: &[&str]) -> Vec<String> {
        let mut cmd = Cli::command();
        for p in path {
            cmd = cmd.find_subcommand(p).expect("subcommand").clone();
        }
        let mut v: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        for a in cmd.get_positionals() {
            if a.is_required_set() {
                v.push(match a.get_id().as_str() {
                    "shell" => "bash".into(),
                    "branch" => "feature/x".into(),
                    // A policy file is read and checked as it is parsed.
                    "file" => {
                        let p = std::env::temp_dir().join(format!("kubenv-policy-{}.yaml", std::process::id()));
                        std::fs::write(&p, "{}\n").unwrap();
                        p.to_string_lossy().into_owned()
                    }
                    _ => "pr-1".into(),
                });
            }
        }
        // NAME is optional with --from-branch, yet one of them is needed.
        if path == ["create"] {
            v.push("pr-1".into());
        }
        if path == ["extend"] {
            v.extend(["--ttl".into(), "1d".into()]);
        }
        v
    }

    fn leaves() -> Vec<Vec<String>> {
        fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
            let subs: Vec<_> = cmd.get_subcommands().collect();
            if subs.is_empty() && !path.is_empty() {
                out.push(path.clone());
            }
            for s in subs {
                let mut p = path.clone();
                p.push(s.get_name().to_string());
                walk(s, p, out);
            }
        }
        let mut out = Vec::new();
        walk(&Cli::command(), Vec::new(), &mut out);
        out
    }

    #[test]
    fn global_flags_work_before_and_after_every_subcommand() {
        let globals = [
            "-y",
            "-q",
            "-v",
            "-o",
            "json",
            "--timeout",
            "5s",
            "--context",
            "ctx",
            "--kubeconfig",
            "/tmp/kc",
        ];
        let leaves = leaves();
        assert!(leaves.len() >= 18, "{leaves:?}");
        for leaf in leaves {
            let path: Vec<&str> = leaf.iter().map(String::as_str).collect();
            let args = minimal_args(&path);
            for (label, argv) in [
                (
                    "after",
                    [
                        &["kubenv"][..],
                        &args.iter().map(String::as_str).collect::<Vec<_>>(),
                        &globals,
                    ]
                    .concat(),
                ),
                (
                    "before",
                    [
                        &["kubenv"][..],
                        &globals,
                        &args.iter().map(String::as_str).collect::<Vec<_>>(),
                    ]
                    .concat(),
                ),
            ] {
                let cli = Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{label} {argv:?}: {e}"));
                let g = &cli.global;
                assert!(g.yes && g.quiet && g.verbose == 1, "{argv:?}");
                assert_eq!(g.output, Format::Json, "{argv:?}");
                assert_eq!(g.timeout, std::time::Duration::from_secs(5));
                assert_eq!(g.context.as_deref(), Some("ctx"));
                assert_eq!(g.kubeconfig.as_deref(), Some(std::path::Path::new("/tmp/kc")));
            }
        }
        // The case that used to be a usage error.
        let cli = Cli::try_parse_from(["kubenv", "rm", "pr-42", "-y"]).unwrap();
        assert!(cli.global.yes);
    }
}
