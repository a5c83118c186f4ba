//! `kubenv proxy`: a local port forwarded to a virtual cluster's API server, for the context
//! `kubenv connect` wrote, until Ctrl-C.

use super::Ctx;
use kubenv::Result;
use kubenv::app::connect;
use kubenv::names::EnvName;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv proxy pr-42 &                 then kubectl works in the context `kubenv connect pr-42` wrote
  kubenv connect pr-42 -- kubectl get ns   keeps a forward for one command instead")]
pub struct Args {
    /// Environment name (a virtual cluster reached through a port-forward)
    pub name: EnvName,
    /// Local port (default: the one in the environment's context)
    #[arg(long)]
    pub port: Option<u16>,
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let host = ctx.host().await?;
    // Ctrl-C is how a proxy ends: exit 0.
    crate::output::set_handles_interrupt();
    let name = a.name.clone();
    let listening = |addr: std::net::SocketAddr| {
        ctx.out.note(&format!(
            "forwarding {addr} to the API server of {name}; Ctrl-C to stop"
        ));
    };
    tokio::select! {
        r = connect::proxy(&host, &a.name, a.port, &listening) => r?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(0)
}
