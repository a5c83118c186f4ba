//! kubenv's entry point: parse, run the subcommand, map errors to documented exit codes.

mod cli;
mod output;

use clap::{CommandFactory, FromArgMatches, parser::ValueSource};

fn main() {
    // A TAB in a shell (or `kubectl kubenv <TAB>`) asks kubenv; answer and exit.
    cli::completions::complete_if_asked();
    // Installed as `kubectl-kubenv`, kubenv is the kubectl plugin `kubectl kubenv`.
    let plugin = std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|f| f.to_string_lossy().starts_with("kubectl-kubenv"))
        })
        .unwrap_or(false);
    let mut cmd = cli::Cli::command();
    if plugin {
        cmd = cmd.bin_name("kubectl kubenv");
    }
    let matches = cmd.get_matches();
    let mut cli = cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let config = match kubenv::local::config::load() {
        Ok(c) => c,
        Err(e) => {
            output::Output::new(cli.global.output.clone(), cli.global.quiet, cli.global.verbose).failure(&e);
            std::process::exit(e.exit_code());
        }
    };
    if matches.value_source("output") == Some(ValueSource::DefaultValue)
        && let Some(o) = &config.output
    {
        match output::Format::parse(o) {
            Ok(f) => cli.global.output = f,
            Err(why) => {
                let e = kubenv::Error::InvalidInput(format!(
                    "output {o:?} from {} or KUBENV_OUTPUT: {why}",
                    kubenv::local::config::path().display()
                ));
                output::Output::new(cli.global.output.clone(), false, 0).failure(&e);
                std::process::exit(e.exit_code());
            }
        }
    }
    let out = output::Output::new(cli.global.output.clone(), cli.global.quiet, cli.global.verbose);
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            out.error(&format!("cannot start: {e}"));
            std::process::exit(kubenv::error::exit::FAILURE);
        }
    };
    let code = rt.block_on(async {
        tokio::select! {
                    r = cli::run(cli, config) => match r {
                        Ok(code) => code,
                        // A reader that stopped reading (`kubenv list | head`) is not a failure.
                        Err(kubenv::Error::OutputClosed) => kubenv::error::exit::OK,
                        Err(e) => {
                            out.failure(&e);
                            e.exit_code()
                        }
                    },
        // Ctrl-C interrupts, unless a command handles it itself and ends cleanly
                    // (`list --watch`), or `connect -- CMD` runs a child (Ctrl-C is the child's, and
                    // kubenv waits for it).
                    _ = async {
                        loop {
                            if tokio::signal::ctrl_c().await.is_err() {
                                std::future::pending::<()>().await;
                            }
                            if output::handles_interrupt() {
                                std::future::pending::<()>().await;
                            }
                            if !kubenv::app::connect::child_running() {
                                break;
                            }
                        }
                    } => {
                        out.failure(&kubenv::Error::Interrupted);
                        kubenv::error::exit::INTERRUPTED
                    }
                }
    });
    // The interrupted command's locks were dropped above; let their releases go out (briefly)
    // so the next command does not wait for them to expire.
    rt.block_on(kubenv::backend::lock::wait_for_releases(
        std::time::Duration::from_secs(2),
    ));
    drop(rt);
    std::process::exit(code);
}
