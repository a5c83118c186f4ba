//! `kubenv version`: the server's version and whether kubenv supports it.

use crate::cluster::{self, Host, HostOptions, MIN_MINOR, server_minor};
use crate::error::Result;
use serde::Serialize;

/// What the API server says about itself (`/version`), and kubenv's verdict.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServerVersion {
    pub git_version: String,
    pub major: String,
    pub minor: String,
    pub platform: String,
    /// False for servers older than `minimum` (kubenv refuses to act on them).
    pub supported: bool,
    pub minimum: String,
}

/// The client's version, as built.
pub fn client_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

pub async fn server(host: &Host) -> Result<ServerVersion> {
    let info = host.client.apiserver_version().await.map_err(|e| host.map(e))?;
    // A server that does not say its minor version gets the benefit of the doubt, as
    // `require_supported_server` gives it.
    let supported = server_minor(&info.major, &info.minor, &info.git_version).is_none_or(|m| m >= MIN_MINOR);
    Ok(ServerVersion {
        git_version: info.git_version,
        major: info.major,
        minor: info.minor,
        platform: info.platform,
        supported,
        minimum: format!("1.{MIN_MINOR}"),
    })
}

/// `version`: the server's version when asked (`host`), within the command's deadline. The
/// error, if any, comes beside the result: the client's version is shown either way.
pub async fn versions(host: Option<&HostOptions>) -> (Option<ServerVersion>, Result<()>) {
    let Some(opts) = host else {
        return (None, Ok(()));
    };
    let r = async {
        let host = cluster::connect(opts).await?;
        host.deadline("the server version", server(&host)).await
    }
    .await;
    match r {
        Ok(v) => (Some(v), Ok(())),
        Err(e) => (None, Err(e)),
    }
}
