//! `kubenv list --watch`: the environments as they are, then every change, from Kubernetes
//! watches on namespaces (kubenv's label selector) and on kubenv's quotas, so a new
//! environment turns from `Incomplete` to `Active` when its guardrails land, and usage shows.
//! Runs until the caller stops it (Ctrl-C); watches that the server ends are resumed from the
//! last resource version, and a full re-list repairs an expired one (HTTP 410). Engineers may
//! list quotas but not watch them: for them quotas are re-listed every few seconds instead.

use super::records::{ListOptions, list_filter, list_owner, list_selectors, owner_matches};
use crate::cluster::Host;
use crate::environment::*;
use crate::error::{Error, Result, api_code};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Namespace, ResourceQuota};
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use std::collections::HashMap;

/// What happened to an environment, as Kubernetes names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Added,
    Modified,
    Deleted,
}

impl Change {
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "ADDED",
            Change::Modified => "MODIFIED",
            Change::Deleted => "DELETED",
        }
    }
}

/// Seconds a watch request stays open before the server ends it and it is resumed.
const WATCH_SECONDS: u32 = 240;

/// How often quotas are re-listed when the caller may list but not watch them.
const QUOTA_POLL: std::time::Duration = std::time::Duration::from_secs(5);

enum Ev {
    Ns(WatchEvent<Namespace>),
    Quota(WatchEvent<ResourceQuota>),
    Poll,
}

struct State<'a> {
    namespaces: HashMap<String, Namespace>,
    quotas: HashMap<String, ResourceQuota>,
    shown: HashMap<String, Environment>,
    /// None when the caller may not read quotas: environments are shown without usage.
    quotas_readable: bool,
    owner: Option<String>,
    on: &'a mut (dyn FnMut(Change, &Environment) -> Result<()> + Send),
}

impl State<'_> {
    /// Shows the namespace's environment if it changed since last shown.
    fn show(&mut self, ns_name: &str) -> Result<()> {
        let Some(ns) = self.namespaces.get(ns_name) else {
            if let Some(last) = self.shown.remove(ns_name) {
                (self.on)(Change::Deleted, &last)?;
            }
            return Ok(());
        };
        let env = Environment::from_namespace(ns, self.quotas.get(ns_name), jiff::Timestamp::now())
            .map(|e| list_filter(e, self.quotas_readable, jiff::Timestamp::now()))
            .filter(|e| owner_matches(e, self.owner.as_deref()));
        match (env, self.shown.get(ns_name)) {
            (Some(e), Some(last)) if &e == last => {}
            (Some(e), last) => {
                let change = if last.is_some() {
                    Change::Modified
                } else {
                    Change::Added
                };
                (self.on)(change, &e)?;
                self.shown.insert(ns_name.to_string(), e);
            }
            // No longer matches (say, its owner changed): gone from this view.
            (None, Some(_)) => {
                if let Some(last) = self.shown.remove(ns_name) {
                    (self.on)(Change::Deleted, &last)?;
                }
            }
            (None, None) => {}
        }
        Ok(())
    }
}

/// Lists, reports each environment as `ADDED`, then reports changes until the future is
/// dropped. Returns only on an error it cannot recover from.
pub async fn watch(
    host: &Host,
    opts: &ListOptions,
    on: &mut (dyn FnMut(Change, &Environment) -> Result<()> + Send),
) -> Result<()> {
    let (sel, qsel, qfields) = list_selectors(opts);
    let owner = list_owner(host, opts).await?;
    let ns_api: Api<Namespace> = Api::all(host.client.clone());
    let q_api: Api<ResourceQuota> = Api::all(host.client.clone());
    let mut st = State {
        namespaces: HashMap::new(),
        quotas: HashMap::new(),
        shown: HashMap::new(),
        quotas_readable: true,
        owner,
        on,
    };
    loop {
        // (Re-)list: the starting point of the watches, and the repair of an expired one.
        let lp = ListParams::default().labels(&sel);
        let nss = ns_api.list(&lp).await.map_err(|e| match api_code(&e) {
            Some(400) => Error::InvalidSelector {
                selector: sel.clone(),
                reason: crate::error::root_cause(&e),
            },
            _ => host.map(e),
        })?;
        let qp = ListParams::default().labels(&qsel).fields(&qfields);
        let quotas = match q_api.list(&qp).await {
            Ok(q) => Some(q),
            Err(e) if api_code(&e) == Some(403) => None,
            Err(e) => return Err(host.map(e)),
        };
        st.quotas_readable = quotas.is_some();
        let mut ns_rv = nss.metadata.resource_version.clone().unwrap_or_default();
        let mut q_rv = quotas
            .as_ref()
            .and_then(|q| q.metadata.resource_version.clone())
            .unwrap_or_default();
        st.namespaces = nss
            .items
            .into_iter()
            .map(|n| (n.metadata.name.clone().unwrap_or_default(), n))
            .collect();
        st.quotas = quotas
            .map(|q| q.items)
            .unwrap_or_default()
            .into_iter()
            .map(|q| (q.metadata.namespace.clone().unwrap_or_default(), q))
            .collect();
        let mut names: Vec<String> = st.namespaces.keys().chain(st.shown.keys()).cloned().collect();
        names.sort_by_key(|n| {
            st.namespaces
                .get(n)
                .and_then(|ns| ns.metadata.labels.as_ref()?.get(LABEL_ENV).cloned())
                .unwrap_or_else(|| n.clone())
        });
        names.dedup();
        for n in names {
            st.show(&n)?;
        }
        // Watch both until one expires (410): then re-list.
        let mut failures = 0u32;
        let mut quota_watch = true;
        'watching: loop {
            let wp = WatchParams::default().labels(&sel).timeout(WATCH_SECONDS);
            let qwp = WatchParams::default()
                .labels(&qsel)
                .fields(&qfields)
                .timeout(WATCH_SECONDS);
            let opened = async {
                let mut streams = vec![ns_api.watch(&wp, &ns_rv).await?.map_ok(Ev::Ns).boxed()];
                if st.quotas_readable && quota_watch {
                    match q_api.watch(&qwp, &q_rv).await {
                        Ok(q) => streams.push(q.map_ok(Ev::Quota).boxed()),
                        // The engineer role may list quotas but not watch them: poll instead.
                        Err(e) if api_code(&e) == Some(403) => quota_watch = false,
                        Err(e) => return Err(e),
                    }
                }
                if st.quotas_readable && !quota_watch {
                    let tick = tokio::time::interval(QUOTA_POLL);
                    streams.push(
                        futures::stream::unfold(tick, |mut t| async move {
                            t.tick().await;
                            Some((Ok(Ev::Poll), t))
                        })
                        .boxed(),
                    );
                }
                Ok::<_, kube::Error>(futures::stream::select_all(streams))
            }
            .await;
            // The command's deadline does not bound a watch, so its requests get no retries
            // from the client after it: a few of its own ride out a blip of the API server.
            let mut stream = match opened {
                Ok(s) => {
                    failures = 0;
                    s
                }
                Err(e) if failures < 5 && api_code(&e) != Some(403) => {
                    failures += 1;
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                    continue 'watching;
                }
                Err(e) => return Err(host.map(e)),
            };
            loop {
                match stream.next().await {
                    // The server closed a watch (its timeout): resume both from where they were.
                    None => continue 'watching,
                    // A dropped connection: resume likewise after a breath.
                    Some(Err(_)) => {
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        continue 'watching;
                    }
                    Some(Ok(Ev::Ns(ev))) => match ev {
                        WatchEvent::Added(n) | WatchEvent::Modified(n) => {
                            ns_rv = n.metadata.resource_version.clone().unwrap_or(ns_rv);
                            let name = n.metadata.name.clone().unwrap_or_default();
                            st.namespaces.insert(name.clone(), n);
                            st.show(&name)?;
                        }
                        WatchEvent::Deleted(n) => {
                            ns_rv = n.metadata.resource_version.clone().unwrap_or(ns_rv);
                            let name = n.metadata.name.clone().unwrap_or_default();
                            st.namespaces.remove(&name);
                            st.quotas.remove(&name);
                            st.show(&name)?;
                        }
                        WatchEvent::Bookmark(b) => ns_rv = b.metadata.resource_version,
                        WatchEvent::Error(_) => break 'watching,
                    },
                    Some(Ok(Ev::Poll)) => {
                        if let Ok(qs) = q_api.list(&qp).await {
                            st.quotas = qs
                                .items
                                .into_iter()
                                .map(|q| (q.metadata.namespace.clone().unwrap_or_default(), q))
                                .collect();
                            let names: Vec<String> = st.namespaces.keys().cloned().collect();
                            for n in names {
                                st.show(&n)?;
                            }
                        }
                    }
                    Some(Ok(Ev::Quota(ev))) => match ev {
                        WatchEvent::Added(q) | WatchEvent::Modified(q) => {
                            q_rv = q.metadata.resource_version.clone().unwrap_or(q_rv);
                            let ns = q.metadata.namespace.clone().unwrap_or_default();
                            st.quotas.insert(ns.clone(), q);
                            st.show(&ns)?;
                        }
                        WatchEvent::Deleted(q) => {
                            q_rv = q.metadata.resource_version.clone().unwrap_or(q_rv);
                            let ns = q.metadata.namespace.clone().unwrap_or_default();
                            st.quotas.remove(&ns);
                            st.show(&ns)?;
                        }
                        WatchEvent::Bookmark(b) => q_rv = b.metadata.resource_version,
                        WatchEvent::Error(_) => break 'watching,
                    },
                }
            }
        }
    }
}
