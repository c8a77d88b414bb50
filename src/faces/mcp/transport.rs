//! Streamable HTTP mechanics shared by both eras: the `Accept`,
//! `Content-Type` and `Origin` checks, and the shapes of replies (one JSON
//! body, one SSE event, 202 with no body, 405).
//!
//! `Accept`: media ranges are read as rmcp reads them (a `q=0` entry does not
//! count). A request is answered with JSON when the client accepts
//! `application/json`, with a single SSE event when it accepts only
//! `text/event-stream`, and refused with 406 when it accepts neither. The
//! spec makes clients list both; this server does not insist, since either
//! one is enough to read its answer.
//!
//! `Origin`: absent is allowed (SDKs send none); present, it must be in the
//! configured list, or be a loopback origin on a request that arrived over
//! loopback (the server is listening there, and such a page runs on the
//! same machine). Anything else is 403: the DNS-rebinding defence.

use super::rpc::RpcError;
use crate::faces::http::Body;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::HeaderMap;
use hyper::{Response, StatusCode};
use serde_json::Value;
use std::net::IpAddr;

const JSON: &str = "application/json";
const EVENT_STREAM: &str = "text/event-stream";

/// How a request's answer is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Sse,
}

/// The answer format the client's `Accept` allows; `None` means 406.
pub fn reply_format(headers: &HeaderMap) -> Option<Format> {
    let mut json = false;
    let mut sse = false;
    for essence in accepted_media_types(headers) {
        let essence = essence.to_ascii_lowercase();
        json |= essence == JSON || essence == "application/*" || essence == "*/*";
        sse |= essence == EVENT_STREAM || essence == "text/*";
    }
    if json {
        Some(Format::Json)
    } else if sse {
        Some(Format::Sse)
    } else {
        None
    }
}

/// Media-range essences from every `Accept` header, without `q=0` entries.
fn accepted_media_types(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("accept")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| {
            let mut parts = entry.split(';');
            let essence = parts.next()?.trim();
            let refused = parts.any(|param| {
                param
                    .split_once('=')
                    .is_some_and(|(name, value)| name.trim().eq_ignore_ascii_case("q") && quality_is_zero(value.trim()))
            });
            (!essence.is_empty() && !refused).then(|| essence.to_string())
        })
        .collect()
}

/// RFC 9110 §12.4.2: only an explicit zero weight excludes a range; a
/// malformed weight is ignored rather than excluding it.
fn quality_is_zero(quality: &str) -> bool {
    let (whole, fraction) = quality.split_once('.').unwrap_or((quality, ""));
    whole == "0" && fraction.len() <= 3 && fraction.bytes().all(|b| b == b'0')
}

/// Whether the body is declared as JSON (any parameters, e.g. charset, allowed).
pub fn is_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim())
        .is_some_and(|essence| essence.eq_ignore_ascii_case(JSON))
}

/// A parsed origin: scheme, host and port (the scheme's default filled in).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

fn parse_origin(text: &str) -> Option<Origin> {
    let uri: hyper::Uri = text.trim().parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?;
    // An origin is scheme://host[:port]: no path, query or user info.
    if uri.path_and_query().is_some_and(|pq| pq.as_str() != "/" && !pq.as_str().is_empty())
        || authority.as_str().contains('@')
    {
        return None;
    }
    let port = authority.port_u16().or(match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    });
    let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    Some(Origin { scheme, host, port })
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host.ends_with(".localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks `Origin`; on refusal, the reason (for the 403 body).
pub fn check_origin(headers: &HeaderMap, allowed: &[String], client_ip: IpAddr) -> Result<(), String> {
    let values: Vec<_> = headers.get_all("origin").iter().collect();
    let value = match values.as_slice() {
        [] => return Ok(()),
        [one] => one.to_str().map_err(|_| "the Origin header is not valid text".to_string())?,
        _ => return Err("several Origin headers were sent".to_string()),
    };
    let Some(origin) = parse_origin(value) else {
        return Err(format!("origin {value:?} is not a valid origin"));
    };
    if allowed.iter().filter_map(|a| parse_origin(a)).any(|a| a == origin) {
        return Ok(());
    }
    if client_ip.is_loopback() && is_loopback_host(&origin.host) {
        return Ok(());
    }
    Err(format!("origin {value} is not allowed; an administrator can add it to allowed_origins"))
}

/// A JSON-RPC message (or batch) as the reply to a POST, in `format`.
pub fn message(status: StatusCode, body: &Value, format: Format) -> Response<Body> {
    message_text(status, body.to_string(), format)
}

/// A JSON-RPC message already serialised (`body` is compact JSON text).
pub fn message_text(status: StatusCode, body: String, format: Format) -> Response<Body> {
    let (content_type, bytes) = match format {
        Format::Json => (JSON, body),
        // One event carries the whole answer; the stream then ends.
        Format::Sse => (EVENT_STREAM, format!("event: message\ndata: {body}\n\n")),
    };
    let mut builder = Response::builder().status(status).header("content-type", content_type);
    if format == Format::Sse {
        builder = builder.header("cache-control", "no-cache").header("x-accel-buffering", "no");
    }
    builder.body(Full::new(Bytes::from(bytes))).expect("static response parts are valid")
}

/// An error reply with the error's own status and headers.
pub fn error(error: &RpcError, id: &Value, format: Format) -> Response<Body> {
    let mut response = message(error.status, &error.response(id), format);
    add_headers(&mut response, &error.headers);
    response
}

pub fn add_headers(response: &mut Response<Body>, headers: &[(&'static str, String)]) {
    for (name, value) in headers {
        if let Ok(value) = hyper::header::HeaderValue::from_str(value) {
            response.headers_mut().append(*name, value);
        }
    }
}

/// 202 Accepted, no body: the answer to notifications and client responses.
pub fn accepted() -> Response<Body> {
    empty(StatusCode::ACCEPTED)
}

pub fn empty(status: StatusCode) -> Response<Body> {
    Response::builder().status(status).body(Full::new(Bytes::new())).expect("static response parts are valid")
}

/// 405 with the methods this endpoint does serve.
pub fn method_not_allowed(allow: &'static str, why: &str) -> Response<Body> {
    let mut response = error(
        &RpcError::invalid_request(why.to_string()).with_status(StatusCode::METHOD_NOT_ALLOWED),
        &Value::Null,
        Format::Json,
    );
    response.headers_mut().insert("allow", hyper::header::HeaderValue::from_static(allow));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn accept(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("accept", HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn accept_picks_json_then_sse_and_ignores_zero_weights() {
        assert_eq!(reply_format(&accept("application/json, text/event-stream")), Some(Format::Json));
        assert_eq!(reply_format(&accept("text/event-stream")), Some(Format::Sse));
        assert_eq!(reply_format(&accept("application/json;q=0, text/event-stream")), Some(Format::Sse));
        assert_eq!(reply_format(&accept("application/json;q=0.5")), Some(Format::Json));
        assert_eq!(reply_format(&accept("text/html")), None);
        assert_eq!(reply_format(&accept("application/json;q=0.000")), None);
        assert_eq!(reply_format(&HeaderMap::new()), None);
    }

    #[test]
    fn content_type_must_be_json() {
        let mut headers = HeaderMap::new();
        assert!(!is_json_content_type(&headers));
        headers.insert("content-type", HeaderValue::from_static("Application/JSON; charset=utf-8"));
        assert!(is_json_content_type(&headers));
        headers.insert("content-type", HeaderValue::from_static("text/plain"));
        assert!(!is_json_content_type(&headers));
    }

    #[test]
    fn origin_rules() {
        let remote: IpAddr = "203.0.113.5".parse().unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let allowed = vec!["https://app.example.com".to_string()];
        let with = |origin: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert("origin", HeaderValue::from_static(origin));
            headers
        };
        assert!(check_origin(&HeaderMap::new(), &allowed, remote).is_ok());
        assert!(check_origin(&with("https://app.example.com"), &allowed, remote).is_ok());
        assert!(check_origin(&with("https://APP.example.com:443"), &allowed, remote).is_ok());
        assert!(check_origin(&with("http://app.example.com"), &allowed, remote).is_err());
        assert!(check_origin(&with("https://evil.example"), &allowed, local).is_err());
        assert!(check_origin(&with("http://localhost:6274"), &allowed, local).is_ok());
        assert!(check_origin(&with("http://[::1]:3000"), &allowed, local).is_ok());
        assert!(check_origin(&with("http://localhost:6274"), &allowed, remote).is_err());
        assert!(check_origin(&with("null"), &allowed, local).is_err());
    }
}
