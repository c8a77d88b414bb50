//! The network faces: the HTTP listener and its routes.
//!
//! Today it serves `GET /healthz`; the MCP, direct JSON-RPC and REST faces
//! join it here. Faces translate HTTP to operations and back; they never
//! decide access.

use crate::admin::AdminService;
use crate::config::boot::BootConfig;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::convert::Infallible;
use tokio::net::TcpListener;

type Body = Full<Bytes>;

/// Serves until SIGINT or SIGTERM, then stops accepting and lets in-flight
/// connections finish.
pub async fn serve(admin: AdminService, boot: BootConfig) -> std::io::Result<()> {
    let listener = TcpListener::bind(boot.listen)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {}: {e}", boot.listen)))?;
    eprintln!(
        "alpenglow: serving on http://{} (data directory {})",
        listener.local_addr()?,
        admin.store().dir().display()
    );
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _peer) = match accepted {
                    Ok(pair) => pair,
                    Err(_) => continue,
                };
                let admin = admin.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| route(admin.clone(), req));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    // Drain: give open connections a bounded time to finish.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    admin.store().flush().map_err(std::io::Error::other)?;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

async fn route(admin: AdminService, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    Ok(match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => health(&admin),
        _ => json_response(
            StatusCode::NOT_FOUND,
            json!({"error": format!("no route for {} {}", req.method(), req.uri().path())}),
        ),
    })
}

fn health(admin: &AdminService) -> Response<Body> {
    match admin.settings() {
        Ok(settings) => {
            json_response(StatusCode::OK, json!({"status": "ok", "store": "open", "mcp_enabled": settings.enable_mcp}))
        }
        Err(e) => json_response(StatusCode::SERVICE_UNAVAILABLE, json!({"status": "error", "store": e.to_string()})),
    }
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("static response parts are valid")
}
