//! The direct JSON-RPC face: `POST /alpenglow/mcp` with one of the nine
//! `alpenglow_*` methods, as the original's client (`alpenglow-mcp-bridge`)
//! sends it: no MCP handshake, session or headers; one JSON answer.
//!
//! Refusals keep the original's shapes: HTTP 401 for a missing or bad key
//! (with `WWW-Authenticate`), HTTP 429 with `X-RateLimit-Reset` and
//! `Retry-After` when rate limited, and otherwise HTTP 200 with a JSON-RPC
//! `error` object whose code is in the `-32000` family (see the README).

use super::FaceState;
use super::http::{self, Body};
use crate::gateway::{Authorization, Face, OpError};
use crate::vocab::OpName;
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};
use serde_json::{Value, json};
use std::net::IpAddr;

/// A parsed direct call.
pub struct DirectCall {
    id: Value,
    method: String,
    params: Value,
}

/// A body is a direct call when it is one JSON-RPC request object whose
/// method is one of the nine operations, or a name that is no MCP method
/// (MCP's all have a `/` but `initialize` and `ping`): a misspelled
/// `alpenglow_serch` is answered -32601 with the nine names, not sent to
/// the MCP face to be told about sessions. A request that says it is MCP
/// (`mcp_headers`: a session, revision or method header; or `_meta` in its
/// params) stays MCP's, as does a notification. Everything else is MCP,
/// and gets the parsed body back (it is parsed once).
pub fn direct_call(value: Value, mcp_headers: bool) -> Result<DirectCall, Value> {
    let Value::Object(mut object) = value else { return Err(value) };
    let Some(method) = object.get("method").and_then(Value::as_str) else { return Err(Value::Object(object)) };
    let mcp_method = mcp_headers
        || method.contains('/')
        || method == "initialize"
        || method == "ping"
        || !object.contains_key("id")
        || object.get("params").is_some_and(|p| p.get("_meta").is_some());
    let ours = OpName::parse(method).is_some() || method == crate::vocab::APPROVAL_STATUS_TOOL;
    if !ours && mcp_method {
        return Err(Value::Object(object));
    }
    let method = method.to_string();
    Ok(DirectCall {
        id: object.remove("id").unwrap_or(Value::Null),
        method,
        params: object.remove("params").unwrap_or(Value::Null),
    })
}

pub async fn handle(state: &FaceState, parts: &Parts, call: DirectCall, ip: IpAddr) -> Response<Body> {
    let ctx = http::context(Face::JsonRpc, parts, ip);
    let mut response = match state.gateway.call(&ctx, &call.method, &call.params).await {
        Ok(result) => http::json(StatusCode::OK, json!({"jsonrpc": "2.0", "id": call.id, "result": result})),
        Err(error) => {
            let status = match &error {
                OpError::Unauthenticated(_) | OpError::RateLimited { .. } | OpError::InsufficientScope { .. } => {
                    http::status_of(&error)
                }
                _ => StatusCode::OK,
            };
            let mut response = http::json(
                status,
                json!({"jsonrpc": "2.0", "id": call.id, "error": {"code": code(&error), "message": error.to_string()}}),
            );
            http::add_error_headers(&mut response, &error, !matches!(ctx.authorization, Authorization::Missing));
            response
        }
    };
    http::add_rate_headers(&mut response, &ctx);
    response
}

/// This face's codes for product refusals (the original's `-32000`
/// family), documented in the README's API reference.
fn code(error: &OpError) -> i64 {
    match error {
        OpError::Disabled => -32000,
        OpError::Unauthenticated(_) => -32001,
        OpError::Denied(_) | OpError::InsufficientScope { .. } => -32002,
        OpError::NotFound(_) => -32003,
        OpError::Invalid(_) => -32602,
        OpError::UnknownOperation(_) => -32601,
        OpError::RateLimited { .. } => -32005,
        OpError::OdooRefused(_) | OpError::Upstream(_) => -32006,
        OpError::Unavailable(_) => -32007,
        OpError::AuditUnavailable(_) => -32008,
    }
}
