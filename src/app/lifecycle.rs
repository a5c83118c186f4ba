//! `sleep`, `wake`, `delete` and `extend`: changes to one environment, each authorized (its
//! owner or a platform admin), recorded in the audit trail, and done through its backend.

use super::{Change, authorize};
use crate::Progress;
use crate::audit::{self, Action, Trail};
use crate::backend::{Backend, Goal, SleepReport, lock, records};
use crate::cluster::Host;
use crate::environment::{ANN_EXPIRES, Environment, Guardrails, Status, expiry_after};
use crate::error::{Error, Result};
use crate::names::EnvName;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct SleepOptions {
    pub name: EnvName,
    /// Then wait until its workloads have stopped (sleep) or are available (wake), at most
    /// this long.
    pub wait: Option<Duration>,
}

/// Puts an environment to sleep.
pub async fn sleep(host: &Host, opts: &SleepOptions, progress: Progress<'_>) -> Result<SleepReport> {
    let report = host
        .deadline("sleep", async {
            let env = records::get(host, &opts.name).await?;
            authorize(host, &env, Change::Sleep).await?;
            put_to_sleep(host, &env, progress).await
        })
        .await?;
    wait_for(host, &opts.name, Goal::Stopped, opts.wait, progress).await?;
    Ok(report)
}

/// Wakes an environment.
pub async fn wake(host: &Host, opts: &SleepOptions, progress: Progress<'_>) -> Result<SleepReport> {
    let report = host
        .deadline("wake", async {
            let env = records::get(host, &opts.name).await?;
            authorize(host, &env, Change::Wake).await?;
            wake_up(host, &env, progress).await
        })
        .await?;
    wait_for(host, &opts.name, Goal::Available, opts.wait, progress).await?;
    Ok(report)
}

async fn wait_for(
    host: &Host,
    name: &str,
    goal: Goal,
    timeout: Option<Duration>,
    progress: Progress<'_>,
) -> Result<()> {
    if let Some(t) = timeout {
        let env = records::get(host, name).await?;
        Backend::for_env(&env).wait(host, &env, goal, t, progress).await?;
    }
    Ok(())
}

/// Sleep with the environment's lock held, decided on its state as it is once locked, and
/// recorded (when it changed anything) as the caller's.
pub(crate) async fn put_to_sleep(host: &Host, env: &Environment, progress: Progress<'_>) -> Result<SleepReport> {
    let guard = lock::acquire(host, &env.namespace, "sleep").await?;
    let r = match records::reread(host, env).await {
        Ok(env) => Backend::for_env(&env).sleep(host, &env, progress).await,
        Err(e) => Err(e),
    };
    guard.release().await;
    if let Ok(rep) = &r
        && rep.was_changed
    {
        let what = format!(
            "put to sleep: workloads scaled to zero or suspended: {}",
            rep.changed.len()
        );
        record(host, env, "sleep", what).await;
    }
    r
}

/// Wake with the environment's lock held; recorded when it was asleep.
pub(crate) async fn wake_up(host: &Host, env: &Environment, progress: Progress<'_>) -> Result<SleepReport> {
    let guard = lock::acquire(host, &env.namespace, "wake").await?;
    let r = match records::reread(host, env).await {
        Ok(env) => {
            let asleep = env.is_asleep();
            Backend::for_env(&env)
                .wake(host, &env, progress)
                .await
                .map(|rep| (rep, asleep))
        }
        Err(e) => Err(e),
    };
    guard.release().await;
    let (rep, asleep) = r?;
    if asleep {
        record(
            host,
            env,
            "wake",
            format!("woke: workloads restored: {}", rep.changed.len()),
        )
        .await;
    }
    Ok(rep)
}

/// Records a sleep or wake in the audit trail, as the caller.
async fn record(host: &Host, env: &Environment, action: &str, what: String) {
    let actor = host.identity().await.map(|i| i.name).unwrap_or_default();
    let message = format!("{actor}: {what}");
    let a = Action::on(env, action, &actor, message);
    audit::record(host, &a, Trail::BOTH).await;
}

#[derive(Clone, Debug)]
pub struct DeleteOptions {
    pub name: EnvName,
    /// Succeed (with nothing deleted) when it does not exist.
    pub ignore_not_found: bool,
    /// Wait until it is gone.
    pub wait: bool,
}

/// What `delete` did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Deleted {
    pub name: EnvName,
    /// The environment as it was; None when it did not exist.
    pub environment: Option<Environment>,
    /// Whether it is gone already (`wait`), not only being finalized.
    pub gone: bool,
}

/// Deletes an environment, and the kubeconfig context and cached tokens kubenv made for it.
pub async fn delete(host: &Host, opts: &DeleteOptions, progress: Progress<'_>) -> Result<Deleted> {
    progress(&format!("deleting environment {}", opts.name));
    let env = host.deadline("the delete", remove(host, opts)).await;
    // Whatever happened to it, a context for an environment that is gone is stale.
    if matches!(env, Ok(_) | Err(Error::NotFound { .. })) {
        crate::local::kubeconfig::remove_env(&host.paths, &opts.name)?;
        crate::token::remove_cached_for(&opts.name);
    }
    let env = env?;
    if let (Some(e), true) = (&env, opts.wait) {
        host.deadline(
            "the namespace to be finalized",
            Backend::for_env(e).wait_removed(host, e, progress),
        )
        .await?;
    }
    Ok(Deleted {
        name: opts.name.clone(),
        gone: opts.wait && env.is_some(),
        environment: env,
    })
}

/// Authorizes, then removes it through its backend with the trail written beside (the
/// system namespace keeps it after the environment's own is gone).
async fn remove(host: &Host, opts: &DeleteOptions) -> Result<Option<Environment>> {
    let env = match records::get(host, &opts.name).await {
        Ok(e) => e,
        Err(Error::NotFound { .. }) if opts.ignore_not_found => return Ok(None),
        Err(e) => return Err(e),
    };
    authorize(host, &env, Change::Delete).await?;
    let actor = host.identity().await?.name;
    let message = format!("{actor} deleted environment {}", env.name);
    let action = Action::on(&env, "delete", &actor, message);
    let (removed, _) = futures::join!(
        Backend::for_env(&env).remove(host, &env),
        audit::record(host, &action, Trail::BOTH)
    );
    removed?;
    Ok(Some(env))
}

#[derive(Clone, Debug)]
pub struct ExtendOptions {
    pub name: EnvName,
    /// New time to live, counted from now.
    pub ttl: Duration,
}

/// Moves an environment's expiry to now + ttl, within the policy's maximum.
pub async fn extend(host: &Host, opts: &ExtendOptions) -> Result<Environment> {
    host.deadline("extend", extend_inner(host, opts)).await
}

async fn extend_inner(host: &Host, opts: &ExtendOptions) -> Result<Environment> {
    let (policy, source) = crate::policy::load(host).await?;
    let env = records::get_with_policy(host, &opts.name, &policy).await?;
    let template = env
        .template
        .as_deref()
        .and_then(|t| policy.templates.get(t))
        .or_else(|| policy.templates.get(&policy.default_template));
    let ttl = match template {
        Some(t) => policy.resolve_ttl(Some(opts.ttl), t)?,
        None => opts.ttl,
    };
    authorize(host, &env, Change::Extend).await?;
    let now = jiff::Timestamp::now();
    let expires = expiry_after(now, ttl);
    let actor = host.identity().await?.name;
    let message = format!(
        "{actor} extended environment {} to {expires} (was {})",
        env.name,
        env.expires_at.map(|t| t.to_string()).as_deref().unwrap_or("never")
    );
    let a = Action::on(&env, "extend", &actor, message);
    let stamp = expires.to_string();
    let kv = [(ANN_EXPIRES, Some(stamp.as_str()))];
    let (r, _) = futures::join!(
        records::annotate_all(host, &env.namespace, &kv),
        audit::record(host, &a, Trail::for_policy(source))
    );
    r?;
    // The environment as it now is, without reading it back.
    let mut env = env;
    env.expires_at = Some(expires);
    let guardrails = if env.status == Status::Incomplete {
        Guardrails::Missing
    } else {
        Guardrails::Present
    };
    env.settle(guardrails, now);
    Ok(env)
}
