//! `connect`, `connect --print`, `connect -- CMD` and `disconnect`: kubeconfig contexts for
//! environments. Connecting is authorized (its owner or a platform admin), wakes a sleeping
//! environment, and counts as activity in the audit trail.

use super::{Change, authorize, touch};
use crate::Progress;
use crate::backend::{Backend, Credential, records};
use crate::cluster::Host;
use crate::environment::{Environment, Status};
use crate::error::{Error, Result};
use crate::local::kubeconfig::{self, EnvEntry};
use crate::names::EnvName;
use crate::token::DEFAULT_TOKEN_TTL;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};

/// How a context authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// `kubenv token` as a kubectl exec plugin: short-lived tokens minted on demand.
    Exec,
    /// A short-lived token embedded in the kubeconfig.
    Token,
    /// The caller's own host-cluster credentials, with the environment's namespace.
    Host,
}

/// Where and how a context is written.
#[derive(Clone, Debug)]
pub struct Target {
    /// Make it the current context.
    pub switch: bool,
    /// Lifetime of minted tokens.
    pub token_ttl: Duration,
}

impl Default for Target {
    fn default() -> Self {
        Target {
            switch: true,
            token_ttl: DEFAULT_TOKEN_TTL,
        }
    }
}

/// A context written into the user's kubeconfig.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ContextWritten {
    pub context: String,
    pub path: PathBuf,
    pub switched: bool,
    /// The context's server is a local port that `kubenv proxy NAME` must serve.
    pub needs_proxy: bool,
}

#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub name: EnvName,
    pub credentials: Credentials,
    pub target: Target,
}

/// What `connect` did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Connected {
    pub environment: Environment,
    pub context: ContextWritten,
    /// It was asleep and was woken.
    pub woke: bool,
}

/// How the exec plugin entry is written: for the user's kubeconfig, the command as PATH
/// finds it (survives upgrades); for the temporary kubeconfig of `-- CMD`, the running
/// binary itself and the kubeconfig files in force, since KUBECONFIG then names the
/// temporary file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ExecFor {
    UserKubeconfig,
    Child,
}

/// Builds the kubeconfig entries for an environment with the chosen credentials.
async fn entry(
    host: &Host,
    env: &Environment,
    creds: Credentials,
    ttl: Duration,
    exec_for: ExecFor,
) -> Result<(EnvEntry, Option<crate::backend::Forward>)> {
    let backend = Backend::for_env(env);
    let access = backend.access(host, env).await?;
    let user = match creds {
        Credentials::Exec => Some(exec_user(host, env, &env.namespace, ttl, exec_for)?),
        Credentials::Token => match backend.credential(host, env, ttl, &crate::no_progress).await? {
            Credential::Token(t) => Some(json!({"token": t.token})),
            Credential::ClientCertificate { .. } => {
                return Err(Error::InvalidInput(format!(
                    "environment {} is a virtual cluster: its credential is a client key, which kubenv writes into a \
                     kubeconfig only for `connect --print`; use the default exec credentials",
                    env.name
                )));
            }
        },
        Credentials::Host if access.forward.is_some() || backend != Backend::Namespace => {
            return Err(Error::InvalidInput(format!(
                "environment {} is a virtual cluster: host credentials do not reach its API server; use the default \
                 exec credentials",
                env.name
            )));
        }
        Credentials::Host => None,
    };
    let e = EnvEntry {
        env: env.name.clone(),
        namespace: access.namespace,
        host_context: host.context.clone(),
        cluster_name: access.cluster_name,
        cluster: access.cluster,
        user,
        host_user: host.user_name.clone(),
    };
    Ok((e, access.forward))
}

/// The exec plugin entry: `kubenv token NAME` with what it needs to find the host again.
fn exec_user(
    host: &Host,
    env: &Environment,
    namespace: &str,
    ttl: Duration,
    exec_for: ExecFor,
) -> Result<serde_json::Value> {
    let exe = std::env::current_exe().map_err(|e| Error::io("finding the kubenv binary", e))?;
    let command = match exec_for {
        ExecFor::UserKubeconfig => kubeconfig::exec_command(&exe, std::env::var_os("PATH").as_deref()),
        ExecFor::Child => exe.to_string_lossy().into_owned(),
    };
    let mut args = vec![
        "token".to_string(),
        env.name.clone(),
        "--context".into(),
        host.context.clone(),
        "--namespace".into(),
        namespace.to_string(),
    ];
    if let Some(k) = &host.explicit_kubeconfig {
        let abs = std::path::absolute(k).unwrap_or_else(|_| k.clone());
        args.push("--kubeconfig".into());
        args.push(abs.to_string_lossy().into_owned());
    }
    if ttl != DEFAULT_TOKEN_TTL {
        args.push("--token-ttl".into());
        args.push(format!("{}s", ttl.as_secs()));
    }
    let exec_env = match exec_for {
        ExecFor::Child if host.explicit_kubeconfig.is_none() => {
            let files: Vec<_> = host
                .paths
                .iter()
                .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
                .collect();
            let list = std::env::join_paths(files).map_err(|e| Error::Other(format!("kubeconfig paths: {e}")))?;
            json!([{"name": "KUBECONFIG", "value": list.to_string_lossy()}])
        }
        _ => serde_json::Value::Null,
    };
    Ok(json!({"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": command,
        "args": args,
        "env": exec_env,
        "provideClusterInfo": true,
        "interactiveMode": "Never",
        "installHint": "kubectl runs `kubenv token` for this context: put kubenv on your PATH \
                        (./install.sh in a kubenv checkout installs it), then retry; \
                        or reconnect with `kubenv connect NAME --credentials token`",
    }}))
}

/// Writes an environment's context into the user's kubeconfig (`create` and `connect`).
pub(crate) async fn write_context(
    host: &Host,
    env: &Environment,
    target: &Target,
    creds: Credentials,
) -> Result<ContextWritten> {
    let (e, forward) = entry(host, env, creds, target.token_ttl, ExecFor::UserKubeconfig).await?;
    let path = kubeconfig::write_env(&host.paths, &e, target.switch)?;
    Ok(ContextWritten {
        context: env.context.clone(),
        path,
        switched: target.switch,
        needs_proxy: forward.is_some(),
    })
}

/// The environment, checked and made ready for use: it exists and is not going away, the
/// caller may use it, and it is awake.
async fn usable(host: &Host, name: &EnvName, progress: Progress<'_>) -> Result<(Environment, bool)> {
    let env = host.deadline("the environment", records::get(host, name)).await?;
    if env.status == Status::Terminating {
        return Err(Error::Terminating { name: name.to_string() });
    }
    host.deadline("an ownership check", authorize(host, &env, Change::Connect))
        .await?;
    let woke = env.status == Status::Sleeping;
    if woke {
        progress("waking the environment");
        host.deadline("wake", super::lifecycle::wake_up(host, &env, progress))
            .await?;
    }
    Ok((env, woke))
}

/// Writes the environment's context (and makes it current if asked), waking it first.
pub async fn connect(host: &Host, opts: &ConnectOptions, progress: Progress<'_>) -> Result<Connected> {
    let (env, woke) = usable(host, &opts.name, progress).await?;
    let (written, touched) = futures::join!(
        write_context(host, &env, &opts.target, opts.credentials),
        touch(host, &env, "connect")
    );
    let context = written?;
    touched?;
    Ok(Connected {
        environment: env,
        context,
        woke,
    })
}

/// A self-contained kubeconfig for the environment (`connect --print`), with an embedded
/// short-lived token; nothing is written.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Printed {
    pub kubeconfig: serde_json::Value,
    pub woke: bool,
}

pub async fn print(host: &Host, name: &EnvName, token_ttl: Duration, progress: Progress<'_>) -> Result<Printed> {
    let (env, woke) = usable(host, name, progress).await?;
    let backend = Backend::for_env(&env);
    let cred = host
        .deadline("a credential", backend.credential(host, &env, token_ttl, progress))
        .await?;
    // The exec entry is replaced by the embedded credential: the file stands alone.
    let (mut e, _) = entry(host, &env, Credentials::Exec, token_ttl, ExecFor::Child).await?;
    e.user = Some(embedded(&cred));
    Ok(Printed {
        kubeconfig: e.standalone(),
        woke,
    })
}

/// A kubeconfig `user` holding the credential itself.
fn embedded(cred: &Credential) -> serde_json::Value {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    match cred {
        Credential::Token(t) => json!({"token": t.token}),
        Credential::ClientCertificate { certificate, key } => {
            json!({"client-certificate-data": b64(certificate), "client-key-data": b64(key)})
        }
    }
}

/// `connect -- CMD`: runs a command with a temporary KUBECONFIG holding only the
/// environment, and returns its exit code. `starting` is called just before the command
/// starts (the terminal is then the command's).
pub async fn run(
    host: &Host,
    name: &EnvName,
    token_ttl: Duration,
    cmd: &[String],
    progress: Progress<'_>,
    starting: &(dyn Fn() + Sync),
) -> Result<i32> {
    let (env, _) = usable(host, name, progress).await?;
    // The exec plugin, not an embedded token: a long shell outlives any one token.
    let (mut e, forward) = entry(host, &env, Credentials::Exec, token_ttl, ExecFor::Child).await?;
    // A virtual API reached through a port-forward: kubenv keeps one while the command runs.
    let _forward = match forward {
        Some(f) => {
            progress("forwarding a local port to the virtual cluster");
            let local = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            let fwd = crate::backend::portforward::start(host, &f.namespace, &f.pod, f.port, local).await?;
            e.cluster["server"] = json!(format!("https://{}", fwd.local_addr()));
            Some(fwd)
        }
        None => None,
    };
    starting();
    run_with(&e.standalone(), cmd).await
}

/// `kubenv proxy`: keeps a local port forwarded to a virtual cluster's API server (the port in
/// the context `connect` wrote, unless `port` says otherwise) until the future is dropped.
/// `listening` is told the address once it listens.
pub async fn proxy(
    host: &Host,
    name: &EnvName,
    port: Option<u16>,
    listening: &(dyn Fn(std::net::SocketAddr) + Sync),
) -> Result<()> {
    let (env, _) = usable(host, name, &crate::no_progress).await?;
    let Some(f) = Backend::for_env(&env).access(host, &env).await?.forward else {
        return Err(Error::InvalidInput(format!(
            "environment {} needs no proxy: kubectl reaches it directly (`kubenv connect {}`)",
            env.name, env.name
        )));
    };
    let port = port.unwrap_or_else(|| crate::backend::vcluster::proxy_port(&env));
    let local = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    // Forwards until the caller drops this future (Ctrl-C), which drops the forward.
    let fwd = crate::backend::portforward::start(host, &f.namespace, &f.pod, f.port, local).await?;
    listening(fwd.local_addr());
    std::future::pending::<()>().await;
    Ok(())
}

/// While a `-- CMD` child runs, kubenv's own Ctrl-C handling stands back: the signal is
/// the child's to act on, and kubenv waits for it.
static CHILD_RUNNING: AtomicBool = AtomicBool::new(false);

/// Whether a `-- CMD` child owns the terminal's signals right now.
pub fn child_running() -> bool {
    CHILD_RUNNING.load(Ordering::SeqCst)
}

struct ChildRunning;

impl ChildRunning {
    fn start() -> ChildRunning {
        CHILD_RUNNING.store(true, Ordering::SeqCst);
        ChildRunning
    }
}

impl Drop for ChildRunning {
    fn drop(&mut self) {
        CHILD_RUNNING.store(false, Ordering::SeqCst);
    }
}

/// Runs a command with a temporary KUBECONFIG. The file lives in a private folder (random
/// name, 0700) that is removed however this ends: the child's exit, an error, or a signal
/// (forwarded to the child, which kubenv then waits for).
async fn run_with(doc: &serde_json::Value, cmd: &[String]) -> Result<i32> {
    let Some((program, args)) = cmd.split_first() else {
        return Err(Error::InvalidInput("no command to run after `--`".into()));
    };
    let dir = tempfile::Builder::new()
        .prefix("kubenv-run-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .map_err(|e| Error::io("creating a private temporary folder", e))?;
    let path = dir.path().join("kubeconfig");
    kubeconfig::write_standalone(&path, doc)?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| Error::io("watching for signals", e))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| Error::io("watching for signals", e))?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| Error::io("watching for signals", e))?;
    let _running = ChildRunning::start();
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env("KUBECONFIG", &path)
        .spawn()
        .map_err(|e| Error::CommandNotRun {
            command: program.clone(),
            message: e.to_string(),
        })?;
    // On a terminal, Ctrl-C already reached the child (same foreground process group);
    // sending it again would count as a second Ctrl-C. Elsewhere (`kill -INT`, a CI runner
    // cancelling the step) only kubenv got it.
    let forward_int = !std::io::IsTerminal::is_terminal(&std::io::stdin());
    let pid = child.id();
    let status = loop {
        tokio::select! {
            s = child.wait() => break s.map_err(|e| Error::io("waiting for the command", e))?,
            _ = term.recv() => forward(pid, libc::SIGTERM),
            _ = hup.recv() => forward(pid, libc::SIGHUP),
            _ = int.recv() => if forward_int { forward(pid, libc::SIGINT) },
        }
    };
    drop(dir);
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(1)))
}

fn forward(pid: Option<u32>, sig: libc::c_int) {
    if let Some(pid) = pid.and_then(|p| libc::pid_t::try_from(p).ok()) {
        // SAFETY: kill(2) with a pid kubenv spawned and has not reaped yet (it is reaped
        // only by the wait above), so the pid cannot have been reused.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// Switches kubectl back to the context in use before `connect`; returns it, or None when
/// the current context is not an environment's.
pub fn disconnect(kubeconfig: Option<&std::path::Path>) -> Result<Option<String>> {
    kubeconfig::disconnect(&kubeconfig::paths(kubeconfig))
}
