//! Short-lived credentials for an environment's tenant ServiceAccount (TokenRequest). The
//! on-disk cache the `kubenv token` exec plugin answers from is [`crate::local::token_cache`],
//! re-exported here.

use crate::Progress;
use crate::cluster::Host;
use crate::environment::TENANT_SA;
use crate::error::{Error, Result, api_code};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::{Api, PostParams};
use std::time::Duration;

pub use crate::local::token_cache::{
    RECHECK_AFTER, Token, cache_dir, cache_path, exec_credential, read_cached, remove_cached_for, write_cached,
};

pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// The API server refuses TokenRequests shorter than ten minutes.
pub const MIN_TOKEN_TTL: Duration = Duration::from_secs(600);

/// Mints a token for the environment's tenant ServiceAccount with the caller's host credentials.
pub async fn mint(host: &Host, env: &str, namespace: &str, ttl: Duration, progress: Progress<'_>) -> Result<Token> {
    progress("minting a short-lived token");
    let api: Api<ServiceAccount> = Api::namespaced(host.client.clone(), namespace);
    let req = TokenRequest {
        spec: TokenRequestSpec {
            audiences: vec![],
            expiration_seconds: Some(ttl.max(MIN_TOKEN_TTL).as_secs() as i64),
            ..Default::default()
        },
        ..Default::default()
    };
    match api.create_token_request(TENANT_SA, &PostParams::default(), &req).await {
        Ok(r) => {
            let status = r
                .status
                .ok_or_else(|| Error::Other("the TokenRequest came back without a token".into()))?;
            Ok(Token {
                token: status.token,
                expiration_timestamp: status.expiration_timestamp.0.to_string(),
                checked_at: Some(crate::environment::now_stamp().to_string()),
            })
        }
        Err(e) if api_code(&e) == Some(404) => Err(Error::NotFound {
            name: env.to_string(),
            namespace: namespace.to_string(),
        }),
        Err(e) => Err(host.map(e)),
    }
}
