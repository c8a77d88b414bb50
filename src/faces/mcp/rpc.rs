//! JSON-RPC 2.0 as MCP uses it: classifying an incoming message, and the
//! errors this face answers with (code, message, data and the HTTP status
//! that goes with them).
//!
//! Codes: the spec's (-32700 … -32603, -32002 resource not found up to
//! 2025-11-25, -32020/-32021/-32022 in 2026-07-28). Product refusals that
//! happen before any method runs (MCP switched off, a bad key, a rate limit)
//! use Alpenglow's own codes in -31000 … -31007, outside the range JSON-RPC
//! and MCP reserve (-32768 … -32000): the direct JSON-RPC face's -3200N
//! becomes -3100N here, so the two stay easy to relate. They always come
//! with a meaningful HTTP status (401, 403, 429, ...).

use crate::gateway::OpError;
use hyper::StatusCode;
use serde_json::{Map, Value, json};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
/// Legacy revisions' "resource not found".
pub const RESOURCE_NOT_FOUND: i64 = -32002;
/// 2026-07-28: `HeaderMismatch`.
pub const HEADER_MISMATCH: i64 = -32020;
/// 2026-07-28: `MissingRequiredClientCapability` (never needed here: no
/// method of ours depends on a client capability).
#[allow(dead_code)]
pub const MISSING_CLIENT_CAPABILITY: i64 = -32021;
/// 2026-07-28: `UnsupportedProtocolVersion`.
pub const UNSUPPORTED_VERSION: i64 = -32022;

/// Alpenglow's refusal codes for MCP traffic (see the module doc).
pub const ALPENGLOW_DISABLED: i64 = -31000;
pub const ALPENGLOW_UNAUTHENTICATED: i64 = -31001;
pub const ALPENGLOW_DENIED: i64 = -31002;
pub const ALPENGLOW_NOT_FOUND: i64 = -31003;
pub const ALPENGLOW_RATE_LIMITED: i64 = -31005;
pub const ALPENGLOW_UPSTREAM: i64 = -31006;
pub const ALPENGLOW_UNAVAILABLE: i64 = -31007;
pub const ALPENGLOW_AUDIT_UNAVAILABLE: i64 = -31008;

/// One incoming JSON-RPC message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Request {
        id: Value,
        method: String,
        params: Map<String, Value>,
    },
    Notification {
        method: String,
    },
    /// A result or error sent by the client (answers to server requests,
    /// which this server never sends; accepted and ignored).
    Response,
}

/// Classifies one JSON value. On failure, the error and the id to answer
/// with (null when the id itself was unusable).
pub fn classify(value: &Value) -> Result<Message, Box<(Value, RpcError)>> {
    let Some(object) = value.as_object() else {
        return Err(Box::new((Value::Null, RpcError::invalid_request("a JSON-RPC message must be an object"))));
    };
    let id = object.get("id").cloned();
    // MCP ids are strings or numbers, never null.
    let usable_id = id.clone().filter(|id| id.is_string() || id.is_number());
    let answer_id = usable_id.clone().unwrap_or(Value::Null);
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(Box::new((answer_id, RpcError::invalid_request("\"jsonrpc\" must be \"2.0\""))));
    }
    let Some(method) = object.get("method") else {
        if usable_id.is_some() && (object.contains_key("result") || object.contains_key("error")) {
            return Ok(Message::Response);
        }
        return Err(Box::new((
            answer_id,
            RpcError::invalid_request("a message needs \"method\" (or, for a response, \"result\" or \"error\")"),
        )));
    };
    let Some(method) = method.as_str() else {
        return Err(Box::new((answer_id, RpcError::invalid_request("\"method\" must be a string"))));
    };
    let params = match object.get("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(params)) => params.clone(),
        Some(_) => return Err(Box::new((answer_id, RpcError::invalid_params("\"params\" must be an object")))),
    };
    match (id, usable_id) {
        (None, _) => Ok(Message::Notification { method: method.to_string() }),
        (Some(_), Some(id)) => Ok(Message::Request { id, method: method.to_string(), params }),
        (Some(_), None) => {
            Err(Box::new((Value::Null, RpcError::invalid_request("\"id\" must be a string or a number"))))
        }
    }
}

/// A JSON-RPC error with the HTTP status and headers its reply carries.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    /// Boxed: errors travel in `Result`s and should stay small.
    pub data: Option<Box<Value>>,
    pub status: StatusCode,
    pub headers: Vec<(&'static str, String)>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> RpcError {
        RpcError { code, message: message.into(), data: None, status: StatusCode::OK, headers: Vec::new() }
    }

    pub fn with_status(mut self, status: StatusCode) -> RpcError {
        self.status = status;
        self
    }

    pub fn with_data(mut self, data: Value) -> RpcError {
        self.data = Some(Box::new(data));
        self
    }

    pub fn parse_error(detail: impl std::fmt::Display) -> RpcError {
        RpcError::new(PARSE_ERROR, format!("Parse error: the body is not valid JSON ({detail})"))
            .with_status(StatusCode::BAD_REQUEST)
    }

    pub fn invalid_request(message: impl Into<String>) -> RpcError {
        RpcError::new(INVALID_REQUEST, message)
    }

    pub fn invalid_params(message: impl Into<String>) -> RpcError {
        RpcError::new(INVALID_PARAMS, message)
    }

    pub fn internal(message: impl Into<String>) -> RpcError {
        RpcError::new(INTERNAL_ERROR, message)
    }

    /// Unknown method: HTTP 404 in 2026-07-28 (the spec's MUST), 200 before.
    pub fn method_not_found(method: &str, modern: bool) -> RpcError {
        let error = RpcError::new(METHOD_NOT_FOUND, format!("Method not found: {method}"));
        if modern { error.with_status(StatusCode::NOT_FOUND) } else { error }
    }

    pub fn header_mismatch(message: impl Into<String>) -> RpcError {
        RpcError::new(HEADER_MISMATCH, message).with_status(StatusCode::BAD_REQUEST)
    }

    pub fn unsupported_version(requested: &str) -> RpcError {
        RpcError::new(UNSUPPORTED_VERSION, "Unsupported protocol version")
            .with_data(json!({"supported": super::Revision::supported_json(), "requested": requested}))
            .with_status(StatusCode::BAD_REQUEST)
    }

    /// A refusal by the gateway outside a tool call (authentication,
    /// switched off, rate limited, ...), with its HTTP status and headers.
    pub fn refusal(error: &OpError, key_sent: bool) -> RpcError {
        let (code, status) = match error {
            OpError::Disabled => (ALPENGLOW_DISABLED, StatusCode::FORBIDDEN),
            OpError::Unauthenticated(_) => (ALPENGLOW_UNAUTHENTICATED, StatusCode::UNAUTHORIZED),
            OpError::Denied(_) | OpError::InsufficientScope { .. } => (ALPENGLOW_DENIED, StatusCode::FORBIDDEN),
            // A database this gateway does not serve: the request is wrong.
            OpError::NotFound(_) => (ALPENGLOW_NOT_FOUND, StatusCode::BAD_REQUEST),
            OpError::Invalid(_) | OpError::UnknownOperation(_) => (INVALID_PARAMS, StatusCode::BAD_REQUEST),
            OpError::RateLimited { .. } => (ALPENGLOW_RATE_LIMITED, StatusCode::TOO_MANY_REQUESTS),
            OpError::Upstream(_) => (ALPENGLOW_UPSTREAM, StatusCode::BAD_GATEWAY),
            OpError::OdooRefused(_) => (ALPENGLOW_UPSTREAM, StatusCode::UNPROCESSABLE_ENTITY),
            OpError::Unavailable(_) => (ALPENGLOW_UNAVAILABLE, StatusCode::SERVICE_UNAVAILABLE),
            OpError::AuditUnavailable(_) => (ALPENGLOW_AUDIT_UNAVAILABLE, StatusCode::SERVICE_UNAVAILABLE),
        };
        let headers = crate::faces::http::refusal_headers(error, key_sent);
        RpcError { code, message: error.to_string(), data: None, status, headers }
    }

    /// The error object of a JSON-RPC error response.
    pub fn object(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(data) = &self.data {
            error["data"] = (**data).clone();
        }
        error
    }

    /// The whole error response for request `id`.
    pub fn response(&self, id: &Value) -> Value {
        json!({"jsonrpc": "2.0", "id": id, "error": self.object()})
    }
}

/// A success response.
pub fn result_response(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_tells_requests_notifications_and_responses_apart() {
        let request = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {"cursor": null}});
        assert!(matches!(classify(&request), Ok(Message::Request { ref method, .. }) if method == "tools/list"));
        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        assert_eq!(classify(&note), Ok(Message::Notification { method: "notifications/initialized".into() }));
        let response = json!({"jsonrpc": "2.0", "id": "s-1", "result": {}});
        assert_eq!(classify(&response), Ok(Message::Response));
    }

    #[test]
    fn classify_refuses_malformed_messages_with_the_right_code() {
        let cases = [
            (json!([1]), INVALID_REQUEST),
            (json!({"id": 1, "method": "ping"}), INVALID_REQUEST),
            (json!({"jsonrpc": "2.0", "id": 1, "method": 5}), INVALID_REQUEST),
            (json!({"jsonrpc": "2.0", "id": null, "method": "ping"}), INVALID_REQUEST),
            (json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": [1]}), INVALID_PARAMS),
            (json!({"jsonrpc": "2.0", "id": 1}), INVALID_REQUEST),
        ];
        for (value, code) in cases {
            let (_, error) = *classify(&value).expect_err("refused");
            assert_eq!(error.code, code, "{value}");
        }
    }

    #[test]
    fn refusals_carry_status_and_challenge() {
        let e = RpcError::refusal(&OpError::Unauthenticated("bad key".into()), true);
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        assert_eq!(e.headers, vec![("www-authenticate", r#"Bearer realm="alpenglow", error="invalid_token""#.into())]);
        let e = RpcError::refusal(&OpError::Disabled, false);
        assert_eq!(
            (e.code, e.status, e.message.as_str()),
            (ALPENGLOW_DISABLED, StatusCode::FORBIDDEN, "MCP access is not enabled.")
        );
        assert!(!(-32768..=-32000).contains(&e.code));
    }
}
