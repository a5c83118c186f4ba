//! `kubenv version`: the client's version and the server's, as `kubectl version` shows them.
//! Like kubectl, it prints the client's version even when the server cannot be reached, and
//! then fails with the error's exit code (6 when unreachable); `--client` asks no server.

use super::Ctx;
use crate::output::Version;
use kubenv::Result;
use kubenv::version::{client_version, versions};
use serde_json::json;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv version
  kubenv version --client
  kubenv version -o json | jq -r .serverVersion.gitVersion")]
pub struct Args {
    /// Only the client's version; no cluster needed
    #[arg(long)]
    pub client: bool,
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let host = (!a.client).then(|| ctx.host_options());
    let (server, result) = versions(host.as_ref()).await;
    ctx.out.show(&Version {
        client_version: json!({"version": client_version()}),
        server_version: server.as_ref(),
    })?;
    // An unsupported server is reported (`supported: false`), not an error: `version` is how
    // one finds out.
    result.map(|()| 0)
}
