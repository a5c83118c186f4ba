//! `kubenv version`: the client's version and the server's, as `kubectl version` shows them.
//! Like kubectl, it prints the client's version even when the server cannot be reached, and
//! then fails with the error's exit code (6 when unreachable); `--client` asks no server.

use super::Ctx;
use crate::output::{Format, Version};
use kubenv::Result;
use kubenv::version::{client_version, server};
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
    let result = if a.client {
        None
    } else {
        Some(match ctx.host().await {
            Ok(host) => host.deadline("the server version", server(&host)).await,
            Err(e) => Err(e),
        })
    };
    let sv = match &result {
        Some(Ok(v)) => Some(v),
        _ => None,
    };
    match ctx.out.format {
        Format::Table | Format::Markdown | Format::Name => {
            let mut text = format!("Client Version: v{}", client_version());
            if let Some(v) = sv {
                text.push_str(&format!("\nServer Version: {}", v.git_version));
                if !v.supported {
                    text.push_str(&format!(" (not supported: kubenv needs {} or newer)", v.minimum));
                }
            }
            ctx.out.out(&text);
        }
        _ => ctx.out.value(&Version {
            client_version: json!({"version": client_version()}),
            server_version: sv,
        }),
    }
    // An unsupported server is reported (`supported: false`), not an error: `version` is how
    // one finds out.
    match result {
        Some(Err(e)) => Err(e),
        _ => Ok(0),
    }
}
