//! Port forwarding to a pod through the host API server, as `kubectl port-forward` does: a
//! local TCP listener on 127.0.0.1, and for each accepted connection one port-forward stream
//! (`pods/portforward`) to the pod's port, bytes copied both ways until either side closes.
//!
//! The stream is kube's WebSocket port-forward (subprotocol `v4.channel.k8s.io`: channel 0
//! carries the data, channel 1 the errors, each opened by a frame with the port number). The
//! API server passes such an upgrade through to the kubelet (it only translates the
//! `SPDY/3.1+portforward.k8s.io` tunnel that kubectl sends), and the kubelet's streaming server
//! (`k8s.io/cri-streaming`, also what kwok serves) answers it. A WebSocket upgrade needs
//! HTTP/1.1, so the streams go through [`Host::upgrade_client`].
//!
//! One WebSocket per TCP connection, as kubectl opens one stream pair per connection. The v4
//! protocol has no half-close: when the local client stops sending, the stream is closed once
//! the pod's side has been read to the end, so a client that half-closes its socket before
//! reading the answer may lose it (TLS and HTTP clients do not).
//!
//! RBAC: `get` on pods (the check before listening) and `get` and `create` on
//! pods/portforward (a WebSocket upgrade is a GET; API servers since 1.35 also check `create`).

use crate::cluster::Host;
use crate::error::{Error, Result};
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// A running port forward. Dropping it (or [`Forward::stop`]) closes the listener and ends
/// the connections being forwarded.
pub struct Forward {
    local: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    accepted: std::sync::atomic::AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl State {
    fn failed(&self, message: String) {
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
    }
}

/// What is forwarded where, for messages.
#[derive(Clone, Debug)]
struct Target {
    namespace: String,
    pod: String,
    port: u16,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pod {}/{} port {}", self.namespace, self.pod, self.port)
    }
}

/// Starts forwarding `local` (127.0.0.1, or another loopback address; port 0 picks a free
/// one) to `pod:remote_port`
/// in `namespace`. Before listening it checks, with one trial stream, that the pod exists
/// and is running and that the caller may port-forward to it: a missing pod is an
/// [`Error::Api`] 404, a refusal [`Error::Forbidden`], and a server (or a proxy in between)
/// that does not upgrade the connection says so.
pub async fn start(host: &Host, namespace: &str, pod: &str, remote_port: u16, local: SocketAddr) -> Result<Forward> {
    let target = Target {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        port: remote_port,
    };
    if remote_port == 0 {
        return Err(Error::InvalidInput(format!(
            "{target}: the port must be between 1 and 65535"
        )));
    }
    check_pod(host, &target).await?;
    let api: Api<Pod> = Api::namespaced(host.upgrade_client().await?, namespace);
    // The trial stream: the same request every connection makes, so whatever would refuse
    // them refuses now.
    let what = format!("a port-forward stream to {target}");
    let mut trial = tokio::time::timeout(host.timeout, open(host, &api, &target))
        .await
        .map_err(|_| Error::Timeout {
            what,
            seconds: host.timeout.as_secs(),
        })??;
    drop(trial.take_stream(remote_port));
    trial.abort();

    // Only this machine may use the forward: it carries the caller's access to the pod.
    let local = match local.ip() {
        ip if ip.is_unspecified() => SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), local.port()),
        ip if ip.is_loopback() => local,
        ip => {
            return Err(Error::InvalidInput(format!(
                "a port forward listens on a loopback address (127.0.0.1), not {ip}"
            )));
        }
    };
    let listener = TcpListener::bind(local)
        .await
        .map_err(|e| Error::io(format!("cannot listen on {local}"), e))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("the forward's local address", e))?;
    let state = Arc::new(State::default());
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, stopped, host.clone(), api, target, state.clone()));
    Ok(Forward {
        local,
        stop: Some(stop),
        task: Some(task),
        state,
    })
}

impl Forward {
    /// The address it listens on (127.0.0.1 and the port given or picked).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// How many local connections it has accepted.
    pub fn connections(&self) -> u64 {
        self.state.accepted.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The last failure of a forwarded connection (the stream could not be opened, or the
    /// pod's side reported an error, such as nothing listening on the port), if any. Such a
    /// failure closes that connection only; the forward goes on.
    pub fn last_error(&self) -> Option<String> {
        self.state.last_error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops listening and ends the forwarded connections; returns when they are closed.
    pub async fn stop(mut self) {
        drop(self.stop.take());
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        // Dropping the sender ends the accept loop, which closes the listener and aborts the
        // connections. Without a runtime to run that on, abort outright.
        drop(self.stop.take());
        if let Some(task) = self.task.take()
            && tokio::runtime::Handle::try_current().is_err()
        {
            task.abort();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    mut stopped: oneshot::Receiver<()>,
    host: Host,
    api: Api<Pod>,
    target: Target,
    state: Arc<State>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    state.accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let (host, api, target, state) = (host.clone(), api.clone(), target.clone(), state.clone());
                    connections.spawn(async move {
                        if let Err(message) = serve(&host, &api, &target, tcp).await {
                            state.failed(message);
                        }
                    });
                }
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(e) => {
                    state.failed(format!("accepting a connection on {:?}: {e}", listener.local_addr()));
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            // Reap finished connections as they end.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// Forwards one local connection over its own port-forward stream.
async fn serve(host: &Host, api: &Api<Pod>, target: &Target, tcp: TcpStream) -> std::result::Result<(), String> {
    let _ = tcp.set_nodelay(true);
    let mut pf = Stream(open(host, api, target).await.map_err(|e| e.to_string())?);
    let pf = &mut pf.0;
    let stream = pf
        .take_stream(target.port)
        .ok_or_else(|| format!("{target}: the port-forward stream has no channel for the port"))?;
    let error = pf.take_error(target.port);
    let result = copy_both_ways(tcp, stream).await;
    // The pod's side reports a failure (nothing listening, say) on the error channel before
    // it closes the data channel, so it is known by now.
    let reported = match error {
        Some(e) => futures::FutureExt::now_or_never(e).flatten(),
        None => None,
    };
    match (reported, result) {
        (Some(message), _) => Err(format!("{target}: {}", message.trim())),
        (None, Err(e)) => Err(format!("{target}: {e}")),
        (None, Ok(())) => Ok(()),
    }
}

/// A port-forward stream whose WebSocket task ends with it, however the connection ends
/// (the forward stopped included).
struct Stream(kube::api::Portforwarder);

impl Drop for Stream {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Copies both ways until the remote side has sent everything: the local client's end of
/// sending is passed on (and closes the stream), the remote side's end closes the local
/// connection.
async fn copy_both_ways<L, R>(local: L, remote: R) -> std::io::Result<()>
where
    L: AsyncRead + AsyncWrite + Unpin,
    R: AsyncRead + AsyncWrite + Unpin,
{
    let (mut local_read, mut local_write) = tokio::io::split(local);
    let (mut remote_read, mut remote_write) = tokio::io::split(remote);
    let to_remote = async {
        let r = tokio::io::copy(&mut local_read, &mut remote_write).await;
        let _ = remote_write.shutdown().await;
        r
    };
    let from_remote = async {
        let r = tokio::io::copy(&mut remote_read, &mut local_write).await;
        let _ = local_write.shutdown().await;
        r
    };
    tokio::pin!(to_remote, from_remote);
    let mut sending = true;
    loop {
        tokio::select! {
            r = &mut from_remote => return r.map(|_| ()),
            r = &mut to_remote, if sending => {
                sending = false;
                // A failed write means the stream is gone: nothing more will come back.
                r?;
            }
        }
    }
}

/// Opens one port-forward stream, with errors a user can act on.
async fn open(host: &Host, api: &Api<Pod>, target: &Target) -> Result<kube::api::Portforwarder> {
    api.portforward(&target.pod, &[target.port])
        .await
        .map_err(|e| map_error(host, target, e))
}

/// Whether the pod is there and running: the API server would refuse a stream to a pod that
/// is not with a less telling message, and a pod that is gone says `not found` here.
async fn check_pod(host: &Host, target: &Target) -> Result<()> {
    let api: Api<Pod> = Api::namespaced(host.client.clone(), &target.namespace);
    let pod = host
        .deadline(&format!("{target}"), async {
            api.get(&target.pod).await.map_err(|e| map_error(host, target, e))
        })
        .await?;
    let phase = pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
    if pod.metadata.deletion_timestamp.is_some() {
        return Err(Error::Other(format!(
            "cannot forward to {target}: the pod is being deleted"
        )));
    }
    if phase != "Running" {
        let phase = if phase.is_empty() { "unknown" } else { phase.as_str() };
        return Err(Error::Other(format!(
            "cannot forward to {target}: the pod is not running (phase {phase}); see `kubectl -n {} describe pod {}`",
            target.namespace, target.pod
        )));
    }
    Ok(())
}

fn map_error(host: &Host, target: &Target, e: kube::Error) -> Error {
    use kube::client::UpgradeConnectionError as U;
    match e {
        kube::Error::Api(s) if s.code == 404 => Error::Api {
            code: 404,
            reason: "NotFound".into(),
            message: format!("cannot forward to {target}: the pod is not found ({})", s.message),
        },
        kube::Error::Api(s) if s.code == 403 => Error::Forbidden {
            message: format!(
                "cannot forward to {target}: {}\nport forwarding needs the rights to get and create pods/portforward in namespace {}",
                s.message, target.namespace
            ),
        },
        kube::Error::UpgradeConnection(U::ProtocolSwitch(status)) => Error::Other(format!(
            "cannot forward to {target}: the API server at {} answered the port-forward request with HTTP {status} \
             instead of switching to a WebSocket; a proxy between here and the API server may not pass WebSocket \
             upgrades",
            host.endpoint.server
        )),
        kube::Error::UpgradeConnection(U::SecWebSocketProtocolMismatch) => Error::Other(format!(
            "cannot forward to {target}: the server at {} upgraded the connection but speaks neither \
             v5.channel.k8s.io nor v4.channel.k8s.io (the kubelet's or the API server's port-forward is too old \
             or replaced)",
            host.endpoint.server
        )),
        kube::Error::UpgradeConnection(u) => Error::Other(format!(
            "cannot forward to {target}: the WebSocket upgrade through {} failed: {u}",
            host.endpoint.server
        )),
        other => host.map(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The copy ends when the remote side is done, after passing on everything both ways,
    /// the local side's end of sending included.
    #[tokio::test]
    async fn copies_both_ways_until_the_remote_side_closes() {
        let (local, mut client) = tokio::io::duplex(64);
        let (remote, mut pod) = tokio::io::duplex(64);
        let copy = tokio::spawn(copy_both_ways(local, remote));
        use tokio::io::AsyncReadExt;
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        pod.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        // The client stops sending: the pod sees the end, and can still answer.
        client.shutdown().await.unwrap();
        let mut rest = Vec::new();
        pod.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
        pod.write_all(b"pong").await.unwrap();
        drop(pod);
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        assert_eq!(answer, b"pong");
        copy.await.unwrap().unwrap();
    }

    /// A stand-in API server on 127.0.0.1, in HTTP/1.1: pods `up`, `forbidden` and
    /// `no-upgrade` are running, others are not found. A port-forward to `up` upgrades to a
    /// WebSocket (v4.channel.k8s.io, as the kubelet's streaming server) whose data channel
    /// echoes what it gets, upper-cased; `forbidden` is refused with 403; `no-upgrade` is
    /// answered 200 without upgrading, as a proxy that drops the Upgrade header would.
    async fn fake_api_server() -> SocketAddr {
        use futures::{SinkExt, StreamExt};
        use tokio::io::AsyncReadExt;
        use tokio_tungstenite::tungstenite::{Message, handshake::derive_accept_key, protocol::Role};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut tcp, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    while !head.ends_with(b"\r\n\r\n") {
                        let mut b = [0u8; 1];
                        if tcp.read(&mut b).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(b[0]);
                    }
                    let head = String::from_utf8(head).unwrap();
                    let path = head.split(' ').nth(1).unwrap_or_default().to_string();
                    let header = |name: &str| {
                        head.lines()
                            .filter_map(|l| l.split_once(':'))
                            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                            .map(|(_, v)| v.trim().to_string())
                    };
                    let pod = path
                        .trim_start_matches("/api/v1/namespaces/ns/pods/")
                        .split(['/', '?'])
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    let status = |code: u16, reason: &str| {
                        let body = format!(
                            r#"{{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"{pod}\" is {reason}","reason":"{reason}","code":{code}}}"#
                        );
                        format!(
                            "HTTP/1.1 {code} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    };
                    let known = ["up", "forbidden", "no-upgrade"].contains(&pod.as_str());
                    if !known {
                        let _ = tcp.write_all(status(404, "NotFound").as_bytes()).await;
                        return;
                    }
                    if !path.contains("/portforward") {
                        let body = format!(
                            r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{pod}","namespace":"ns"}},"status":{{"phase":"Running"}}}}"#
                        );
                        let _ = tcp
                            .write_all(
                                format!(
                                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                                    body.len()
                                )
                                .as_bytes(),
                            )
                            .await;
                        return;
                    }
                    match pod.as_str() {
                        "forbidden" => {
                            let _ = tcp.write_all(status(403, "Forbidden").as_bytes()).await;
                            return;
                        }
                        "no-upgrade" => {
                            let _ = tcp
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                                .await;
                            return;
                        }
                        _ => {}
                    }
                    assert!(head.starts_with("GET "), "{head}");
                    assert!(path.ends_with("ports=8443"), "{path}");
                    let protocols = header("sec-websocket-protocol").unwrap_or_default();
                    assert!(protocols.contains("v4.channel.k8s.io"), "{protocols}");
                    let accept = derive_accept_key(header("sec-websocket-key").unwrap().as_bytes());
                    tcp.write_all(
                        format!(
                            "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\
                             sec-websocket-accept: {accept}\r\nsec-websocket-protocol: v4.channel.k8s.io\r\n\r\n"
                        )
                        .as_bytes(),
                    )
                    .await
                    .unwrap();
                    let mut ws = tokio_tungstenite::WebSocketStream::from_raw_socket(tcp, Role::Server, None).await;
                    let port = 8443u16.to_le_bytes();
                    ws.send(Message::binary(vec![0, port[0], port[1]])).await.unwrap();
                    ws.send(Message::binary(vec![1, port[0], port[1]])).await.unwrap();
                    while let Some(Ok(m)) = ws.next().await {
                        match m {
                            Message::Binary(b) if b.len() > 1 && b[0] == 0 => {
                                let mut out = vec![0u8];
                                out.extend(b[1..].to_ascii_uppercase());
                                if ws.send(Message::binary(out)).await.is_err() {
                                    break;
                                }
                            }
                            Message::Close(_) => break,
                            _ => {}
                        }
                    }
                    let _ = ws.close(None).await;
                });
            }
        });
        addr
    }

    async fn fake_host(dir: &std::path::Path) -> Host {
        let server = fake_api_server().await;
        let path = dir.join("kubeconfig");
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{server}\n\
                 users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    \
                 user: u\ncurrent-context: fake\n"
            ),
        )
        .unwrap();
        crate::cluster::connect(&crate::cluster::HostOptions {
            kubeconfig: Some(path),
            context: None,
            timeout: Some(std::time::Duration::from_secs(10)),
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn forwards_connections_and_says_why_it_cannot() {
        use tokio::io::AsyncReadExt;
        let dir = tempfile::tempdir().unwrap();
        let host = fake_host(dir.path()).await;
        let any = SocketAddr::from(([127, 0, 0, 1], 0));

        let forward = start(&host, "ns", "up", 8443, any).await.unwrap();
        assert_ne!(forward.local_addr().port(), 0);
        for _ in 0..2 {
            let mut c = TcpStream::connect(forward.local_addr()).await.unwrap();
            c.write_all(b"hello").await.unwrap();
            let mut buf = [0u8; 5];
            c.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"HELLO");
        }
        assert_eq!(forward.connections(), 2);
        assert_eq!(forward.last_error(), None);
        let addr = forward.local_addr();
        forward.stop().await;
        assert!(TcpStream::connect(addr).await.is_err(), "stopped, it no longer listens");

        match start(&host, "ns", "gone", 8443, any).await {
            Err(Error::Api { code: 404, message, .. }) => assert!(message.contains("ns/gone"), "{message}"),
            other => panic!("{:?}", other.err()),
        }
        match start(&host, "ns", "forbidden", 8443, any).await {
            Err(Error::Forbidden { message }) => assert!(message.contains("pods/portforward"), "{message}"),
            other => panic!("{:?}", other.err()),
        }
        match start(&host, "ns", "no-upgrade", 8443, any).await {
            Err(e @ Error::Other(_)) => assert!(e.to_string().contains("instead of switching"), "{e}"),
            other => panic!("{:?}", other.err()),
        }
    }
}
