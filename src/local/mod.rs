//! The state kubenv keeps on the user's machine, and nothing else touches the disk:
//!
//! - **the kubeconfig files** ([`kubeconfig`]): the user's, found by kubectl's rules
//!   (`--kubeconfig`, else every file in `KUBECONFIG`, else `~/.kube/config`). kubenv reads
//!   them to reach the host cluster and adds or removes one context (with its cluster and
//!   user entries) per environment. Written 0600, atomically, under a lock file beside the
//!   first file (`.NAME.kubenv.lock`); every field kubenv does not know survives.
//! - **the token cache** ([`token_cache`]): one short-lived token per environment, host
//!   context and kubeconfig, in `$KUBENV_CACHE_DIR/tokens`, else the platform's cache dir
//!   (`~/.cache/kubenv/tokens` on Linux); files 0600 in a 0700 folder. The exec plugin
//!   (`kubenv token`) answers from it without any API call. Shell completion keeps its short
//!   cache of environment names beside it (`.../kubenv/completion`).
//! - **the personal config** ([`config`]): defaults for new environments and output, in
//!   `$KUBENV_CONFIG`, else the platform's config dir (`~/.config/kubenv/config.yaml` on
//!   Linux). Only ever read.
//!
//! Every write goes through [`atomic::write`]: a temporary file in the same folder, renamed
//! over the target, so a reader sees the old file or the new one, never half of one.
//!
//! Failures are [`Error`]s: each names the file, keeps the underlying error as its source, and
//! leaves advice about command-line flags to [`Error::hint`], for the command-line edge to show.

pub mod atomic;
pub mod config;
pub mod kubeconfig;
pub mod token_cache;

use std::path::PathBuf;

/// A failure reading or writing local state.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A kubeconfig file exists (or was named explicitly) but cannot be read.
    #[error("kubeconfig {path}: cannot read it ({source})")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A kubeconfig file is not YAML at all.
    #[error("kubeconfig {path}: is not a valid kubeconfig (not YAML: {source})")]
    NotYaml {
        path: PathBuf,
        #[source]
        source: Box<serde_saphyr::Error>,
    },

    /// A kubeconfig file is YAML but its document is not a mapping.
    #[error("kubeconfig {path}: is not a valid kubeconfig (the document is not a mapping)")]
    NotAKubeconfig { path: PathBuf },

    /// A kubeconfig file is a YAML mapping, but a field has the wrong shape (a list that is
    /// not a list, an entry without a name, ...).
    #[error("kubeconfig {path}: is not a valid kubeconfig ({source})")]
    Malformed {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// The files of a KUBECONFIG list (or the documents of one file) cannot be merged.
    #[error("kubeconfig {path}: cannot be merged with the files before it ({source})")]
    Unmergeable {
        path: PathBuf,
        #[source]
        source: kube::config::KubeconfigError,
    },

    /// None of the kubeconfig files in force exists.
    #[error("kubeconfig {path}: no kubeconfig found")]
    NoKubeconfig { path: PathBuf },

    /// A kubeconfig file that needs a change is read-only.
    #[error("kubeconfig {path}: is read-only; make it writable (chmod u+w)")]
    ReadOnly { path: PathBuf },

    /// Writing a kubeconfig file (the temporary file, or the rename over the file) failed.
    #[error("kubeconfig {path}: cannot write it: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The lock file that serialises kubeconfig writes cannot be opened or locked.
    #[error("kubeconfig {path}: cannot take the lock: {source}")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A folder for local state cannot be made.
    #[error("creating {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A kubeconfig document kubenv built cannot be turned into YAML, or a value handed to
    /// [`kubeconfig::to_yaml`] is not a kubeconfig.
    #[error("serializing the kubeconfig: {source}")]
    Serialize {
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },

    /// Writing a token to the cache failed.
    #[error("writing the token cache {path}: {source}")]
    CacheWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The personal config file exists but cannot be read.
    #[error("reading config file {path}: {source}")]
    ConfigUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The personal config file is not valid YAML or has unknown keys.
    #[error("config file {path} is malformed: {source}; fix or remove it")]
    ConfigMalformed {
        path: PathBuf,
        #[source]
        source: Box<serde_saphyr::Error>,
    },

    /// An environment variable overriding the personal config has a value that means nothing.
    #[error("{var}={value:?}: {expected}")]
    ConfigVariable {
        var: &'static str,
        value: String,
        expected: &'static str,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// What to do about it on the command line (flags, commands), for the CLI to show after
    /// the message. The library's own messages never name flags.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Unreadable { .. } => Some("pass --kubeconfig with a readable file"),
            Error::NotYaml { .. } | Error::NotAKubeconfig { .. } | Error::Malformed { .. } => {
                Some("fix the file, or point --kubeconfig or KUBECONFIG at a valid one")
            }
            Error::Unmergeable { .. } => {
                Some("make the files agree (apiVersion, kind), or pass --kubeconfig with one of them")
            }
            Error::NoKubeconfig { .. } => Some(
                "set KUBECONFIG, pass --kubeconfig, or get one from your platform team \
                 (for a local cluster: scripts/controlplane.sh up)",
            ),
            Error::ReadOnly { .. } | Error::Write { .. } => {
                Some("pass --kubeconfig with a writable file, or use `kubenv connect NAME --print > FILE`")
            }
            Error::Lock { .. }
            | Error::CreateDir { .. }
            | Error::Serialize { .. }
            | Error::CacheWrite { .. }
            | Error::ConfigUnreadable { .. }
            | Error::ConfigMalformed { .. }
            | Error::ConfigVariable { .. } => None,
        }
    }

    /// True when the file is simply not there (kubectl skips such files in a KUBECONFIG list).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Unreadable { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::Error;
    use crate::error::exit;

    #[test]
    fn exit_codes_as_before() {
        let io = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let malformed = serde_saphyr::from_str::<super::config::UserConfig>("tema: web\n").unwrap_err();
        let cases: [(Error, i32); 5] = [
            (
                Error::ConfigMalformed {
                    path: "c".into(),
                    source: Box::new(malformed),
                },
                exit::USAGE,
            ),
            (
                Error::ConfigVariable {
                    var: "KUBENV_SWITCH_CONTEXT",
                    value: "maybe".into(),
                    expected: "use true or false",
                },
                exit::USAGE,
            ),
            (
                Error::ConfigUnreadable {
                    path: "c".into(),
                    source: io(),
                },
                exit::FAILURE,
            ),
            (
                Error::CacheWrite {
                    path: "t".into(),
                    source: io(),
                },
                exit::FAILURE,
            ),
            (
                Error::Lock {
                    path: "l".into(),
                    source: io(),
                },
                exit::USAGE,
            ),
        ];
        for (e, code) in cases {
            let e = crate::Error::from(e);
            assert_eq!(e.exit_code(), code, "{e}");
            assert_eq!(e.hint(), None, "{e}");
        }
    }
}
