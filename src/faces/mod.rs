//! The network faces: the HTTP listener and its routes.
//!
//! `/alpenglow/mcp` (alias `/mcp`) carries both MCP and the original's
//! direct JSON-RPC calls: a POST whose method is one of the nine operations
//! goes to `jsonrpc`, anything else to the MCP face. `/alpenglow/api/...` is
//! REST. `/healthz` says whether the process, the store and Odoo are up;
//! `/metrics` is the Prometheus exposition (behind a bearer token when one
//! is configured).
//!
//! Faces translate HTTP to operations and back; they never decide access.
//! Only this room knows HTTP status codes.

mod conn;
mod http;
mod jsonrpc;
mod live;
pub mod mcp;
mod oauth;
mod rest;
pub mod tls;

pub use http::{Body, client_ip};
pub use live::{LiveConfig, NetworkConfig};

use crate::gateway::Gateway;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The MCP endpoint's path (also served as `/mcp`); clients and bridges
/// are given the base URL and append it.
pub const MCP_PATH: &str = "/alpenglow/mcp";

/// Largest request body accepted (1 MiB): enough for any real operation,
/// small enough that a flood of large bodies cannot exhaust memory.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long a shutdown waits for in-flight requests before it stops them.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// A TLS handshake that takes longer than this is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the listener needs to answer requests.
pub struct FaceState {
    pub gateway: Gateway,
    /// Proxies, origins, metrics token and TLS: swapped by a SIGHUP.
    pub live: LiveConfig,
}

/// Everything a request may need: the shared state and the MCP face's own.
struct Faces {
    state: FaceState,
    mcp: mcp::McpState,
}

/// A running listener.
pub struct Listener {
    listener: TcpListener,
    faces: Arc<Faces>,
    /// The most connections the open-file limit leaves room for.
    descriptor_room: u32,
}

/// Refusals of connections past the cap written at once; past this many
/// the connection is closed without a word (a flood gets no more of us).
const MAX_REFUSING: usize = 64;

/// Counts a connection as open for as long as it lives.
struct Open(Arc<AtomicUsize>);

impl Open {
    fn new(count: &Arc<AtomicUsize>) -> Open {
        count.fetch_add(1, Ordering::AcqRel);
        Open(count.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Listener {
    pub async fn bind(addr: SocketAddr, state: FaceState) -> std::io::Result<Listener> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
        let mcp = mcp::McpState::new(state.gateway.clone(), state.live.clone());
        let descriptor_room = conn::descriptor_room(state.live.current().http.max_connections);
        let listener = Listener { listener, faces: Arc::new(Faces { state, mcp }), descriptor_room };
        // Without a configured public URL, OAuth's issuer is this address.
        if let Some(oauth) = listener.faces.state.gateway.oauth() {
            oauth.set_default_base(&listener.base_url()?);
        }
        Ok(listener)
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The base URL clients are given (`--url` of the bridges): the bound
    /// address with the scheme this listener speaks (https with built-in TLS).
    pub fn base_url(&self) -> std::io::Result<String> {
        let scheme = if self.faces.state.live.current().tls.is_some() { "https" } else { "http" };
        Ok(format!("{scheme}://{}", self.local_addr()?))
    }

    /// Serves until `shutdown` completes; then stops accepting (the port is
    /// closed), lets every connection finish the request it is answering
    /// (idle keep-alive connections close at once), waits at most
    /// [`DRAIN_TIMEOUT`], and flushes the store.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()>) -> std::io::Result<()> {
        let Listener { listener, faces, descriptor_room } = self;
        tokio::pin!(shutdown);
        let (stop, stopped) = watch::channel(false);
        let mut connections = tokio::task::JoinSet::new();
        let (open, refusing) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut backoff = conn::AcceptBackoff::default();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(accepted) => accepted,
                        Err(e) => {
                            let wait = backoff.failed(&e);
                            if !wait.is_zero() {
                                tokio::time::sleep(wait).await;
                            }
                            continue;
                        }
                    };
                    backoff.accepted();
                    let network = faces.state.live.current();
                    let cap = network.http.max_connections.min(descriptor_room);
                    if open.load(Ordering::Acquire) >= cap as usize {
                        if refusing.load(Ordering::Acquire) < MAX_REFUSING {
                            let refusing = Open::new(&refusing);
                            tokio::spawn(refuse(stream, network.tls.clone(), cap, refusing));
                        }
                        continue;
                    }
                    let open = Open::new(&open);
                    connections.spawn(connection(stream, network, faces.clone(), peer, stopped.clone(), open));
                }
                // Reap finished connections as they end.
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                _ = &mut shutdown => break,
            }
        }
        drop(listener);
        let started = Instant::now();
        let open = connections.len();
        tracing::info!(connections = open, "shutting down: no new connections; finishing the requests in flight");
        let _ = stop.send(true);
        let drained =
            tokio::time::timeout(DRAIN_TIMEOUT, async { while connections.join_next().await.is_some() {} }).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match drained {
            Ok(()) => tracing::info!(connections = open, elapsed_ms, "drained"),
            Err(_) => {
                tracing::warn!(
                    still_open = connections.len(),
                    elapsed_ms,
                    "drain timed out after {} s; closing the remaining connections",
                    DRAIN_TIMEOUT.as_secs()
                );
                connections.abort_all();
            }
        }
        faces.state.gateway.flush().map_err(std::io::Error::other)?;
        Ok(())
    }
}

/// A connection past the cap: told so (after the TLS handshake when TLS
/// is on), never served.
async fn refuse(stream: tokio::net::TcpStream, tls: Option<Arc<rustls::ServerConfig>>, cap: u32, _refusing: Open) {
    match tls {
        None => conn::refuse(stream, cap).await,
        Some(config) => {
            let handshake = tokio_rustls::TlsAcceptor::from(config).accept(stream);
            if let Ok(Ok(stream)) = tokio::time::timeout(Duration::from_secs(2), handshake).await {
                conn::refuse(stream, cap).await;
            }
        }
    }
}

/// One accepted connection: the TLS handshake if TLS is on, then HTTP/1.1
/// until the client closes, a limit of `[http]` ends it, or the listener
/// shuts down.
async fn connection(
    stream: tokio::net::TcpStream,
    network: Arc<NetworkConfig>,
    faces: Arc<Faces>,
    peer: SocketAddr,
    stopped: watch::Receiver<bool>,
    _open: Open,
) {
    let clock = Arc::new(conn::ConnClock::new(network.http));
    let stream = conn::TimedIo::new(stream, clock.clone());
    let Some(config) = network.tls.clone() else {
        return serve_http(stream, faces, peer, stopped, clock).await;
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => serve_http(stream, faces, peer, stopped, clock).await,
        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
    }
}

async fn serve_http<S>(
    stream: S,
    faces: Arc<Faces>,
    peer: SocketAddr,
    mut stopped: watch::Receiver<bool>,
    clock: Arc<conn::ConnClock>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service_clock = clock.clone();
    let service = service_fn(move |req| {
        service_clock.request_started();
        let (clock, answer) = (service_clock.clone(), route(faces.clone(), req, peer));
        async move {
            let response = answer.await;
            clock.request_answered();
            response
        }
    });
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        what = clock.expired() => {
            // Dropping the connection closes it: a slow head or an idle keep-alive.
            tracing::debug!(%peer, waited_for = what, "connection closed: [http] time limit passed");
            return;
        }
        _ = stopped.wait_for(|stop| *stop) => {}
    }
    // Finish the request being answered, then close.
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

async fn route(faces: Arc<Faces>, req: Request<Incoming>, peer: SocketAddr) -> Result<Response<Body>, Infallible> {
    let state = &faces.state;
    let network = state.live.current();
    let ip = client_ip(peer.ip(), req.headers(), &network.trusted_proxies);
    let path = req.uri().path().to_string();
    let response = match (req.method().clone(), path.as_str()) {
        (Method::GET, "/healthz") => health(state).await,
        (Method::GET, "/metrics") => metrics(state, &network, &req),
        // Older clients select the database with a first `GET /web?db=`; answer it harmlessly.
        (Method::GET, "/web") => http::json(StatusCode::OK, json!({"status": "ok"})),
        (_, MCP_PATH | "/mcp") => {
            let authorization_sent = req.headers().contains_key("authorization");
            let response = mcp_endpoint(&faces, req, ip).await;
            oauth::challenge(state, response, &path, authorization_sent)
        }
        (_, p) if p.starts_with("/alpenglow/api/") => rest::handle(state, req, ip).await,
        (_, p) if oauth::handles(p) => oauth::handle(state, req, ip).await,
        (method, p) => http::json(
            StatusCode::NOT_FOUND,
            json!({"error": {"code": "not_found", "message": format!("no route for {method} {p}")}}),
        ),
    };
    Ok(response)
}

async fn mcp_endpoint(faces: &Faces, req: Request<Incoming>, ip: IpAddr) -> Response<Body> {
    let (parts, body) = req.into_parts();
    if parts.method != Method::POST {
        return mcp::handle(&faces.mcp, Request::from_parts(parts, Bytes::new()), None, ip).await;
    }
    let timeout = faces.state.live.current().http.body_read_timeout();
    let bytes = match http::read_body(body, MAX_BODY_BYTES, timeout).await {
        Ok(bytes) => bytes,
        Err(response) => return *response,
    };
    let mcp_headers =
        ["mcp-session-id", "mcp-protocol-version", "mcp-method"].iter().any(|h| parts.headers.contains_key(*h));
    // Parsed once: a direct call goes on as its parts, MCP gets the value.
    let parsed = match serde_json::from_slice::<Value>(&bytes) {
        Ok(value) => match jsonrpc::direct_call(value, mcp_headers) {
            Ok(call) => return jsonrpc::handle(&faces.state, &parts, call, ip).await,
            Err(value) => Some(value),
        },
        // MCP answers a body that is not JSON in its own way (after its header checks).
        Err(_) => None,
    };
    mcp::handle(&faces.mcp, Request::from_parts(parts, bytes), parsed, ip).await
}

/// Process up, store open and writable, Odoo reachable: separate fields,
/// no secrets. 200 while the store answers (Odoo down reads as `degraded`:
/// restarting Alpenglow would not help), 503 when it cannot be read or
/// cannot write (audited requests are refused then).
async fn health(state: &FaceState) -> Response<Body> {
    let odoo = state.gateway.odoo_health().await;
    let odoo_ok = odoo["reachable"] == json!(true) && odoo["database"] != json!("missing");
    let cannot_write = state.gateway.store_cannot_write();
    match state.gateway.stored_settings() {
        Ok(settings) if cannot_write.is_some() => http::json(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({
                "status": "error",
                "process": "up",
                "version": env!("CARGO_PKG_VERSION"),
                "store": format!("store cannot write: {}", cannot_write.unwrap_or_default()),
                "mcp_enabled": settings.enable_mcp,
                "odoo": odoo,
            }),
        ),
        Ok(settings) => http::json(
            StatusCode::OK,
            json!({
                "status": if odoo_ok { "ok" } else { "degraded" },
                "process": "up",
                "version": env!("CARGO_PKG_VERSION"),
                "store": "open",
                "mcp_enabled": settings.enable_mcp,
                "odoo": odoo,
            }),
        ),
        Err(e) => http::json(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "error", "process": "up", "store": format!("error: {e}"), "odoo": odoo}),
        ),
    }
}

/// The Prometheus exposition; with a metrics token, only for
/// `Authorization: Bearer <token>`.
fn metrics(state: &FaceState, network: &NetworkConfig, req: &Request<Incoming>) -> Response<Body> {
    if let Some(token) = &network.metrics_token {
        let given =
            req.headers().get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| constant_time_eq(g.trim().as_bytes(), token.as_bytes())) {
            let mut response = http::json(
                StatusCode::UNAUTHORIZED,
                json!({"error": {"code": "unauthenticated", "message": "/metrics needs Authorization: Bearer <metrics_token>"}}),
            );
            response.headers_mut().insert(
                "www-authenticate",
                hyper::header::HeaderValue::from_static("Bearer realm=\"alpenglow-metrics\""),
            );
            return response;
        }
    }
    let sessions = state.gateway.active_sessions().map(|n| n as i64);
    if let Some((seq, checkpoint)) = state.gateway.audit_chain() {
        crate::metrics::global().set_audit_chain(seq, checkpoint);
    }
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", crate::metrics::CONTENT_TYPE)
        .body(http_body_util::Full::new(Bytes::from(crate::metrics::global().encode(sessions))))
        .expect("static response parts are valid")
}

/// Compares without stopping at the first difference, so response timing
/// does not reveal how much of the token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
