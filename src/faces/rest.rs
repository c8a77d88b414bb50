//! The REST face: `/alpenglow/api/models...`, the same operations as the
//! other faces with HTTP verbs and status codes (401, 403, 404, 422, 429,
//! 502, 503) and JSON error bodies `{"error": {"code", "message"}}`.
//!
//! | verb | path | operation |
//! |---|---|---|
//! | GET | `/alpenglow/api/models` | list_models |
//! | GET | `/alpenglow/api/models/<model>/schema` | describe |
//! | GET | `/alpenglow/api/models/<model>/records?domain=&fields=&limit=&offset=&order=` | search |
//! | GET | `/alpenglow/api/models/<model>/records/<id>` | read |
//! | POST | `/alpenglow/api/models/<model>/records` (`{"values": ...}`) | create (201) |
//! | PUT | `/alpenglow/api/models/<model>/records/<id>` (`{"values": {...}}`) | update |
//! | DELETE | `/alpenglow/api/models/<model>/records/<id>` | delete |
//! | POST | `/alpenglow/api/models/<model>/aggregate` (aggregate parameters) | aggregate |
//! | POST | `/alpenglow/api/models/<model>/execute/<method>` (`{"args", "kwargs"}`) | execute |
//! | POST | `/alpenglow/api/approvals/<id>` | approval status (runs an approved call) |
//!
//! A write held for approval answers 202 Accepted with the pending body
//! (`status: pending_approval`, `approval_id`, ...), on its own route and on
//! the approval route while it still waits.

use super::http::{self, Body};
use super::{FaceState, MAX_BODY_BYTES};
use crate::gateway::{Authorization, Face, OpError};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value, json};
use std::net::IpAddr;

fn error_response(error: &OpError, key_sent: bool) -> Response<Body> {
    let mut response =
        http::json(http::status_of(error), json!({"error": {"code": error.outcome(), "message": error.to_string()}}));
    http::add_error_headers(&mut response, error, key_sent);
    response
}

fn invalid(message: impl Into<String>) -> OpError {
    OpError::Invalid(message.into())
}

/// Query parameters of a search: `domain` and `fields` as JSON (fields may
/// also be comma-separated), numbers as numbers.
fn search_params(model: &str, query: Option<&str>) -> Result<Value, OpError> {
    let mut params = Map::new();
    params.insert("model".into(), json!(model));
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let value = value.into_owned();
        match key.as_ref() {
            "domain" => {
                let parsed: Value = serde_json::from_str(&value).map_err(|e| {
                    invalid(format!("domain must be a JSON list such as [[\"name\",\"ilike\",\"a\"]]: {e}"))
                })?;
                params.insert("domain".into(), parsed);
            }
            "fields" => {
                let list = if value.trim_start().starts_with('[') {
                    serde_json::from_str(&value).map_err(|e| invalid(format!("fields: {e}")))?
                } else {
                    json!(value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>())
                };
                params.insert("fields".into(), list);
            }
            "limit" | "offset" => {
                let n: u64 =
                    value.parse().map_err(|_| invalid(format!("{key} must be a whole number, got {value:?}")))?;
                params.insert(key.into_owned(), json!(n));
            }
            "order" => {
                params.insert("order".into(), json!(value));
            }
            "db" => {}
            other => {
                return Err(invalid(format!(
                    "unknown query parameter {other:?}; allowed: domain, fields, limit, offset, order"
                )));
            }
        }
    }
    Ok(Value::Object(params))
}

fn parse_json(bytes: &[u8]) -> Result<Map<String, Value>, OpError> {
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid("the request body must be a JSON object")),
        Err(e) => Err(invalid(format!("the request body is not valid JSON: {e}"))),
    }
}

fn record_id(text: &str) -> Result<i64, OpError> {
    text.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| invalid(format!("{text:?} is not a record id")))
}

/// Turns the route and body into (operation, params, success status).
fn operation(
    method: &Method,
    segments: &[&str],
    query: Option<&str>,
    body: Map<String, Value>,
) -> Result<(&'static str, Value, StatusCode), OpError> {
    let with_model = |model: &str, mut body: Map<String, Value>| {
        body.insert("model".into(), json!(model));
        Value::Object(body)
    };
    let values_only = |body: &Map<String, Value>| -> Result<Value, OpError> {
        if let Some(extra) = body.keys().find(|k| *k != "values") {
            return Err(invalid(format!("unknown body field {extra:?}; send {{\"values\": ...}}")));
        }
        body.get("values").cloned().ok_or_else(|| invalid("the body needs \"values\""))
    };
    Ok(match (method, segments) {
        (&Method::GET, ["models"]) => ("alpenglow_list_models", json!({}), StatusCode::OK),
        (&Method::GET, ["models", model, "schema"]) => ("alpenglow_describe", json!({"model": model}), StatusCode::OK),
        (&Method::GET, ["models", model, "records"]) => {
            ("alpenglow_search", search_params(model, query)?, StatusCode::OK)
        }
        (&Method::GET, ["models", model, "records", id]) => {
            ("alpenglow_read", json!({"model": model, "ids": record_id(id)?}), StatusCode::OK)
        }
        (&Method::POST, ["models", model, "records"]) => {
            ("alpenglow_create", json!({"model": model, "values": values_only(&body)?}), StatusCode::CREATED)
        }
        (&Method::PUT, ["models", model, "records", id]) => (
            "alpenglow_update",
            json!({"model": model, "ids": record_id(id)?, "values": values_only(&body)?}),
            StatusCode::OK,
        ),
        (&Method::DELETE, ["models", model, "records", id]) => {
            ("alpenglow_delete", json!({"model": model, "ids": record_id(id)?}), StatusCode::OK)
        }
        (&Method::POST, ["models", model, "aggregate"]) => {
            ("alpenglow_aggregate", with_model(model, body), StatusCode::OK)
        }
        (&Method::POST, ["approvals", id]) if body.is_empty() => {
            let id = id
                .parse::<u64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| invalid(format!("{id:?} is not an approval id")))?;
            (crate::vocab::APPROVAL_STATUS_TOOL, json!({"approval_id": id}), StatusCode::OK)
        }
        (&Method::POST, ["models", model, "execute", method_name]) => {
            let mut body = body;
            body.insert("method".into(), json!(method_name));
            ("alpenglow_execute", with_model(model, body), StatusCode::OK)
        }
        _ => {
            return Err(OpError::NotFound(format!(
                "no REST route for {method} /alpenglow/api/{}; see the README's API reference",
                segments.join("/")
            )));
        }
    })
}

pub async fn handle(state: &FaceState, req: Request<Incoming>, ip: IpAddr) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let ctx = http::context(Face::Rest, &parts, ip);
    let key_sent = !matches!(ctx.authorization, Authorization::Missing);
    let bytes = match http::read_body(body, MAX_BODY_BYTES, state.live.current().http.body_read_timeout()).await {
        Ok(bytes) => bytes,
        Err(response) => return *response,
    };
    let path = parts.uri.path().trim_start_matches("/alpenglow/api/").trim_end_matches('/').to_string();
    let segments: Vec<&str> = path.split('/').collect();
    let planned = parse_json(&bytes).and_then(|body| operation(&parts.method, &segments, parts.uri.query(), body));
    let mut response = match planned {
        Ok((name, params, success)) => match state.gateway.call(&ctx, name, &params).await {
            Ok(result) if ctx.held.is_held() => http::json(StatusCode::ACCEPTED, result),
            Ok(result) => http::json(success, result),
            Err(e) => error_response(&e, key_sent),
        },
        // Not an operation: still authenticated, charged and audited.
        Err(e) => {
            let tool = format!("{} /alpenglow/api/{path}", parts.method);
            error_response(&state.gateway.call_refused(&ctx, &tool, e).await, key_sent)
        }
    };
    http::add_rate_headers(&mut response, &ctx);
    response
}
