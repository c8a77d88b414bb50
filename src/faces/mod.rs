//! The network faces: the HTTP listener and its routes.
//!
//! `/alpenglow/mcp` (alias `/mcp`) carries both MCP and the original's
//! direct JSON-RPC calls: a POST whose method is one of the nine operations
//! goes to `jsonrpc`, anything else to the MCP face. `/alpenglow/api/...` is
//! REST. `/healthz` says whether the process and store are up.
//!
//! Faces translate HTTP to operations and back; they never decide access.
//! Only this room knows HTTP status codes.

mod http;
mod jsonrpc;
pub mod mcp;
mod rest;

pub use http::{Body, client_ip};

use crate::gateway::Gateway;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::net::TcpListener;

/// The MCP endpoint's path (also served as `/mcp`); clients and bridges
/// are given the base URL and append it.
pub const MCP_PATH: &str = "/alpenglow/mcp";

/// Largest request body accepted (1 MiB): enough for any real operation,
/// small enough that a flood of large bodies cannot exhaust memory.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the listener needs to answer requests.
pub struct FaceState {
    pub gateway: Gateway,
    pub trusted_proxies: Vec<IpAddr>,
    pub allowed_origins: Vec<String>,
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
}

impl Listener {
    pub async fn bind(addr: SocketAddr, state: FaceState) -> std::io::Result<Listener> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
        let mcp = mcp::McpState::new(state.gateway.clone(), state.allowed_origins.clone());
        Ok(Listener { listener, faces: Arc::new(Faces { state, mcp }) })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The base URL clients are given (`--url` of the bridges): the bound
    /// address with the scheme this listener speaks (plain HTTP; TLS is
    /// left to a proxy in front until the listener serves it itself).
    pub fn base_url(&self) -> std::io::Result<String> {
        Ok(format!("http://{}", self.local_addr()?))
    }

    /// Serves until `shutdown` completes, then stops accepting and lets
    /// in-flight connections finish (bounded), then flushes the store.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()>) -> std::io::Result<()> {
        tokio::pin!(shutdown);
        let mut connections = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let faces = self.faces.clone();
                    connections.spawn(async move {
                        let service = service_fn(move |req| route(faces.clone(), req, peer));
                        let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                    });
                }
                _ = &mut shutdown => break,
            }
        }
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        self.faces.state.gateway.admin().store().flush().map_err(std::io::Error::other)?;
        Ok(())
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
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
    let ip = client_ip(peer.ip(), req.headers(), &state.trusted_proxies);
    let path = req.uri().path().to_string();
    let response = match (req.method().clone(), path.as_str()) {
        (Method::GET, "/healthz") => health(state),
        // Older clients select the database with a first `GET /web?db=`; answer it harmlessly.
        (Method::GET, "/web") => http::json(StatusCode::OK, json!({"status": "ok"})),
        (_, MCP_PATH | "/mcp") => mcp_endpoint(&faces, req, ip).await,
        (_, p) if p.starts_with("/alpenglow/api/") => rest::handle(state, req, ip).await,
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
        return mcp::handle(&faces.mcp, Request::from_parts(parts, Bytes::new()), ip).await;
    }
    let bytes = match http::read_body(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(response) => return *response,
    };
    if let Some(call) = jsonrpc::direct_call(&bytes) {
        return jsonrpc::handle(&faces.state, &parts, call, ip).await;
    }
    mcp::handle(&faces.mcp, Request::from_parts(parts, bytes), ip).await
}

fn health(state: &FaceState) -> Response<Body> {
    match state.gateway.admin().settings() {
        Ok(settings) => {
            http::json(StatusCode::OK, json!({"status": "ok", "store": "open", "mcp_enabled": settings.enable_mcp}))
        }
        Err(e) => http::json(StatusCode::SERVICE_UNAVAILABLE, json!({"status": "error", "store": e.to_string()})),
    }
}
