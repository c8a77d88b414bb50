//! The MCP methods this server answers, per era: `initialize` and `ping`
//! (legacy), `server/discover` (2026-07-28), and in both `tools/list`,
//! `tools/call`, `resources/list`, `resources/templates/list`,
//! `resources/read`. Anything else is -32601 (HTTP 404 in 2026-07-28).
//!
//! 2026-07-28 results also carry `resultType: "complete"`, the server's
//! identity in `_meta["io.modelcontextprotocol/serverInfo"]`, and on the
//! discover / list / read results the cache hints `ttlMs` and
//! `cacheScope: "private"` (what a caller sees depends on its key).

use super::modern::META_SERVER_INFO;
use super::revision::Revision;
use super::rpc::RpcError;
use super::{resources, tools};
use crate::gateway::{Gateway, OpError, Principal, RequestContext};
use serde_json::{Map, Value, json};

/// How long a client may cache the tool list and discover result: the
/// tools are fixed for the life of the process.
const TOOLS_TTL_MS: u64 = 5 * 60 * 1000;
/// How long a client may cache resource lists and reads: an administrator
/// can change resources at any time, so keep it short.
const RESOURCES_TTL_MS: u64 = 60 * 1000;

const INSTRUCTIONS: &str = "Alpenglow gives you access to an Odoo ERP, limited to the models and operations an \
administrator enabled for your key. Start with alpenglow_list_models, then alpenglow_describe a model before \
searching or writing it. Deletions are permanent.";

/// Everything a method runs with.
pub struct Call<'a> {
    pub gateway: &'a Gateway,
    pub principal: &'a Principal,
    pub ctx: &'a RequestContext,
    pub revision: Revision,
}

impl Call<'_> {
    /// Runs one of the nine operations as the caller.
    pub async fn run(&self, operation: &str, params: &Value) -> Result<Value, OpError> {
        self.gateway.run(self.principal, self.ctx, operation, params).await
    }
}

/// Answers one request (anything but `initialize`, which opens a session
/// and is answered by the legacy path with [`initialize_result`]).
pub async fn dispatch(call: &Call<'_>, method: &str, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let modern = call.revision.is_modern();
    let (result, ttl_ms) = match method {
        "ping" if !modern => (json!({}), None),
        "server/discover" if modern => (discover_result(), Some(TOOLS_TTL_MS)),
        "tools/list" => (tools::list(call.revision, params)?, Some(TOOLS_TTL_MS)),
        "tools/call" => (tools::call(call, params).await?, None),
        "resources/list" => (resources::list(call, params).await?, Some(RESOURCES_TTL_MS)),
        "resources/templates/list" => (resources::templates(call.revision, params)?, Some(RESOURCES_TTL_MS)),
        "resources/read" => (resources::read(call, params).await?, Some(RESOURCES_TTL_MS)),
        _ => return Err(RpcError::method_not_found(method, modern)),
    };
    Ok(if modern { decorate_modern(result, ttl_ms) } else { result })
}

fn decorate_modern(mut result: Value, ttl_ms: Option<u64>) -> Value {
    if let Some(object) = result.as_object_mut() {
        // An `input_required` result keeps its type.
        object.entry("resultType").or_insert_with(|| json!("complete"));
        if let Some(ttl) = ttl_ms {
            object.insert("ttlMs".into(), json!(ttl));
            object.insert("cacheScope".into(), json!("private"));
        }
        let meta = object.entry("_meta").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert(META_SERVER_INFO.into(), server_info(Revision::V2026_07_28));
        }
    }
    result
}

/// The server's `Implementation` object, with the fields `revision` knows.
pub fn server_info(revision: Revision) -> Value {
    let mut info = json!({"name": "alpenglow", "version": env!("CARGO_PKG_VERSION")});
    if revision.has_titles_and_structured_content() {
        info["title"] = json!("Alpenglow");
    }
    if revision.server_info_has_description() {
        info["description"] = json!("A safe gateway between AI assistants and an Odoo ERP");
    }
    info
}

pub fn capabilities() -> Value {
    json!({"tools": {"listChanged": false}, "resources": {}})
}

fn discover_result() -> Value {
    json!({
        "supportedVersions": Revision::supported_json(),
        "capabilities": capabilities(),
        "instructions": INSTRUCTIONS,
    })
}

/// The revision `initialize` settles on: the client's when we speak it,
/// else our newest legacy one (the client then decides whether to go on).
pub fn negotiate(requested: &str) -> Revision {
    Revision::parse(requested).filter(|r| !r.is_modern()).unwrap_or(Revision::LATEST_LEGACY)
}

pub fn initialize_result(revision: Revision) -> Value {
    json!({
        "protocolVersion": revision.as_str(),
        "capabilities": capabilities(),
        "serverInfo": server_info(revision),
        "instructions": INSTRUCTIONS,
    })
}

/// A paginated list method's `cursor`: every list here is one page, so any
/// cursor is one this server never handed out.
pub fn check_no_cursor(params: &Map<String, Value>) -> Result<(), RpcError> {
    match params.get("cursor") {
        None | Some(Value::Null) => Ok(()),
        Some(_) => Err(RpcError::invalid_params(
            "Invalid params: unknown cursor; this list has a single page, so ask for it without a cursor",
        )),
    }
}

/// A gateway error outside a tool call: refusals keep their HTTP status;
/// an Odoo failure is an internal error whose message says what happened.
pub fn op_error(error: &OpError, call: &Call<'_>) -> RpcError {
    match error {
        OpError::Invalid(m) => RpcError::invalid_params(m.clone()),
        OpError::Upstream(_)
        | OpError::OdooRefused(_)
        | OpError::Unavailable(_)
        | OpError::AuditUnavailable(_)
        | OpError::UnknownOperation(_) => RpcError::internal(error.to_string()),
        _ => RpcError::refusal(error, !matches!(call.ctx.authorization, crate::gateway::Authorization::Missing)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_echoes_legacy_versions_and_counter_offers_otherwise() {
        assert_eq!(negotiate("2025-03-26"), Revision::V2025_03_26);
        assert_eq!(negotiate("2025-06-18"), Revision::V2025_06_18);
        assert_eq!(negotiate("2024-11-05"), Revision::V2025_11_25);
        assert_eq!(negotiate("2026-07-28"), Revision::V2025_11_25);
        assert_eq!(negotiate("garbage"), Revision::V2025_11_25);
    }

    #[test]
    fn server_info_grows_with_the_revision() {
        assert!(server_info(Revision::V2025_03_26).get("title").is_none());
        assert_eq!(server_info(Revision::V2025_06_18)["title"], "Alpenglow");
        assert!(server_info(Revision::V2025_06_18).get("description").is_none());
        assert!(server_info(Revision::V2025_11_25)["description"].is_string());
    }

    #[test]
    fn modern_results_are_decorated() {
        let r = decorate_modern(json!({"tools": []}), Some(1000));
        assert_eq!(r["resultType"], "complete");
        assert_eq!((r["ttlMs"].as_u64(), r["cacheScope"].as_str()), (Some(1000), Some("private")));
        assert_eq!(r["_meta"][META_SERVER_INFO]["name"], "alpenglow");
        let r = decorate_modern(json!({"content": []}), None);
        assert!(r.get("ttlMs").is_none() && r.get("cacheScope").is_none());
    }

    #[test]
    fn cursors_are_refused() {
        assert!(check_no_cursor(&Map::new()).is_ok());
        let mut p = Map::new();
        p.insert("cursor".into(), json!("abc"));
        assert_eq!(check_no_cursor(&p).map_err(|e| e.code), Err(-32602));
    }
}
