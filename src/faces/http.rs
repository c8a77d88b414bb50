//! HTTP helpers shared by the faces: bodies with a size limit, JSON
//! responses, the client address behind trusted proxies, and the mapping of
//! gateway errors to status codes and headers.

use crate::gateway::{Authorization, OpError, RequestContext};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};
use std::net::IpAddr;
use std::time::Duration;

pub type Body = Full<Bytes>;

pub fn json(status: StatusCode, body: Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("static response parts are valid")
}

/// Reads a body up to `limit` bytes within `timeout`. A declared
/// `Content-Length` over the limit is refused at once (413) rather than
/// waited for; a body that grows past it is cut off with the same 413; one
/// that does not arrive in time gets 408. Either way the connection closes.
pub async fn read_body(body: Incoming, limit: usize, timeout: Duration) -> Result<Bytes, Box<Response<Body>>> {
    let too_large = || {
        let mut response = json(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": format!("request body too large: at most {limit} bytes")}}),
        );
        response.headers_mut().insert("connection", HeaderValue::from_static("close"));
        Box::new(response)
    };
    if body.size_hint().lower() > limit as u64 {
        return Err(too_large());
    }
    let collected = match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Ok(collected) => collected,
        Err(_) => {
            let mut response = json(
                StatusCode::REQUEST_TIMEOUT,
                json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": format!(
                    "the request body did not arrive within {} s ([http] body_read_timeout_seconds)",
                    timeout.as_secs()
                )}}),
            );
            response.headers_mut().insert("connection", HeaderValue::from_static("close"));
            return Err(Box::new(response));
        }
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(too_large()),
        Err(e) => Err(Box::new(json(
            StatusCode::BAD_REQUEST,
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": format!("cannot read the request body: {e}")}}),
        ))),
    }
}

/// The client address: the socket peer, unless the peer is a trusted proxy;
/// then the right-most `X-Forwarded-For` entry that is not a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded.into_iter().rev().find(|ip| !trusted.contains(ip)).unwrap_or(peer)
}

/// The database a client names: `X-Odoo-Database`, else `?db=`.
pub fn requested_database(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(db) = headers.get("x-odoo-database").and_then(|v| v.to_str().ok()).map(str::trim)
        && !db.is_empty()
    {
        return Some(db.to_string());
    }
    query.and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "db").map(|(_, v)| v.into_owned()))
}

/// The request context for the gateway, from the request's headers.
pub fn context(face: crate::gateway::Face, parts: &hyper::http::request::Parts, ip: IpAddr) -> RequestContext {
    let authorization = Authorization::from_header(parts.headers.get("authorization").and_then(|v| v.to_str().ok()));
    let mut ctx = RequestContext::new(face, ip, authorization);
    ctx.database = requested_database(&parts.headers, parts.uri.query());
    ctx
}

/// The HTTP status for a refusal on the REST face (and for the HTTP-level
/// refusals of the direct JSON-RPC face: 401 and 429).
pub fn status_of(error: &OpError) -> StatusCode {
    match error {
        OpError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        OpError::Disabled | OpError::Denied(_) | OpError::InsufficientScope { .. } => StatusCode::FORBIDDEN,
        OpError::NotFound(_) | OpError::UnknownOperation(_) => StatusCode::NOT_FOUND,
        OpError::Invalid(_) | OpError::OdooRefused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        OpError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        OpError::Upstream(_) => StatusCode::BAD_GATEWAY,
        OpError::Unavailable(_) | OpError::AuditUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Headers that go with a refusal, for every face: the challenge on 401
/// (`error="invalid_token"` when a key was sent), the retry time on 429.
pub fn refusal_headers(error: &OpError, key_sent: bool) -> Vec<(&'static str, String)> {
    match error {
        OpError::Unauthenticated(_) => {
            let challenge = if key_sent {
                r#"Bearer realm="alpenglow", error="invalid_token""#
            } else {
                r#"Bearer realm="alpenglow""#
            };
            vec![("www-authenticate", challenge.to_string())]
        }
        OpError::RateLimited { retry_after_secs, reset_at, .. } => {
            vec![("retry-after", retry_after_secs.to_string()), ("x-ratelimit-reset", reset_at.to_string())]
        }
        // RFC 6750 §3.1; the MCP endpoint adds `resource_metadata`.
        OpError::InsufficientScope { scope } => {
            vec![("www-authenticate", format!(r#"Bearer error="insufficient_scope", scope="{scope}""#))]
        }
        _ => Vec::new(),
    }
}

/// Adds [`refusal_headers`] to a response.
pub fn add_error_headers(response: &mut Response<Body>, error: &OpError, key_sent: bool) {
    let headers = response.headers_mut();
    for (name, value) in refusal_headers(error, key_sent) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

/// `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds)
/// from the budget the gateway applied to this request, if any.
pub fn add_rate_headers(response: &mut Response<Body>, ctx: &RequestContext) {
    if let Some(status) = ctx.rate.get() {
        let headers = response.headers_mut();
        headers.insert("ratelimit-limit", HeaderValue::from(status.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(status.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(status.reset_secs));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ip_trusts_only_configured_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("198.51.100.7, 203.0.113.9, 10.0.0.1"));
        let peer_direct: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(client_ip(peer_direct, &headers, &[proxy]), peer_direct);
        assert_eq!(client_ip(proxy, &headers, &[proxy]), "203.0.113.9".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }

    #[test]
    fn database_from_header_or_query() {
        let mut headers = HeaderMap::new();
        assert_eq!(requested_database(&headers, Some("db=prod&x=1")), Some("prod".into()));
        headers.insert("x-odoo-database", HeaderValue::from_static("main"));
        assert_eq!(requested_database(&headers, Some("db=prod")), Some("main".into()));
        assert_eq!(requested_database(&HeaderMap::new(), None), None);
    }
}
