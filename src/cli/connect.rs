//! `kubenv connect` and `kubenv disconnect`: kubeconfig contexts for environments.

use super::Ctx;
use crate::output::Format;
use kubenv::cluster::Host;
use kubenv::env::{Environment, Status, ops, sleep};
use kubenv::kubeconfig::{self, EnvEntry};
use kubenv::token::{self, DEFAULT_TOKEN_TTL};
use kubenv::{Error, Result};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Credentials {
    /// `kubenv token` as a kubectl exec plugin: short-lived tokens minted on demand
    Exec,
    /// A short-lived token embedded in the kubeconfig
    Token,
    /// Your own host-cluster credentials, with the environment's namespace
    Host,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubenv connect pr-42                          switch kubectl to the environment
  kubenv connect pr-42 --print > env.kubeconfig # self-contained, for a CI deploy step
  kubenv connect pr-42 -- kubectl apply -f app.yaml")]
pub struct Args {
    /// Environment name (on a terminal, omit it to pick from a list)
    pub name: Option<String>,
    /// Print a self-contained kubeconfig (embedded short-lived token) and write nothing
    #[arg(long)]
    pub print: bool,
    /// How the context authenticates
    #[arg(long, value_enum, default_value_t = Credentials::Exec)]
    pub credentials: Credentials,
    /// Lifetime of minted tokens (at least 10m)
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub token_ttl: Option<String>,
    /// Write the context but keep the current one
    #[arg(long)]
    pub no_switch: bool,
    /// Run this command with a temporary KUBECONFIG for the environment, and exit with its code
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

fn token_ttl(s: Option<&str>) -> Result<Duration> {
    match s {
        Some(s) => {
            let d = kubenv::names::parse_duration(s)?;
            if d < token::MIN_TOKEN_TTL {
                return Err(Error::InvalidInput(format!(
                    "--token-ttl {s} is too short; the API server needs at least 10m"
                )));
            }
            Ok(d)
        }
        None => Ok(DEFAULT_TOKEN_TTL),
    }
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
) -> Result<EnvEntry> {
    let user = match creds {
        Credentials::Exec => {
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
                env.namespace.clone(),
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
                    let list =
                        std::env::join_paths(files).map_err(|e| Error::Other(format!("kubeconfig paths: {e}")))?;
                    json!([{"name": "KUBECONFIG", "value": list.to_string_lossy()}])
                }
                _ => serde_json::Value::Null,
            };
            Some(json!({"exec": {
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
        Credentials::Token => {
            let t = token::mint(host, &env.name, &env.namespace, ttl, &|_| {}).await?;
            Some(json!({"token": t.token}))
        }
        Credentials::Host => None,
    };
    let mut cluster = serde_json::to_value(&host.cluster).map_err(|e| Error::Other(e.to_string()))?;
    if let Some(o) = cluster.as_object_mut() {
        o.remove("extensions");
    }
    Ok(EnvEntry {
        env: env.name.clone(),
        namespace: env.namespace.clone(),
        host_context: host.context.clone(),
        cluster_name: format!("kubenv-{}", host.cluster_name),
        cluster,
        user,
        host_user: host.user_name.clone(),
    })
}

/// Writes an environment's context into the user's kubeconfig.
pub async fn connect_env(
    ctx: &Ctx,
    host: &Host,
    env: &Environment,
    creds: Credentials,
    switch: bool,
    ttl: Option<Duration>,
) -> Result<std::path::PathBuf> {
    let _ = ctx;
    let e = entry(
        host,
        env,
        creds,
        ttl.unwrap_or(DEFAULT_TOKEN_TTL),
        ExecFor::UserKubeconfig,
    )
    .await?;
    kubeconfig::write_env(&host.paths, &e, switch)
}

async fn pick(ctx: &Ctx, host: &Host) -> Result<String> {
    let envs = ops::list(host, &ops::ListOptions::default()).await?;
    if envs.is_empty() {
        return Err(Error::InvalidInput(
            "you have no environments; create one with `kubenv create NAME`".into(),
        ));
    }
    let items: Vec<String> = envs.iter().map(|e| format!("{}  ({})", e.name, e.status)).collect();
    match ctx.out.pick("Connect to which environment?", &items) {
        Some(i) => Ok(envs[i].name.clone()),
        None => Err(Error::InvalidInput("no environment picked".into())),
    }
}

pub async fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let ttl = token_ttl(a.token_ttl.as_deref())?;
    if let Some(n) = &a.name {
        kubenv::names::namespace_for(n, "")?;
    } else if !ctx.out.stdin_tty || a.print || !a.command.is_empty() {
        return Err(Error::InvalidInput(
            "no environment named; pass NAME (see `kubenv list`)".into(),
        ));
    }
    let host = ctx.host().await?;
    let name = match a.name {
        Some(n) => n,
        None => pick(ctx, &host).await?,
    };
    let progress = ctx.out.progress();
    let step = |m: &str| progress.step(m);
    let env = host.deadline("the environment", ops::get(&host, &name)).await?;
    if env.status == Status::Terminating {
        return Err(Error::Terminating { name });
    }
    host.deadline("an ownership check", ops::authorize_change(&host, &env, "connect"))
        .await?;
    if env.status == Status::Sleeping {
        step("waking the environment");
        host.deadline("wake", sleep::wake(&host, &env, &step)).await?;
        ctx.out.note(&format!("environment {name} was asleep; woke it"));
    }
    if a.print {
        let t = host
            .deadline("a token", token::mint(&host, &env.name, &env.namespace, ttl, &step))
            .await?;
        let mut e = entry(&host, &env, Credentials::Host, ttl, ExecFor::Child).await?;
        e.user = Some(json!({"token": t.token}));
        let doc = e.standalone();
        progress.finish();
        match ctx.out.format {
            Format::Json => ctx.out.value(&doc),
            _ => ctx.out.out(&kubeconfig::to_yaml(&doc)?),
        }
        return Ok(0);
    }
    if !a.command.is_empty() {
        // The exec plugin, not an embedded token: a long shell outlives any one token.
        let e = entry(&host, &env, Credentials::Exec, ttl, ExecFor::Child).await?;
        progress.finish();
        return run_with(ctx, &e.standalone(), &a.command).await;
    }
    let no_switch = a.no_switch || ctx.config.switch_context == Some(false);
    let (path, touched) = futures::join!(
        connect_env(ctx, &host, &env, a.credentials, !no_switch, Some(ttl)),
        ops::touch(&host, &env, "connect")
    );
    let path = path?;
    touched?;
    progress.finish();
    match ctx.out.format {
        Format::Table => {
            let mut msg = format!("context {} written to {}", env.context, path.display());
            if !no_switch {
                msg.push_str("; it is now current");
            }
            ctx.out.out(&msg);
        }
        Format::Name => ctx.out.out(&format!("context/{}", env.context)),
        _ => ctx.out.environment(&env),
    }
    Ok(0)
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

/// Runs a command with a temporary KUBECONFIG holding only the environment. The file lives
/// in a private folder (random name, 0700) that is removed however this ends: the child's
/// exit, an error, or a signal (forwarded to the child, which kubenv then waits for).
async fn run_with(ctx: &Ctx, doc: &serde_json::Value, cmd: &[String]) -> Result<i32> {
    let dir = tempfile::Builder::new()
        .prefix("kubenv-run-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .map_err(|e| Error::io("creating a private temporary folder", e))?;
    let path = dir.path().join("kubeconfig");
    kubeconfig::write_standalone(&path, doc)?;
    ctx.out
        .debug(&format!("running {:?} with KUBECONFIG={}", cmd, path.display()));
    let mut term = signal(SignalKind::terminate()).map_err(|e| Error::io("watching for signals", e))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| Error::io("watching for signals", e))?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| Error::io("watching for signals", e))?;
    let _running = ChildRunning::start();
    let mut child = tokio::process::Command::new(&cmd[0])
        .args(&cmd[1..])
        .env("KUBECONFIG", &path)
        .spawn()
        .map_err(|e| Error::CommandNotRun {
            command: cmd[0].clone(),
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
            _ = term.recv() => forward(pid, Signal::Term),
            _ = hup.recv() => forward(pid, Signal::Hup),
            _ = int.recv() => if forward_int { forward(pid, Signal::Int) },
        }
    };
    drop(dir);
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(1)))
}

enum Signal {
    Int,
    Term,
    Hup,
}

fn forward(pid: Option<u32>, sig: Signal) {
    let sig = match sig {
        Signal::Int => libc::SIGINT,
        Signal::Term => libc::SIGTERM,
        Signal::Hup => libc::SIGHUP,
    };
    if let Some(pid) = pid.and_then(|p| libc::pid_t::try_from(p).ok()) {
        // SAFETY: kill(2) with a pid kubenv spawned and has not reaped yet (it is reaped
        // only by the wait above), so the pid cannot have been reused.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  kubenv disconnect     kubectl is back on the context you used before `kubenv connect`"
)]
pub struct DisconnectArgs {}

pub async fn run_disconnect(ctx: &Ctx, _a: DisconnectArgs) -> Result<i32> {
    let paths = kubeconfig::paths(ctx.global.kubeconfig.as_deref());
    match kubeconfig::disconnect(&paths)? {
        Some(c) => ctx.out.out(&format!("switched back to context {c}")),
        None => ctx
            .out
            .note("the current context is not a kubenv environment; nothing to do"),
    }
    Ok(0)
}
