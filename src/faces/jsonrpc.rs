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
use crate::ops::OpName;
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
/// method is one of the nine operations; everything else is MCP.
pub fn direct_call(body: &[u8]) -> Option<DirectCall> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    let method = object.get("method")?.as_str()?;
    OpName::parse(method)?;
    Some(DirectCall {
        id: object.get("id").cloned().unwrap_or(Value::Null),
        method: method.to_string(),
        params: object.get("params").cloned().unwrap_or(Value::Null),
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
                json!({"jsonrpc": "2.0", "id": call.id, "error": {"code": error.jsonrpc_code(), "message": error.to_string()}}),
            );
            http::add_error_headers(&mut response, &error, !matches!(ctx.authorization, Authorization::Missing));
            response
        }
    };
    http::add_rate_headers(&mut response, &ctx);
    response
}
