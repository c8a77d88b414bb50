//! The legacy era (2025-03-26, 2025-06-18, 2025-11-25): `initialize` opens a
//! session and negotiates the revision; every later POST names the session
//! in `Mcp-Session-Id` (missing: 400, unknown or ended: 404) and may repeat
//! the revision in `MCP-Protocol-Version` (absent: the session's; another
//! or an unknown value: 400). Batch arrays are served in 2025-03-26 only.
//!
//! JSON-RPC errors of methods are HTTP 200 here, as in rmcp; only the
//! transport's own refusals (session, header, authentication) change the
//! status.

use super::McpState;
use super::methods::{self, Call};
use super::modern::legacy_client_info;
use super::revision::Revision;
use super::rpc::{self, Message, RpcError};
use super::transport::{self, Format};
use crate::faces::http::Body;
use crate::gateway::{ClientInfo, Principal, RequestContext, SessionRefusal};
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Response, StatusCode};
use serde_json::{Map, Value};

/// One POST in the legacy era, after authentication.
pub struct Post<'a> {
    pub state: &'a McpState,
    pub headers: &'a HeaderMap,
    pub principal: &'a Principal,
    pub ctx: &'a mut RequestContext,
    pub format: Format,
}

pub async fn single(mut post: Post<'_>, message: Message) -> Response<Body> {
    if let Message::Request { id, method, params } = &message
        && method == "initialize"
    {
        return initialize(&mut post, id, params);
    }
    let id = match &message {
        Message::Request { id, .. } => id.clone(),
        _ => Value::Null,
    };
    let revision = match resolve_session(&mut post) {
        Ok(revision) => revision,
        Err(error) => return transport::error(&error, &id, post.format),
    };
    match message {
        Message::Request { id, method, params } => {
            let call = Call { gateway: &post.state.gateway, principal: post.principal, ctx: post.ctx, revision };
            match methods::dispatch(&call, &method, &params).await {
                Ok(result) => transport::message(StatusCode::OK, &rpc::result_response(&id, result), post.format),
                Err(error) => transport::error(&error, &id, post.format),
            }
        }
        // notifications/initialized, notifications/cancelled and others:
        // every request here is answered on its own POST before the next
        // arrives, so there is nothing to start or stop.
        Message::Notification { .. } | Message::Response => transport::accepted(),
    }
}

fn initialize(post: &mut Post<'_>, id: &Value, params: &Map<String, Value>) -> Response<Body> {
    let Some(requested) = params.get("protocolVersion").and_then(Value::as_str) else {
        let error = RpcError::invalid_params("Invalid params: initialize needs \"protocolVersion\"");
        return transport::error(&error, id, post.format);
    };
    // As rmcp: a header sent with initialize must name the version asked for.
    if let Some(header) = post.headers.get("mcp-protocol-version")
        && header.to_str().ok() != Some(requested)
    {
        let error = RpcError::invalid_request(format!(
            "Bad Request: the MCP-Protocol-Version header does not match initialize's protocolVersion ({requested})"
        ))
        .with_status(StatusCode::BAD_REQUEST);
        return transport::error(&error, id, post.format);
    }
    let revision = methods::negotiate(requested);
    post.ctx.client = legacy_client_info(params);
    post.ctx.protocol = Some(revision.as_str().to_string());
    let session = match post.state.gateway.open_session(post.principal, post.ctx) {
        Ok(session) => session,
        Err(error) => return transport::error(&RpcError::refusal(&error, true), id, post.format),
    };
    let body = rpc::result_response(id, methods::initialize_result(revision));
    let mut response = transport::message(StatusCode::OK, &body, post.format);
    if let Ok(value) = HeaderValue::from_str(&session.id) {
        response.headers_mut().insert("mcp-session-id", value);
    }
    response
}

/// The session a POST names, counted as one more request, and the revision
/// it speaks; `post.ctx` learns the session, its client and revision.
fn resolve_session(post: &mut Post<'_>) -> Result<Revision, RpcError> {
    let bad_request = |message: String| RpcError::invalid_request(message).with_status(StatusCode::BAD_REQUEST);
    let Some(raw) = post.headers.get("mcp-session-id") else {
        return Err(bad_request(
            "Bad Request: the Mcp-Session-Id header is required; send initialize first to get one".into(),
        ));
    };
    let id =
        raw.to_str().map_err(|_| bad_request("Bad Request: the Mcp-Session-Id header is not valid text".into()))?;
    let session = post.state.gateway.resume_session(post.principal, id).map_err(session_refusal)?;
    // Stored by initialize; a session without a legacy revision cannot be resumed here.
    let Some(opened_with) = session.info.protocol.as_deref().and_then(Revision::parse).filter(|r| !r.is_modern())
    else {
        return Err(session_refusal(SessionRefusal::NotFound));
    };
    post.ctx.session_id = Some(session.id.clone());
    post.ctx.client =
        Some(ClientInfo { name: session.info.client_name.clone(), version: session.info.client_version.clone() });
    post.ctx.protocol = Some(opened_with.as_str().to_string());
    let revision = match post.headers.get("mcp-protocol-version").map(|v| v.to_str().ok()) {
        None => opened_with,
        Some(text) => match text.and_then(Revision::parse).filter(|r| !r.is_modern()) {
            Some(revision) if revision == opened_with => revision,
            Some(revision) => {
                return Err(bad_request(format!(
                    "Bad Request: MCP-Protocol-Version {revision} differs from this session's {}",
                    opened_with
                )));
            }
            None => {
                return Err(bad_request(format!(
                    "Bad Request: unsupported MCP-Protocol-Version {:?}; this session speaks {}",
                    text.unwrap_or("<not text>"),
                    opened_with
                )));
            }
        },
    };
    Ok(revision)
}

/// A session that cannot be used: 404, so the client starts a new one (as
/// the MCP transport specifies), with what happened to it.
pub fn session_refusal(refusal: SessionRefusal) -> RpcError {
    match refusal {
        SessionRefusal::NotFound => {
            RpcError::invalid_request("Session not found: it ended or expired; send initialize to start a new one")
                .with_status(StatusCode::NOT_FOUND)
        }
        SessionRefusal::Ended(why) => {
            RpcError::invalid_request(format!("Session ended: {why}")).with_status(StatusCode::NOT_FOUND)
        }
        SessionRefusal::Unavailable(why) => {
            RpcError::internal(format!("Sessions are unavailable: {why}")).with_status(StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

/// The most messages one batch may hold: a batch is one request to the
/// transport but many to the server, so it must not be a way around the
/// body limit and the rate budget.
pub const MAX_BATCH: usize = 50;

/// Methods that charge the caller's budget themselves (they run an operation).
const CHARGED_BY_RUN: [&str; 3] = ["tools/call", "resources/list", "resources/read"];

/// A JSON-RPC batch (2025-03-26 only): each message answered in order in
/// one array; 202 when it held no requests. At most [`MAX_BATCH`] messages;
/// each is charged to the caller's Requests per Minute like a request of
/// its own; once the answers reach `max_output_chars` the messages left are
/// answered with an error instead of run, so the answer stays bounded.
pub async fn batch(mut post: Post<'_>, items: Vec<Value>) -> Response<Body> {
    let bad_request = |message: String| RpcError::invalid_request(message).with_status(StatusCode::BAD_REQUEST);
    if items.is_empty() {
        return transport::error(&bad_request("Invalid Request: an empty batch".into()), &Value::Null, post.format);
    }
    if items.len() > MAX_BATCH {
        let error = bad_request(format!(
            "Invalid Request: a batch holds at most {MAX_BATCH} messages and this one has {}; send the rest in further requests",
            items.len()
        ));
        return transport::error(&error, &Value::Null, post.format);
    }
    let revision = match resolve_session(&mut post) {
        Ok(revision) => revision,
        Err(error) => return transport::error(&error, &Value::Null, post.format),
    };
    if !revision.allows_batches() {
        let error = bad_request(format!(
            "Invalid Request: JSON-RPC batches exist only in 2025-03-26; this session speaks {revision}, so send one message per request"
        ));
        return transport::error(&error, &Value::Null, post.format);
    }
    let budget = post.state.gateway.settings().max_output_chars as usize;
    let mut answers = Vec::new();
    let mut answered_chars = 0;
    for item in &items {
        let message = rpc::classify(item);
        let charged_by_run =
            matches!(&message, Ok(Message::Request { method, .. }) if CHARGED_BY_RUN.contains(&method.as_str()));
        let charge = if charged_by_run { Ok(()) } else { post.state.gateway.charge(post.principal, post.ctx) };
        let answer = match (message, charge) {
            (Err(rejected), _) => Some(rejected.1.response(&rejected.0)),
            (Ok(Message::Request { id, .. }), Err(limited)) => Some(RpcError::refusal(&limited, true).response(&id)),
            (Ok(Message::Request { id, method, .. }), Ok(())) if method == "initialize" => {
                Some(RpcError::invalid_request("Invalid Request: initialize must not be part of a batch").response(&id))
            }
            (Ok(Message::Request { id, .. }), Ok(())) if answered_chars >= budget => Some(
                RpcError::invalid_request(format!(
                    "Invalid Request: not run: this batch's answers already reached {budget} characters \
(max_output_chars); send this request again on its own"
                ))
                .response(&id),
            ),
            (Ok(Message::Request { id, method, params }), Ok(())) => {
                let call = Call { gateway: &post.state.gateway, principal: post.principal, ctx: post.ctx, revision };
                Some(match methods::dispatch(&call, &method, &params).await {
                    Ok(result) => rpc::result_response(&id, result),
                    Err(error) => error.response(&id),
                })
            }
            (Ok(Message::Notification { .. } | Message::Response), _) => None,
        };
        // Serialised once: the text both counts towards the budget and is sent.
        if let Some(answer) = answer {
            let text = answer.to_string();
            answered_chars += text.len();
            answers.push(text);
        }
    }
    if answers.is_empty() {
        return transport::accepted();
    }
    transport::message_text(StatusCode::OK, format!("[{}]", answers.join(",")), post.format)
}
