//! The token cache: one short-lived token per environment (and host context and
//! kubeconfig), which the `kubenv token` exec plugin answers from without any API call.
//! Files are 0600 in a 0700 folder; see [`cache_dir`] for where.

use super::atomic;
use crate::error::Result;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    pub token: String,
    /// RFC 3339.
    pub expiration_timestamp: String,
    /// When the environment was last checked (asleep?) and its activity recorded, RFC 3339.
    /// The exec plugin answers from the cache without any request until this is
    /// [`RECHECK_AFTER`] old.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
}

/// How often the exec plugin looks at the environment (wake on access, activity).
pub const RECHECK_AFTER: Duration = Duration::from_secs(300);

impl Token {
    /// True if the environment was looked at recently enough to skip looking again.
    pub fn recently_checked(&self, now: jiff::Timestamp) -> bool {
        self.checked_at
            .as_deref()
            .and_then(|c| c.parse::<jiff::Timestamp>().ok())
            .is_some_and(|c| now.as_second() - c.as_second() < RECHECK_AFTER.as_secs() as i64)
    }

    /// True while the token has more than a safety margin left (a tenth of its life, at
    /// least a minute), so kubectl never sends one that expires in flight.
    pub fn is_fresh(&self, now: jiff::Timestamp, lifetime: Duration) -> bool {
        let Ok(exp) = self.expiration_timestamp.parse::<jiff::Timestamp>() else {
            return false;
        };
        let margin = (lifetime.as_secs() / 10).max(60) as i64;
        exp > now + jiff::SignedDuration::from_secs(margin)
    }
}

/// Where cached tokens live: `$KUBENV_CACHE_DIR/tokens`, else the user cache dir,
/// `kubenv/tokens`.
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("KUBENV_CACHE_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("tokens"),
        _ => dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("kubenv")
            .join("tokens"),
    }
}

/// The cache file for one environment as reached through one host context and kubeconfig.
pub fn cache_path(dir: &Path, key_parts: &[&str], env: &str) -> PathBuf {
    // FNV-1a: stable across builds, unlike std's hasher.
    let mut h: u64 = 0xcbf29ce484222325;
    for part in key_parts {
        for b in part.bytes().chain([0u8]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    dir.join(format!("{env}-{h:016x}.json"))
}

/// The cached token, if there is a readable one.
pub fn read_cached(path: &Path) -> Option<Token> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Stores a token 0600 in a 0700 folder, atomically.
pub fn write_cached(path: &Path, token: &Token) -> Result<()> {
    atomic::create_dir(atomic::parent(path))?;
    let bytes = serde_json::to_vec(token).unwrap_or_default();
    atomic::write(path, &bytes, atomic::Options::default()).map_err(|source| {
        super::Error::CacheWrite {
            path: path.to_path_buf(),
            source,
        }
        .into()
    })
}

/// Forgets every cached token of an environment (whatever context it was reached through).
pub fn remove_cached_for(env: &str) {
    let dir = cache_dir();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        let prefix = format!("{env}-");
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with(&prefix) && n.len() == prefix.len() + 16 + 5 {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// The ExecCredential document client-go expects from an exec plugin.
pub fn exec_credential(api_version: &str, token: &Token) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": api_version,
        "kind": "ExecCredential",
        "status": {"token": token.token, "expirationTimestamp": token.expiration_timestamp},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_and_cache() {
        let now: jiff::Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let t = Token {
            token: "x".into(),
            expiration_timestamp: "2030-01-01T01:00:00Z".into(),
            checked_at: Some("2030-01-01T00:00:00Z".into()),
        };
        assert!(t.recently_checked(now));
        assert!(!t.recently_checked("2030-01-01T00:06:00Z".parse().unwrap()));
        assert!(t.is_fresh(now, Duration::from_secs(3600)));
        let late: jiff::Timestamp = "2030-01-01T00:55:00Z".parse().unwrap();
        assert!(!t.is_fresh(late, Duration::from_secs(3600)));

        let dir = tempfile::tempdir().unwrap();
        let p = cache_path(&dir.path().join("tokens"), &["ctx", "/k"], "pr-1");
        assert_eq!(p, cache_path(&dir.path().join("tokens"), &["ctx", "/k"], "pr-1"));
        assert_ne!(p, cache_path(&dir.path().join("tokens"), &["ctx2", "/k"], "pr-1"));
        write_cached(&p, &t).unwrap();
        assert_eq!(read_cached(&p), Some(t));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(
            std::fs::metadata(p.parent().unwrap()).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }

    #[test]
    fn a_cache_that_cannot_be_written_is_exit_1() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let t = Token {
            token: "x".into(),
            expiration_timestamp: "2030-01-01T01:00:00Z".into(),
            checked_at: None,
        };
        let e = write_cached(&blocker.join("tokens").join("e-0.json"), &t).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::FAILURE, "{e}");
        assert!(e.to_string().starts_with("creating "), "{e}");
    }
}
