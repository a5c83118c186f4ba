//! `history`: the audit trail of lifecycle actions.

use crate::audit::{self, Entry};
use crate::cluster::Host;
use crate::error::Result;
use crate::names::EnvName;
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct HistoryOptions {
    /// Only this environment's entries.
    pub name: Option<EnvName>,
    /// Only entries newer than this.
    pub since: Option<Duration>,
}

/// The trail, oldest first.
pub async fn history(host: &Host, opts: &HistoryOptions) -> Result<Vec<Entry>> {
    let since = opts.since.map(|d| {
        let now = jiff::Timestamp::now();
        now.checked_sub(jiff::SignedDuration::from_secs(
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        ))
        .unwrap_or(jiff::Timestamp::MIN)
    });
    host.deadline("history", audit::history(host, opts.name.as_deref(), since))
        .await
}
