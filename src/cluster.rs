//! The connection to the host cluster: which kubeconfig and context, one shared
//! `kube::Client` with timeouts, and who the caller is.

use crate::error::{Endpoint, Error, Result};
use crate::local::{self, kubeconfig};
use base64::Engine;
use kube::api::{Api, DynamicObject, PostParams};
use kube::config::{Cluster, KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// How to reach the host cluster: kubectl's rules for picking a kubeconfig and context.
#[derive(Clone, Debug, Default)]
pub struct HostOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// Deadline for a whole command's API work.
    pub timeout: Option<Duration>,
}

/// The host cluster as kubenv uses it.
#[derive(Clone)]
pub struct Host {
    pub client: kube::Client,
    pub endpoint: Endpoint,
    /// The host context's name in the kubeconfig (pinned in exec-plugin args).
    pub context: String,
    /// The host cluster entry, CA inlined, to copy into environment contexts.
    pub cluster: Cluster,
    pub cluster_name: String,
    /// The kubeconfig files in force, in precedence order.
    pub paths: Vec<PathBuf>,
    pub explicit_kubeconfig: Option<PathBuf>,
    pub user_name: String,
    pub timeout: Duration,
    /// When the command's time is up: one deadline for all its API work, however many
    /// steps it takes.
    pub until: tokio::time::Instant,
    me: std::sync::Arc<tokio::sync::OnceCell<Identity>>,
    /// The HTTP/1.1 client for connection upgrades, made on first use ([`Host::upgrade_client`]).
    upgrade: std::sync::Arc<Upgrade>,
}

/// What [`Host::upgrade_client`] is made from: the connection's configuration, kept.
struct Upgrade {
    config: kube::Config,
    client: tokio::sync::OnceCell<kube::Client>,
}

impl Upgrade {
    fn new(config: &kube::Config) -> std::sync::Arc<Upgrade> {
        std::sync::Arc::new(Upgrade {
            config: config.clone(),
            client: tokio::sync::OnceCell::new(),
        })
    }
}

/// The field manager of everything kubenv writes with server-side apply.
pub const FIELD_MANAGER: &str = "kubenv";

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Loads the merged kubeconfig the way kubectl does: files that do not exist in a
/// KUBECONFIG list are skipped; an explicit --kubeconfig must exist. Each file is read
/// through kubenv's model ([`kubeconfig::read_for_connection`]) and handed to the kube
/// client in kube's types.
pub fn load_kubeconfig(opts: &HostOptions) -> Result<(Kubeconfig, Vec<PathBuf>)> {
    let paths = kubeconfig::paths(opts.kubeconfig.as_deref());
    let mut merged: Option<Kubeconfig> = None;
    for p in &paths {
        let kc = match kubeconfig::read_for_connection(p) {
            Ok(kc) => kc,
            Err(e) if e.is_not_found() && opts.kubeconfig.is_none() => continue,
            Err(e) => return Err(e.into()),
        };
        let kc = absolutize(kc, p);
        merged = Some(match merged {
            None => kc,
            Some(m) => m.merge(kc).map_err(|source| local::Error::Unmergeable {
                path: p.clone(),
                source,
            })?,
        });
    }
    let kc = merged.ok_or_else(|| local::Error::NoKubeconfig {
        path: paths.first().cloned().unwrap_or_default(),
    })?;
    Ok((kc, paths))
}

/// Relative certificate and key paths in a kubeconfig are relative to the file itself.
fn absolutize(mut kc: Kubeconfig, file: &std::path::Path) -> Kubeconfig {
    let dir = file.parent().map(|d| d.to_path_buf()).unwrap_or_default();
    let fix = |p: &mut Option<String>| {
        if let Some(s) = p.as_mut()
            && !s.is_empty()
            && std::path::Path::new(s).is_relative()
        {
            *s = dir.join(&*s).to_string_lossy().into_owned();
        }
    };
    for c in &mut kc.clusters {
        if let Some(cl) = c.cluster.as_mut() {
            fix(&mut cl.certificate_authority);
        }
    }
    for u in &mut kc.auth_infos {
        if let Some(a) = u.auth_info.as_mut() {
            fix(&mut a.client_certificate);
            fix(&mut a.client_key);
            fix(&mut a.token_file);
        }
    }
    kc
}

/// Connects to the host cluster. No request is made here: the first API call finds out
/// whether the server is reachable.
pub async fn connect(opts: &HostOptions) -> Result<Host> {
    let default_file = kubeconfig::paths(None);
    let no_kubeconfig = opts.kubeconfig.is_none()
        && std::env::var_os("KUBECONFIG").is_none_or(|v| v.is_empty())
        && default_file.iter().all(|p| !p.exists());
    if no_kubeconfig && std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        return connect_in_cluster(opts, default_file);
    }
    let (kc, paths) = load_kubeconfig(opts)?;
    let first = paths.first().cloned().unwrap_or_default();
    let context = match opts
        .context
        .clone()
        .or_else(|| kc.current_context.clone())
        .filter(|c| !c.is_empty())
    {
        Some(c) => c,
        None => {
            return Err(Error::Kubeconfig {
                path: first,
                message: "has no current context".into(),
                hint: Some("pass --context NAME, or run `kubectl config use-context NAME`"),
            });
        }
    };
    let ctx = kc
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.clone())
        .ok_or_else(|| Error::Kubeconfig {
            path: first.clone(),
            message: format!("has no context {context:?}; see `kubectl config get-contexts`"),
            hint: None,
        })?;
    // In an environment's context, act on the host cluster it was made from.
    let (context, ctx) = match kubeconfig::host_context_of(&kc, &context) {
        None => (context, ctx),
        Some(host) => {
            let host_ctx = host
                .as_ref()
                .and_then(|h| kc.contexts.iter().find(|c| &c.name == h))
                .and_then(|c| c.context.clone());
            match (host, host_ctx) {
                (Some(h), Some(c)) => (h, c),
                _ => {
                    return Err(Error::Kubeconfig {
                        path: first.clone(),
                        message: format!("the context {context:?} was made by kubenv and its host context is gone"),
                        hint: Some("pass --context HOST"),
                    });
                }
            }
        }
    };
    let cluster_name = ctx.cluster.clone();
    let mut cluster = kc
        .clusters
        .iter()
        .find(|c| c.name == cluster_name)
        .and_then(|c| c.cluster.clone())
        .ok_or_else(|| Error::Kubeconfig {
            path: first.clone(),
            message: format!("context {context:?} names cluster {cluster_name:?}, which is not in the file"),
            hint: None,
        })?;
    if let Some(path) = cluster.certificate_authority.take() {
        let pem = std::fs::read(&path).map_err(|e| Error::Kubeconfig {
            path: first.clone(),
            message: format!("cluster {cluster_name:?}: cannot read certificate-authority {path}: {e}"),
            hint: None,
        })?;
        cluster.certificate_authority_data = Some(base64::engine::general_purpose::STANDARD.encode(pem));
    }
    let user_name = ctx.user.clone().unwrap_or_default();
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        cluster: None,
        user: None,
    };
    let mut config = kube::Config::from_custom_kubeconfig(kc.clone(), &options)
        .await
        .map_err(|e| Error::Kubeconfig {
            path: first.clone(),
            message: format!("context {context:?}: {}", crate::error::root_cause(&e)),
            hint: None,
        })?;
    let timeout = opts.timeout.unwrap_or(DEFAULT_TIMEOUT);
    // Lets an API server's audit log attribute every request to one kubenv process.
    if let Ok(ua) = http::HeaderValue::from_str(&user_agent()) {
        config.headers.push((http::header::USER_AGENT, ua));
    }
    config.connect_timeout = Some(timeout.min(Duration::from_secs(10)));
    config.read_timeout = Some(timeout);
    let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
    // kubenv's own retry policy (transport errors too, within the deadline) replaces kube's.
    config.default_retry = false;
    let deadline = std::time::Instant::now() + timeout;
    let upgrade = Upgrade::new(&config);
    let client = build_client(config, deadline).map_err(|e| Error::Kubeconfig {
        path: first,
        message: format!("context {context:?}: {}", crate::error::root_cause(&e)),
        hint: None,
    })?;
    Ok(Host {
        client,
        endpoint: Endpoint {
            server,
            context: context.clone(),
        },
        context,
        cluster,
        cluster_name,
        paths,
        explicit_kubeconfig: opts.kubeconfig.clone(),
        user_name,
        timeout,
        until: tokio::time::Instant::now() + timeout,
        me: Default::default(),
        upgrade,
    })
}

/// Inside a pod with no kubeconfig (the gc CronJob): the pod's ServiceAccount.
fn connect_in_cluster(opts: &HostOptions, paths: Vec<PathBuf>) -> Result<Host> {
    let bad = |e: &(dyn std::error::Error + 'static)| Error::Kubeconfig {
        path: PathBuf::from("/var/run/secrets/kubernetes.io/serviceaccount"),
        message: format!("in-cluster configuration: {}", crate::error::root_cause(e)),
        hint: None,
    };
    let mut config = kube::Config::incluster().map_err(|e| bad(&e))?;
    let timeout = opts.timeout.unwrap_or(DEFAULT_TIMEOUT);
    if let Ok(ua) = http::HeaderValue::from_str(&user_agent()) {
        config.headers.push((http::header::USER_AGENT, ua));
    }
    config.default_retry = false;
    let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
    let pem: String = config
        .root_cert
        .iter()
        .flatten()
        .map(|der| {
            let b = base64::engine::general_purpose::STANDARD.encode(der);
            let lines: Vec<&str> = b
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap_or_default())
                .collect();
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                lines.join("\n")
            )
        })
        .collect();
    let cluster = Cluster {
        server: Some(server.clone()),
        certificate_authority_data: Some(base64::engine::general_purpose::STANDARD.encode(pem)),
        ..Default::default()
    };
    let upgrade = Upgrade::new(&config);
    let client = build_client(config, std::time::Instant::now() + timeout).map_err(|e| bad(&e))?;
    Ok(Host {
        client,
        endpoint: Endpoint {
            server,
            context: "in-cluster".into(),
        },
        context: "in-cluster".into(),
        cluster,
        cluster_name: "in-cluster".into(),
        paths,
        explicit_kubeconfig: None,
        user_name: "in-cluster".into(),
        timeout,
        until: tokio::time::Instant::now() + timeout,
        me: Default::default(),
        upgrade,
    })
}

/// One client for the whole command. Over TLS, ALPN offers HTTP/2 and HTTP/1.1 and the
/// server picks: HTTP/2 (every API server) multiplexes every request, parallel ones
/// included, over one connection and one handshake; HTTP/1.1 is for proxies that speak
/// nothing else (some corporate and mesh proxies). Plain http:// gets HTTP/1.1, as kubectl
/// does. Transient failures are retried (see `retry`).
fn build_client(config: kube::Config, deadline: std::time::Instant) -> std::result::Result<kube::Client, kube::Error> {
    use kube::client::ConfigExt;
    use tower::ServiceBuilder;
    type BoxError = Box<dyn std::error::Error + Send + Sync>;
    if config.proxy_url.is_some() {
        // Proxies are kube's business: its own stack, with kubenv's retries on top.
        return Ok(kube::client::ClientBuilder::try_from(config)?
            .with_layer(&tower::buffer::BufferLayer::new(1024))
            .with_layer(&tower::retry::RetryLayer::new(crate::retry::Transient::new(deadline)))
            .build());
    }
    // Both protocols enabled: ALPN offers h2 and http/1.1 and hyper follows the answer.
    let https = https_connector(&config, true)?;
    let (gate, connector) = first_connection::gate(https);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .layer(tower::retry::RetryLayer::new(crate::retry::Transient::new(deadline)))
        .map_err(BoxError::from)
        .layer(gate)
        .service(client);
    Ok(kube::Client::new(service, config.default_namespace))
}

/// The client for connection upgrades (port-forward, exec, attach): WebSocket upgrades
/// need HTTP/1.1, so over TLS ALPN offers nothing else, and plain http:// is HTTP/1.1
/// anyway. Same server, TLS settings, credentials and headers as [`build_client`]; no read
/// or write timeout, since an upgraded connection is long-lived and may be idle; no retries
/// (a caller that opens one connection per stream decides itself what to do on failure).
fn build_upgrade_client(mut config: kube::Config) -> std::result::Result<kube::Client, kube::Error> {
    use kube::client::ConfigExt;
    use tower::ServiceBuilder;
    type BoxError = Box<dyn std::error::Error + Send + Sync>;
    config.read_timeout = None;
    config.write_timeout = None;
    if config.proxy_url.is_some() {
        return Ok(kube::client::ClientBuilder::try_from(config)?.build());
    }
    // HTTP/1.1 only: hyper-rustls then sends no ALPN, and servers answer in HTTP/1.1.
    let https = https_connector(&config, false)?;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(https);
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(BoxError::from)
        .service(client);
    Ok(kube::Client::new(service, config.default_namespace))
}

/// The TCP+TLS connector of the config (its CA, client certificate, server name), offering
/// HTTP/2 by ALPN when `http2`, else HTTP/1.1 only.
fn https_connector(
    config: &kube::Config,
    http2: bool,
) -> std::result::Result<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, kube::Error>
{
    use kube::client::ConfigExt;
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(config.connect_timeout);
    let tls = config.rustls_client_config()?;
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    let builder = match config
        .tls_server_name
        .as_ref()
        .map(|n| rustls_pki_types::ServerName::try_from(n.clone()))
    {
        Some(Ok(name)) => builder.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name)),
        _ => builder,
    };
    let builder = builder.enable_http1();
    Ok(if http2 {
        builder.enable_http2().wrap_connector(http)
    } else {
        builder.wrap_connector(http)
    })
}

/// Until the first connection is made, hyper cannot know that the server speaks HTTP/2, and
/// would open one connection (and TLS handshake) per parallel request. So the first request
/// goes alone; the others wait until its connection is up (or failed), then share it.
mod first_connection {
    use futures::future::BoxFuture;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Poll};
    use tokio::sync::watch;

    /// The request side: holds back requests while the first connection is being made.
    #[derive(Clone)]
    pub struct Gate {
        started: Arc<AtomicBool>,
        connected: watch::Receiver<bool>,
    }

    /// The connector side: says when the first connection attempt has ended.
    #[derive(Clone)]
    pub struct Signal<C> {
        inner: C,
        done: Arc<watch::Sender<bool>>,
    }

    pub fn gate<C>(inner: C) -> (Gate, Signal<C>) {
        let (tx, rx) = watch::channel(false);
        (
            Gate {
                started: Arc::new(AtomicBool::new(false)),
                connected: rx,
            },
            Signal {
                inner,
                done: Arc::new(tx),
            },
        )
    }

    impl<S> tower::Layer<S> for Gate {
        type Service = Gated<S>;
        fn layer(&self, inner: S) -> Gated<S> {
            Gated {
                inner,
                gate: self.clone(),
            }
        }
    }

    #[derive(Clone)]
    pub struct Gated<S> {
        inner: S,
        gate: Gate,
    }

    impl<S, R> tower::Service<R> for Gated<S>
    where
        S: tower::Service<R> + Clone + Send + 'static,
        S::Future: Send,
        R: Send + 'static,
    {
        type Response = S::Response;
        type Error = S::Error;
        type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
            self.inner.poll_ready(cx)
        }

        fn call(&mut self, req: R) -> Self::Future {
            // The clone that poll_ready readied goes with the request (tower's usual swap).
            let clone = self.inner.clone();
            let mut inner = std::mem::replace(&mut self.inner, clone);
            let mut connected = self.gate.connected.clone();
            let first = !self.gate.started.swap(true, Ordering::SeqCst);
            Box::pin(async move {
                if !first {
                    // Err only if the connector is gone, and then nothing waits anyway.
                    let _ = connected.wait_for(|c| *c).await;
                }
                inner.call(req).await
            })
        }
    }

    impl<C> tower::Service<http::Uri> for Signal<C>
    where
        C: tower::Service<http::Uri> + Clone + Send + 'static,
        C::Future: Send,
    {
        type Response = C::Response;
        type Error = C::Error;
        type Future = BoxFuture<'static, Result<C::Response, C::Error>>;

        fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
            self.inner.poll_ready(cx)
        }

        fn call(&mut self, uri: http::Uri) -> Self::Future {
            let fut = self.inner.call(uri);
            // Sent when the attempt ends, whichever way, cancelled included.
            let done = Done(self.done.clone());
            Box::pin(async move {
                let r = fut.await;
                drop(done);
                r
            })
        }
    }

    struct Done(Arc<watch::Sender<bool>>);

    impl Drop for Done {
        fn drop(&mut self) {
            self.0.send_replace(true);
        }
    }
}

/// `kubenv/VERSION (pid N)`: the User-Agent of every request.
pub fn user_agent() -> String {
    format!("kubenv/{} (pid {})", env!("CARGO_PKG_VERSION"), std::process::id())
}

/// Who the caller is, and how sure kubenv is of it.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub name: String,
    /// True when the API server (or a service-account token it signed) says so; false when
    /// only the kubeconfig's user entry name is known.
    pub verified: bool,
}

/// The oldest Kubernetes minor version kubenv supports (1.x): k8s-openapi's earliest, and
/// the first where every rule kubenv relies on is enforced by the API server.
pub const MIN_MINOR: u32 = 33;

/// The `1.x` minor version of a server, from `/version`'s `minor` ("36", "36+") or, when
/// that is empty, its `gitVersion` ("v1.36.3-gke.100"). None when neither says.
pub fn server_minor(major: &str, minor: &str, git_version: &str) -> Option<u32> {
    let digits = |s: &str| -> Option<u32> {
        let d: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
        d.parse().ok()
    };
    if digits(major) == Some(1)
        && let Some(m) = digits(minor)
    {
        return Some(m);
    }
    let mut parts = git_version.trim_start_matches('v').split('.');
    match (parts.next().and_then(digits), parts.next().and_then(digits)) {
        (Some(1), Some(m)) => Some(m),
        _ => None,
    }
}

impl Host {
    /// Refuses a server older than [`MIN_MINOR`]. A server that does not say its version
    /// (a custom build) is given the benefit of the doubt.
    pub async fn require_supported_server(&self) -> Result<()> {
        let v = self.client.apiserver_version().await.map_err(|e| self.map(e))?;
        match server_minor(&v.major, &v.minor, &v.git_version) {
            Some(m) if m < MIN_MINOR => Err(Error::UnsupportedServer {
                server: self.endpoint.server.clone(),
                version: v.git_version,
                minimum: format!("1.{MIN_MINOR}"),
            }),
            _ => Ok(()),
        }
    }

    /// What is left of the command's time.
    pub fn remaining(&self) -> Duration {
        self.until.saturating_duration_since(tokio::time::Instant::now())
    }

    /// Runs a future under the command's deadline (shared by every step of the command, so
    /// `--timeout 30s` bounds the whole command), turning a lapse into exit 6.
    pub async fn deadline<T>(&self, what: &str, fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        match tokio::time::timeout_at(self.until, fut).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout {
                what: what.to_string(),
                seconds: self.timeout.as_secs(),
            }),
        }
    }

    pub fn map(&self, e: kube::Error) -> Error {
        self.endpoint.map(e)
    }

    /// A client for requests that upgrade the connection (WebSocket: port-forward, exec):
    /// the same server and credentials as [`Host::client`], restricted to HTTP/1.1, which
    /// upgrades need and which `client` does not speak to a server that offers HTTP/2.
    /// Made on first use, then shared.
    pub async fn upgrade_client(&self) -> Result<kube::Client> {
        self.upgrade
            .client
            .get_or_try_init(|| async {
                build_upgrade_client(self.upgrade.config.clone()).map_err(|e| {
                    Error::Other(format!(
                        "context {:?}: cannot make an HTTP/1.1 client: {}",
                        self.context,
                        crate::error::root_cause(&e)
                    ))
                })
            })
            .await
            .cloned()
    }

    /// Whether RBAC lets the caller do `verb` on `resource.group` in `namespace` (all
    /// namespaces when empty): a SelfSubjectAccessReview.
    pub async fn can_i(&self, verb: &str, group: &str, resource: &str, namespace: &str) -> Result<bool> {
        use k8s_openapi::api::authorization::v1::{
            ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
        };
        let api: Api<SelfSubjectAccessReview> = Api::all(self.client.clone());
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(verb.into()),
                    group: Some(group.into()),
                    resource: Some(resource.into()),
                    namespace: Some(namespace.into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let r = api
            .create(&PostParams::default(), &review)
            .await
            .map_err(|e| self.map(e))?;
        Ok(r.status.is_some_and(|s| s.allowed))
    }

    /// The caller's identity as the API server sees it (SelfSubjectReview), whatever the
    /// credential: a token's claims or a kubeconfig entry's name can differ from the
    /// username the server derives (OIDC prefixes, certificate CNs). Only a server that
    /// refuses the review leaves the kubeconfig user's name, marked unverified.
    pub async fn identity(&self) -> Result<Identity> {
        self.me.get_or_try_init(|| self.lookup_identity()).await.cloned()
    }

    async fn lookup_identity(&self) -> Result<Identity> {
        // authentication.k8s.io/v1 SelfSubjectReview is GA since 1.28, older than any
        // supported server.
        match self.self_subject_review().await {
            Ok(Some(name)) => return Ok(Identity { name, verified: true }),
            Ok(None) => {}
            Err(e) if e.is_transient() => return Err(e),
            Err(_) => {}
        }
        Ok(Identity {
            name: self.user_name.clone(),
            verified: false,
        })
    }

    async fn self_subject_review(&self) -> Result<Option<String>> {
        let gvk = GroupVersionKind::gvk("authentication.k8s.io", "v1", "SelfSubjectReview");
        let ar = ApiResource::from_gvk_with_plural(&gvk, "selfsubjectreviews");
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &ar);
        let obj = DynamicObject::new("", &ar);
        match api.create(&PostParams::default(), &obj).await {
            Ok(o) => Ok(o
                .data
                .pointer("/status/userInfo/username")
                .and_then(|v| v.as_str())
                .map(str::to_string)),
            Err(e) if matches!(crate::error::api_code(&e), Some(403..=405)) => Ok(None),
            Err(e) => Err(self.map(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_versions() {
        assert_eq!(server_minor("1", "36", "v1.36.3"), Some(36));
        assert_eq!(server_minor("1", "33+", "v1.33.1-eks-1"), Some(33));
        assert_eq!(server_minor("", "", "v1.20.2"), Some(20));
        assert_eq!(server_minor("", "", "v0.0.0-master+$Format:%H$"), None);
        assert_eq!(server_minor("2", "0", "v2.0.0"), None);
    }
}
