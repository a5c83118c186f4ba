//! kubenv's entry point: parse, run the subcommand, map errors to documented exit codes.

mod cli;
mod output;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let out = output::Output::new(cli.global.output, cli.global.quiet, cli.global.verbose);
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            out.error(&format!("cannot start: {e}"));
            std::process::exit(kubenv::error::exit::FAILURE);
        }
    };
    let code = rt.block_on(async {
        tokio::select! {
            r = cli::run(cli) => match r {
                Ok(code) => code,
                Err(e) => {
                    out.error(&e.to_string());
                    e.exit_code()
                }
            },
            _ = tokio::signal::ctrl_c() => {
                out.error(&kubenv::Error::Interrupted.to_string());
                kubenv::error::exit::INTERRUPTED
            }
        }
    });
    drop(rt);
    std::process::exit(code);
}
