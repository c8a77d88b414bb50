//! The MCP protocol face: a dual-era Streamable HTTP server on
//! `/alpenglow/mcp` (alias `/mcp`) for every MCP request that is not a direct
//! call of one of the nine `alpenglow_*` methods (those go to `jsonrpc`).
//!
//! Eras (`D/2026-07-28/basic/versioning.mdx`): a request carrying the modern
//! `_meta` version, an `MCP-Protocol-Version` that is not a legacy revision,
//! or `server/discover`, is served statelessly under 2026-07-28 (`modern`);
//! anything else, `initialize` first, is legacy (2025-03-26, 2025-06-18,
//! 2025-11-25) with sessions (`legacy`). Replies are shaped for
//! the request's revision (`revision`).
//!
//! Order of checks on a POST: `Origin` (403), `Accept` (406),
//! `Content-Type` (415), JSON (400/-32700), the key (401 with
//! `WWW-Authenticate`; 403 and code -31000 "MCP access is not enabled."
//! while MCP is off), then the era's own rules. Every MCP request needs a
//! valid key, notifications included.
//!
//! GET: this server offers no standalone SSE stream (it never sends
//! server-initiated messages: no list changes, no subscriptions), so GET is
//! 405 in every era, which the legacy revisions allow. DELETE ends a legacy
//! session (204; 404 if unknown); without `Mcp-Session-Id` it is 405, as
//! 2026-07-28 asks. Sessions live in the store (`crate::sessions`, through
//! the gateway): they survive restarts, belong to the caller that opened
//! them, and an admin's `sessions end` makes the next request 404. Requests are answered with one JSON body, or with one
//! SSE event when the client accepts only `text/event-stream` (no priming
//! event: streams are not resumable here).
//!
//! Files: `transport.rs` (HTTP checks and reply shapes), `rpc.rs`
//! (JSON-RPC messages and error codes), `modern.rs` (2026-07-28 headers and
//! `_meta`), `legacy.rs` (sessions' POSTs, batches), `methods.rs`
//! (dispatch, initialize, discover),
//! `tools.rs`, `resources.rs`, `revision.rs`.

mod legacy;
mod methods;
mod modern;
mod resources;
mod revision;
mod rpc;
mod tools;
mod transport;

pub use revision::Revision;

use super::http::{self, Body};
use crate::gateway::{Authorization, Face, Gateway, RequestContext};
use bytes::Bytes;
use hyper::{Method, Request, Response, StatusCode};
use rpc::{Message, RpcError};
use serde_json::{Map, Value};
use std::net::IpAddr;
use transport::Format;

/// What the MCP face keeps between requests.
pub struct McpState {
    gateway: Gateway,
    /// Allowed origins are read from here per request (a SIGHUP may change them).
    live: crate::faces::LiveConfig,
}

impl McpState {
    pub fn new(gateway: Gateway, live: crate::faces::LiveConfig) -> McpState {
        McpState { gateway, live }
    }
}

/// Answers one HTTP request to the MCP endpoint. `req`'s body is already
/// read (empty for GET and DELETE), and `parsed` is it as JSON when the
/// router already parsed it; `client_ip` is after trusted-proxy resolution.
pub async fn handle(state: &McpState, req: Request<Bytes>, parsed: Option<Value>, client_ip: IpAddr) -> Response<Body> {
    let (parts, body) = req.into_parts();
    if let Err(why) = transport::check_origin(&parts.headers, &state.live.current().allowed_origins, client_ip) {
        let error = RpcError::invalid_request(format!("Forbidden: {why}")).with_status(StatusCode::FORBIDDEN);
        return transport::error(&error, &Value::Null, Format::Json);
    }
    match parts.method {
        Method::POST => post(state, parts, body, parsed, client_ip).await,
        Method::DELETE if parts.headers.contains_key("mcp-session-id") => delete(state, &parts, client_ip).await,
        Method::DELETE => transport::method_not_allowed(
            "POST",
            "Method Not Allowed: DELETE ends a legacy session and needs its Mcp-Session-Id; 2026-07-28 has no sessions",
        ),
        _ => transport::method_not_allowed(
            "POST, DELETE",
            "Method Not Allowed: this server offers no GET stream; send each message as a POST",
        ),
    }
}

/// Answers a POST, with the `RateLimit-*` headers of the budget the gateway
/// applied (if it got that far), as the other faces do.
async fn post(
    state: &McpState,
    parts: hyper::http::request::Parts,
    body: Bytes,
    parsed: Option<Value>,
    client_ip: IpAddr,
) -> Response<Body> {
    let mut ctx = http::context(Face::Mcp, &parts, client_ip);
    let mut response = answer_post(state, &parts, body, parsed, &mut ctx).await;
    http::add_rate_headers(&mut response, &ctx);
    response
}

async fn answer_post(
    state: &McpState,
    parts: &hyper::http::request::Parts,
    body: Bytes,
    parsed: Option<Value>,
    ctx: &mut RequestContext,
) -> Response<Body> {
    let Some(format) = transport::reply_format(&parts.headers) else {
        let error = RpcError::invalid_request(
            "Not Acceptable: the Accept header must allow application/json and text/event-stream",
        )
        .with_status(StatusCode::NOT_ACCEPTABLE);
        return transport::error(&error, &Value::Null, Format::Json);
    };
    if !transport::is_json_content_type(&parts.headers) {
        let error = RpcError::invalid_request("Unsupported Media Type: Content-Type must be application/json")
            .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        return transport::error(&error, &Value::Null, format);
    }
    let value: Value = match parsed.map_or_else(|| serde_json::from_slice(&body), Ok) {
        Ok(value) => value,
        Err(e) => return transport::error(&RpcError::parse_error(e), &Value::Null, format),
    };
    // The id to answer refusals with, when the body is a single request.
    let id = value.get("id").filter(|id| id.is_string() || id.is_number()).cloned().unwrap_or(Value::Null);
    let principal = match state.gateway.authenticate(ctx).await {
        Ok(principal) => principal,
        Err(error) => {
            let key_sent = !matches!(ctx.authorization, Authorization::Missing);
            return transport::error(&RpcError::refusal(&error, key_sent), &id, format);
        }
    };
    let headers = &parts.headers;
    let message = match value {
        Value::Array(items) => {
            let post = legacy::Post { state, headers, principal: &principal, ctx, format };
            return legacy::batch(post, items).await;
        }
        value => match rpc::classify(&value) {
            Ok(message) => message,
            Err(rejected) => {
                let (id, error) = *rejected;
                return transport::error(&error.with_status(StatusCode::BAD_REQUEST), &id, format);
            }
        },
    };
    let modern = match &message {
        Message::Request { method, params, .. } => modern::is_modern_request(headers, method, params),
        Message::Notification { method } => modern::is_modern_request(headers, method, &Map::new()),
        Message::Response => modern::is_modern_request(headers, "", &Map::new()),
    };
    if !modern {
        let post = legacy::Post { state, headers, principal: &principal, ctx, format };
        return legacy::single(post, message).await;
    }
    // 2026-07-28: stateless; any Mcp-Session-Id is ignored.
    match message {
        Message::Request { id, method, params } => {
            match modern::validate_request(headers, &method, &params) {
                Ok(request) => {
                    ctx.client = request.client;
                    ctx.protocol = Some(Revision::V2026_07_28.as_str().to_string());
                    if method == "tools/call" {
                        ctx.elicitation = Some(modern::elicitation(&params));
                    }
                }
                Err(error) => return transport::error(&error, &id, format),
            }
            let call =
                methods::Call { gateway: &state.gateway, principal: &principal, ctx, revision: Revision::V2026_07_28 };
            match methods::dispatch(&call, &method, &params).await {
                Ok(result) => transport::message(StatusCode::OK, &rpc::result_response(&id, result), format),
                Err(error) => transport::error(&error, &id, format),
            }
        }
        Message::Notification { method } => match modern::validate_notification(headers, &method) {
            Ok(()) => transport::accepted(),
            Err(error) => transport::error(&error, &Value::Null, format),
        },
        Message::Response => transport::accepted(),
    }
}

/// DELETE with `Mcp-Session-Id`: ends that legacy session of the caller.
async fn delete(state: &McpState, parts: &hyper::http::request::Parts, client_ip: IpAddr) -> Response<Body> {
    let ctx = http::context(Face::Mcp, parts, client_ip);
    let principal = match state.gateway.authenticate(&ctx).await {
        Ok(principal) => principal,
        Err(error) => {
            let key_sent = !matches!(ctx.authorization, Authorization::Missing);
            return transport::error(&RpcError::refusal(&error, key_sent), &Value::Null, Format::Json);
        }
    };
    let id = parts.headers.get("mcp-session-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
    match state.gateway.close_session(&principal, id) {
        Ok(true) => transport::empty(StatusCode::NO_CONTENT),
        Ok(false) => {
            let error = RpcError::invalid_request("Session not found: it already ended or never existed")
                .with_status(StatusCode::NOT_FOUND);
            transport::error(&error, &Value::Null, Format::Json)
        }
        Err(refusal) => transport::error(&legacy::session_refusal(refusal), &Value::Null, Format::Json),
    }
}
