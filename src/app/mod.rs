//! The use cases: one function per thing a user does, each taking an options struct and
//! returning a typed result. Authorization, the audit trail, waking and local cleanup happen
//! here, so that every caller (the command line, a test, another program) gets the same
//! guarantees. Kind-specific work goes through [`crate::backend::Backend`].

pub mod admin;
pub mod completion;
pub mod connect;
pub mod cost;
pub mod create;
pub mod gc;
pub mod history;
pub mod lifecycle;
pub mod prune;
pub mod read;
pub mod token;

use crate::audit::{self, Action, Trail};
use crate::backend::records::annotate_all;
use crate::cluster::Host;
use crate::environment::{ANN_LAST_ACTIVITY, Environment, now_stamp};
use crate::error::{Error, Result};

/// The API group of kubenv's virtual RBAC resource `environments`.
pub const ADMIN_GROUP: &str = "kubenv.dev";

/// A change to someone's environment, which only its owner or a platform admin may make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Connect,
    Sleep,
    Wake,
    Extend,
    Delete,
}

impl Change {
    /// The verb on `environments.kubenv.dev` that lets someone else make it.
    pub fn verb(self) -> &'static str {
        match self {
            Change::Connect => "connect",
            Change::Sleep => "sleep",
            Change::Wake => "wake",
            Change::Extend => "extend",
            Change::Delete => "delete",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Change::Connect => "connect to it",
            Change::Sleep => "put it to sleep",
            Change::Wake => "wake it",
            Change::Extend => "extend it",
            Change::Delete => "delete it",
        }
    }
}

/// Checks that the caller may change someone's environment: the owner may; anyone else must
/// prove platform-admin rights: RBAC must allow them `VERB environments.kubenv.dev` in the
/// environment's namespace (a virtual resource: cluster-admin has it, and `kubenv admin init`
/// grants it to the platform team; engineers do not have it).
pub async fn authorize(host: &Host, env: &Environment, change: Change) -> Result<()> {
    let Some(owner) = env.owner.as_deref() else {
        return Ok(());
    };
    let me = host.identity().await?;
    if me.name == owner {
        return Ok(());
    }
    if host
        .can_i(change.verb(), ADMIN_GROUP, "environments", &env.namespace)
        .await?
    {
        return Ok(());
    }
    Err(Error::NotOwner {
        name: env.name.clone(),
        owner: owner.to_string(),
        action: change.what().to_string(),
    })
}

/// Records that someone used an environment (connect): activity for idle detection, and
/// the audit trail.
pub async fn touch(host: &Host, env: &Environment, action: &str) -> Result<()> {
    let actor = host.identity().await?.name;
    let now = now_stamp().to_string();
    let message = format!("{actor} used environment {} ({action})", env.name);
    let a = Action::on(env, action, &actor, message);
    let kv = [(ANN_LAST_ACTIVITY, Some(now.as_str()))];
    let (r, _) = futures::join!(
        annotate_all(host, &env.namespace, &kv),
        audit::record(host, &a, Trail::BOTH)
    );
    r
}
