//! Typed errors of the provisioning library. Each variant is a failure a user can act on,
//! carries a message that says what to do next, and maps to one documented exit code.

use std::path::PathBuf;

/// Exit codes, as documented in docs/exit-codes.md.
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAILURE: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const NOT_FOUND: i32 = 3;
    pub const CONFLICT: i32 = 4;
    pub const FORBIDDEN: i32 = 5;
    pub const UNREACHABLE: i32 = 6;
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A name, duration or `KEY=VALUE` that cannot be used.
    #[error(transparent)]
    Input(#[from] crate::names::Error),

    /// A policy that is malformed, or a request it does not allow.
    #[error(transparent)]
    Policy(#[from] crate::policy::Error),

    /// Another usage error, described.
    #[error("{0}")]
    InvalidInput(String),

    /// A label selector the API server refused.
    #[error("invalid label selector {selector:?}: {reason}")]
    InvalidSelector { selector: String, reason: String },

    /// A template manifest the API server cannot take.
    #[error("{0}")]
    InvalidManifest(String),

    #[error("environment {name:?} not found (namespace {namespace}); run `kubenv list -A` to see the environments")]
    NotFound { name: String, namespace: String },

    #[error("environment {name:?} already exists and belongs to {owner}; pick another name")]
    OwnedByOther { name: String, owner: String },

    #[error("environment {name:?} already exists (yours)")]
    AlreadyYours { name: String },

    #[error("namespace {namespace:?} already exists and is not managed by kubenv; pick another name")]
    TakenByUnmanaged { namespace: String },

    #[error(
        "environment {name:?} is being deleted; wait for it to go away (kubenv delete {name} --wait), then create it again"
    )]
    Terminating { name: String },

    #[error(
        "namespace {namespace:?} is not managed by kubenv (no app.kubernetes.io/managed-by=kubenv label); kubenv never touches it"
    )]
    NotManaged { namespace: String },

    #[error("environment {name:?} belongs to {owner}; only its owner or a platform admin may {action}")]
    NotOwner {
        name: String,
        owner: String,
        action: String,
    },

    #[error("forbidden: {message}")]
    Forbidden { message: String },

    #[error(
        "cannot reach the cluster at {server}: {reason}\ncheck the server address, your network/VPN, and `kubectl --context {context} cluster-info`"
    )]
    Unreachable {
        server: String,
        context: String,
        reason: String,
    },

    #[error(
        "the API server at {server} is not available (HTTP {code}: {message}) and kept failing until the deadline; \
         re-run the same command once it recovers (it converges)"
    )]
    Unavailable { server: String, code: u16, message: String },

    #[error("timed out after {seconds}s waiting for {what}; re-run the same command to continue (it converges)")]
    Timeout { what: String, seconds: u64 },

    #[error(
        "the cluster at {server} runs Kubernetes {version}; kubenv needs {minimum} or newer (SelfSubjectReview, \
         ValidatingAdmissionPolicy and Pod Security admission are what keep environments apart): upgrade the cluster"
    )]
    UnsupportedServer {
        server: String,
        version: String,
        minimum: String,
    },

    #[error(
        "environment {name:?} is not ready after {seconds}s: waiting for {what}{why}; \
         see `kubectl -n {namespace} get pods,events`"
    )]
    NotReady {
        name: String,
        namespace: String,
        seconds: u64,
        what: String,
        why: String,
    },

    #[error("cannot run {command:?}: {message}; check the command name and that it is on PATH")]
    CommandNotRun { command: String, message: String },

    /// A kubeconfig without what the command needs (a context, a cluster, a file it names).
    #[error("kubeconfig {path}: {message}")]
    Kubeconfig {
        path: PathBuf,
        message: String,
        /// What a flag would change, for the command line to add.
        hint: Option<&'static str>,
    },

    /// Reading or writing local state: the kubeconfig files, the token cache, the personal
    /// config. [`Error::hint`] has the command-line advice.
    #[error("{0}")]
    Local(#[source] Box<crate::local::Error>),

    #[error("interrupted; nothing is left half-made that a re-run of the same command will not finish")]
    Interrupted,

    #[error("the Kubernetes API refused the request: {message} ({reason}, HTTP {code})")]
    Api { code: u16, reason: String, message: String },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// Standard output was closed by its reader (`kubenv list | head`): not a failure;
    /// the command stops writing and exits 0.
    #[error("standard output was closed")]
    OutputClosed,

    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<crate::local::Error> for Error {
    fn from(e: crate::local::Error) -> Self {
        Error::Local(Box::new(e))
    }
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_)
            | Error::Policy(_)
            | Error::InvalidInput(_)
            | Error::InvalidSelector { .. }
            | Error::InvalidManifest(_)
            | Error::Kubeconfig { .. }
            | Error::CommandNotRun { .. } => exit::USAGE,
            Error::NotFound { .. } => exit::NOT_FOUND,
            Error::OwnedByOther { .. }
            | Error::AlreadyYours { .. }
            | Error::TakenByUnmanaged { .. }
            | Error::Terminating { .. } => exit::CONFLICT,
            Error::NotManaged { .. } | Error::NotOwner { .. } | Error::Forbidden { .. } => exit::FORBIDDEN,
            Error::Unreachable { .. } | Error::Unavailable { .. } | Error::Timeout { .. } | Error::NotReady { .. } => {
                exit::UNREACHABLE
            }
            Error::Interrupted => exit::INTERRUPTED,
            Error::OutputClosed => exit::OK,
            Error::Api { code, .. } => match code {
                403 => exit::FORBIDDEN,
                404 => exit::NOT_FOUND,
                409 => exit::CONFLICT,
                400 | 422 => exit::USAGE,
                _ => exit::FAILURE,
            },
            Error::Io { .. } | Error::Other(_) | Error::UnsupportedServer { .. } => exit::FAILURE,
            Error::Local(e) => {
                use crate::local::Error as L;
                match **e {
                    // A kubeconfig the user has to fix or replace, or a config value: usage.
                    L::Unreadable { .. }
                    | L::NotYaml { .. }
                    | L::NotAKubeconfig { .. }
                    | L::Malformed { .. }
                    | L::Unmergeable { .. }
                    | L::NoKubeconfig { .. }
                    | L::ReadOnly { .. }
                    | L::Write { .. }
                    | L::Lock { .. }
                    | L::ConfigMalformed { .. }
                    | L::ConfigVariable { .. } => exit::USAGE,
                    // The machine's side: folders, the cache, serialization.
                    L::CreateDir { .. } | L::Serialize { .. } | L::CacheWrite { .. } | L::ConfigUnreadable { .. } => {
                        exit::FAILURE
                    }
                }
            }
        }
    }

    /// What to do about it on the command line, for the CLI to show after the message
    /// (`{message}; {hint}`). The library's messages never name flags.
    pub fn hint(&self) -> Option<String> {
        let fixed = |s: &str| Some(s.to_string());
        match self {
            Error::Local(e) => e.hint().map(str::to_string),
            Error::Kubeconfig { hint, .. } => hint.map(str::to_string),
            Error::AlreadyYours { .. } => fixed("pass --if-not-exists to re-apply its guardrails and exit 0"),
            Error::Unavailable { .. } | Error::Timeout { .. } => fixed("or raise --timeout"),
            Error::NotReady { .. } => fixed("or give it longer with --wait-timeout"),
            Error::Policy(crate::policy::Error::TtlTooLong { max, .. }) => Some(format!("ask for at most --ttl {max}")),
            _ => None,
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// True for failures worth retrying: the server was briefly unavailable or throttled.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Unreachable { .. } | Error::Unavailable { .. } => true,
            Error::Api { code, .. } => matches!(code, 429 | 500 | 502 | 503 | 504),
            _ => false,
        }
    }
}

/// The HTTP status code of a kube API error, if it is one.
pub fn api_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

/// Where the server is, for messages about connection failures.
#[derive(Clone, Debug, Default)]
pub struct Endpoint {
    pub server: String,
    pub context: String,
}

impl Endpoint {
    /// Turns a kube error into the typed error a user can act on.
    pub fn map(&self, e: kube::Error) -> Error {
        match e {
            // An admission policy's refusal says what to do itself; the role hint would mislead.
            kube::Error::Api(s) if s.code == 403 && s.message.contains("ValidatingAdmissionPolicy") => {
                Error::Forbidden {
                    message: s.message.clone(),
                }
            }
            kube::Error::Api(s) if s.code == 403 => Error::Forbidden {
                message: format!(
                    "{}\nask your platform team for the kubenv engineer role (kubenv admin init installs it)",
                    s.message
                ),
            },
            kube::Error::Api(s) if matches!(s.code, 429 | 500 | 502 | 503 | 504) => Error::Unavailable {
                server: self.server.clone(),
                code: s.code,
                message: s.message.clone(),
            },
            kube::Error::Api(s) => Error::Api {
                code: s.code,
                reason: s.reason.clone(),
                message: s.message.clone(),
            },
            kube::Error::HyperError(_) | kube::Error::Service(_) => {
                let cause = root_cause(&e);
                let reason = if cause.to_lowercase().contains("certificate") {
                    format!(
                        "the server's TLS certificate is not trusted ({cause}); the kubeconfig's certificate-authority \
                         does not match this server: get a fresh kubeconfig from your platform team"
                    )
                } else {
                    cause
                };
                Error::Unreachable {
                    server: self.server.clone(),
                    context: self.context.clone(),
                    reason,
                }
            }
            kube::Error::Auth(_) => Error::Forbidden {
                message: format!("authentication failed: {}", root_cause(&e)),
            },
            other => Error::Other(format!("{other}")),
        }
    }
}

/// The innermost message of an error chain: "connection refused" rather than a wrapper.
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msgs = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        msgs.push(s.to_string());
        cur = s.source();
    }
    // The last message is usually the most specific ("Connection refused (os error 111)").
    let last = msgs.pop().unwrap_or_default();
    if last.is_empty() { msgs.join(": ") } else { last }
}
