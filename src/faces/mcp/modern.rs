//! Revision 2026-07-28's per-request rules: the request `_meta`
//! (`io.modelcontextprotocol/protocolVersion`, `clientCapabilities`,
//! optional `clientInfo`), the `MCP-Protocol-Version` header that must equal
//! it, and the `Mcp-Method` / `Mcp-Name` headers that must mirror the body
//! (`=?base64?…?=` values decoded first). Failures are HTTP 400 with -32020
//! (header missing, malformed or different), -32022 (version not served) or
//! -32602 (`_meta` incomplete), as `streamable-http.mdx` §Server Validation
//! says.
//!
//! No method here needs a client capability, so -32021 is never sent; no
//! tool parameter is marked `x-mcp-header`, so `Mcp-Param-*` headers are
//! unrecognized and ignored, as the spec says for those.

use super::revision::Revision;
use super::rpc::{self, RpcError};
use crate::gateway::ClientInfo;
use base64::Engine;
use hyper::StatusCode;
use hyper::header::HeaderMap;
use serde_json::{Map, Value};

pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// Whether a request asks for modern (stateless) handling: it names
/// `server/discover`, carries the modern `_meta` version, or sends an
/// `MCP-Protocol-Version` header that is not a legacy revision. `initialize`
/// always selects the legacy era, whatever else it carries.
pub fn is_modern_request(headers: &HeaderMap, method: &str, params: &Map<String, Value>) -> bool {
    if method == "initialize" {
        return false;
    }
    if method == "server/discover" || meta(params).is_some_and(|m| m.contains_key(META_PROTOCOL_VERSION)) {
        return true;
    }
    match headers.get("mcp-protocol-version").map(|v| v.to_str().map(Revision::parse)) {
        None => false,
        Some(Ok(Some(revision))) => revision.is_modern(),
        // An unknown version (or garbage) gets the modern answer: -32022
        // listing what is served is the most useful reply to either era.
        Some(_) => true,
    }
}

fn meta(params: &Map<String, Value>) -> Option<&Map<String, Value>> {
    params.get("_meta").and_then(Value::as_object)
}

/// What a valid modern request told about its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModernRequest {
    pub client: Option<ClientInfo>,
}

/// One header's single value as text; several values or non-text bytes are
/// a -32020.
fn single_header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, RpcError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(RpcError::header_mismatch(format!("Header mismatch: several {name} headers were sent; send one")));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| RpcError::header_mismatch(format!("Header mismatch: the {name} header has invalid characters")))
}

/// Validates a modern request (headers against body, `_meta`).
pub fn validate_request(
    headers: &HeaderMap,
    method: &str,
    params: &Map<String, Value>,
) -> Result<ModernRequest, RpcError> {
    let header_version = single_header(headers, "mcp-protocol-version")?;
    let meta = match params.get("_meta") {
        None => None,
        Some(Value::Object(meta)) => Some(meta),
        Some(_) => return Err(bad_meta("params._meta must be an object")),
    };
    let meta_version = match meta.and_then(|m| m.get(META_PROTOCOL_VERSION)) {
        None => None,
        Some(Value::String(v)) => Some(v.as_str()),
        Some(_) => return Err(bad_meta(&format!("_meta[\"{META_PROTOCOL_VERSION}\"] must be a string"))),
    };
    let version = match (header_version, meta_version) {
        (None, _) => {
            return Err(RpcError::header_mismatch(
                "Header mismatch: the MCP-Protocol-Version header is required and must equal the request's _meta protocol version",
            ));
        }
        (Some(header), Some(body)) if header != body => {
            return Err(RpcError::header_mismatch(format!(
                "Header mismatch: MCP-Protocol-Version header value '{header}' does not match _meta protocol version '{body}'"
            )));
        }
        (Some(header), _) => header,
    };
    if !Revision::parse(version).is_some_and(Revision::is_modern) {
        return Err(RpcError::unsupported_version(version));
    }
    let missing: Vec<&str> = [
        (META_PROTOCOL_VERSION, meta_version.is_some()),
        (META_CLIENT_CAPABILITIES, meta.and_then(|m| m.get(META_CLIENT_CAPABILITIES)).is_some_and(Value::is_object)),
    ]
    .into_iter()
    .filter(|(_, present)| !present)
    .map(|(key, _)| key)
    .collect();
    if !missing.is_empty() {
        return Err(bad_meta(&format!(
            "request _meta is missing or has malformed required fields: {}",
            missing.join(", ")
        )));
    }
    check_method_header(headers, method)?;
    if let Some(field) = name_field(method) {
        check_name_header(headers, field, params.get(field).and_then(Value::as_str))?;
    }
    let client = meta.and_then(|m| m.get(META_CLIENT_INFO)).and_then(client_info);
    Ok(ModernRequest { client })
}

/// What a `tools/call` says about asking the person: whether its client
/// declared form elicitation (`{}` or `{"form": ...}`, never another mode),
/// and a retry's `requestState` and `inputResponses`.
pub fn elicitation(params: &Map<String, Value>) -> crate::gateway::Elicitation {
    let declared = meta(params)
        .and_then(|m| m.get(META_CLIENT_CAPABILITIES))
        .and_then(|c| c.get("elicitation"))
        .and_then(Value::as_object);
    crate::gateway::Elicitation {
        form: declared.is_some_and(|modes| modes.is_empty() || modes.contains_key("form")),
        request_state: params.get("requestState").and_then(Value::as_str).map(str::to_string),
        responses: params.get("inputResponses").cloned(),
    }
}

/// Validates a modern notification: the headers it sends must agree with it.
pub fn validate_notification(headers: &HeaderMap, method: &str) -> Result<(), RpcError> {
    if let Some(version) = single_header(headers, "mcp-protocol-version")?
        && !Revision::parse(version).is_some_and(Revision::is_modern)
    {
        return Err(RpcError::unsupported_version(version));
    }
    if single_header(headers, "mcp-method")?.is_some() {
        check_method_header(headers, method)?;
    }
    Ok(())
}

fn bad_meta(why: &str) -> RpcError {
    RpcError::new(rpc::INVALID_PARAMS, format!("Invalid params: {why}")).with_status(StatusCode::BAD_REQUEST)
}

fn check_method_header(headers: &HeaderMap, method: &str) -> Result<(), RpcError> {
    match single_header(headers, "mcp-method")? {
        None => Err(RpcError::header_mismatch("Header mismatch: the Mcp-Method header is required")),
        Some(value) if value != method => Err(RpcError::header_mismatch(format!(
            "Header mismatch: Mcp-Method header value '{value}' does not match body method '{method}'"
        ))),
        Some(_) => Ok(()),
    }
}

/// The params field `Mcp-Name` mirrors, for the methods that need it.
fn name_field(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    }
}

fn check_name_header(headers: &HeaderMap, field: &str, body: Option<&str>) -> Result<(), RpcError> {
    let Some(raw) = single_header(headers, "mcp-name")? else {
        return Err(RpcError::header_mismatch("Header mismatch: the Mcp-Name header is required for this method"));
    };
    let Some(value) = decode_header_value(raw) else {
        return Err(RpcError::header_mismatch(
            "Header mismatch: the Mcp-Name header's =?base64?…?= value is not valid Base64 of UTF-8",
        ));
    };
    match body {
        Some(body) if body == value => Ok(()),
        Some(body) => Err(RpcError::header_mismatch(format!(
            "Header mismatch: Mcp-Name header value '{value}' does not match body value '{body}'"
        ))),
        None => Err(RpcError::header_mismatch(format!(
            "Header mismatch: Mcp-Name header is '{value}' but params.{field} is missing"
        ))),
    }
}

/// A header value with the spec's Base64 sentinel decoded; `None` for a
/// malformed sentinel (bad or non-canonical Base64, not UTF-8), so a corrupt
/// header never matches a body value.
pub fn decode_header_value(raw: &str) -> Option<String> {
    let Some(payload) = raw.strip_prefix("=?base64?").and_then(|rest| rest.strip_suffix("?=")) else {
        return Some(raw.to_string());
    };
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes = engine.decode(payload).ok()?;
    // The encoder emits canonical Base64 only; anything else is corrupt.
    if engine.encode(&bytes) != payload {
        return None;
    }
    String::from_utf8(bytes).ok()
}

fn client_info(value: &Value) -> Option<ClientInfo> {
    let name = value.get("name")?.as_str()?;
    let version = value.get("version").and_then(Value::as_str).unwrap_or_default();
    Some(ClientInfo { name: name.to_string(), version: version.to_string() })
}

/// `clientInfo` from a legacy `initialize`.
pub fn legacy_client_info(params: &Map<String, Value>) -> Option<ClientInfo> {
    params.get("clientInfo").and_then(client_info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;
    use serde_json::json;

    fn params(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn modern_params(extra: Value) -> Map<String, Value> {
        let mut p = params(extra);
        p.insert(
            "_meta".into(),
            json!({META_PROTOCOL_VERSION: "2026-07-28", META_CLIENT_CAPABILITIES: {}, META_CLIENT_INFO: {"name": "t", "version": "1"}}),
        );
        p
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn base64_sentinel_decodes_and_refuses_corrupt_values() {
        assert_eq!(decode_header_value("get_weather").as_deref(), Some("get_weather"));
        assert_eq!(decode_header_value("=?base64?SGVsbG8sIOS4lueVjA==?=").as_deref(), Some("Hello, 世界"));
        assert_eq!(decode_header_value("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=").as_deref(), Some("=?base64?literal?="));
        assert_eq!(decode_header_value("=?base64?not base64?="), None);
        assert_eq!(decode_header_value("=?base64?SGVsbG9=?="), None, "non-canonical padding bits");
        assert_eq!(decode_header_value("=?base64?/w==?="), None, "not UTF-8");
    }

    #[test]
    fn era_selection() {
        let none = HeaderMap::new();
        assert!(!is_modern_request(&none, "tools/list", &Map::new()));
        assert!(is_modern_request(&none, "server/discover", &Map::new()));
        assert!(is_modern_request(&none, "tools/list", &modern_params(json!({}))));
        assert!(!is_modern_request(&none, "initialize", &modern_params(json!({}))));
        assert!(!is_modern_request(&headers(&[("mcp-protocol-version", "2025-06-18")]), "tools/list", &Map::new()));
        assert!(is_modern_request(&headers(&[("mcp-protocol-version", "2026-07-28")]), "tools/list", &Map::new()));
        assert!(is_modern_request(&headers(&[("mcp-protocol-version", "2099-01-01")]), "tools/list", &Map::new()));
    }

    #[test]
    fn valid_modern_request_passes_and_reports_the_client() {
        let h = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "alpenglow_read"),
        ]);
        let ok = validate_request(&h, "tools/call", &modern_params(json!({"name": "alpenglow_read"}))).expect("valid");
        assert_eq!(ok.client, Some(ClientInfo { name: "t".into(), version: "1".into() }));
        let encoded = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "resources/read"),
            ("mcp-name", "=?base64?YWxwZW5nbG93Oi8vbW9kZWwvcmVzLnBhcnRuZXIvc2NoZW1h?="),
        ]);
        let uri = json!({"uri": "alpenglow://model/res.partner/schema"});
        assert!(validate_request(&encoded, "resources/read", &modern_params(uri)).is_ok());
    }

    #[test]
    fn modern_failures_have_the_spec_codes() {
        let p = modern_params(json!({"name": "alpenglow_read"}));
        let code = |h: HeaderMap, method: &str, p: &Map<String, Value>| {
            let e = validate_request(&h, method, p).expect_err("refused");
            assert_eq!(e.status, StatusCode::BAD_REQUEST);
            e.code
        };
        // Header missing while _meta has a version.
        assert_eq!(
            code(headers(&[("mcp-method", "tools/call"), ("mcp-name", "alpenglow_read")]), "tools/call", &p),
            -32020
        );
        // Header different from _meta.
        let h = headers(&[
            ("mcp-protocol-version", "2025-11-25"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "alpenglow_read"),
        ]);
        assert_eq!(code(h, "tools/call", &p), -32020);
        // Mcp-Method missing, different; Mcp-Name missing, different.
        assert_eq!(
            code(headers(&[("mcp-protocol-version", "2026-07-28"), ("mcp-name", "alpenglow_read")]), "tools/call", &p),
            -32020
        );
        let h = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/list"),
            ("mcp-name", "alpenglow_read"),
        ]);
        assert_eq!(code(h, "tools/call", &p), -32020);
        assert_eq!(
            code(headers(&[("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call")]), "tools/call", &p),
            -32020
        );
        let h = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "alpenglow_delete"),
        ]);
        assert_eq!(code(h, "tools/call", &p), -32020);
        // Unsupported version, consistently in header and _meta.
        let mut old = p.clone();
        old["_meta"][META_PROTOCOL_VERSION] = json!("2099-01-01");
        let h = headers(&[
            ("mcp-protocol-version", "2099-01-01"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "alpenglow_read"),
        ]);
        let e = validate_request(&h, "tools/call", &old).expect_err("refused");
        assert_eq!(e.code, -32022);
        assert_eq!(
            e.data.map(|d| *d),
            Some(
                json!({"supported": ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"], "requested": "2099-01-01"})
            )
        );
        // _meta without clientCapabilities.
        let mut partial = p.clone();
        partial["_meta"].as_object_mut().unwrap().remove(META_CLIENT_CAPABILITIES);
        let h = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "alpenglow_read"),
        ]);
        assert_eq!(code(h, "tools/call", &partial), -32602);
    }
}
