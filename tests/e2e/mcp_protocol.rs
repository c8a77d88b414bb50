//! The MCP face over real HTTP on loopback, against the real `alpenglow demo`
//! binary (sandbox Odoo + gateway): each revision's handshake or discover,
//! header validation, sessions, batches, Origin, authentication, tools and
//! resources, checked on the wire byte for byte where the spec is exact.

use crate::common::demo;
use crate::common::http;

use demo::Demo;
use http::HttpResponse;
use serde_json::{Value, json};
use std::net::SocketAddr;

const PATH: &str = "/alpenglow/mcp";
const ACCEPT: (&str, &str) = ("Accept", "application/json, text/event-stream");
const MODERN: &str = "2026-07-28";

struct Mcp {
    demo: Demo,
    auth: String,
}

impl Mcp {
    fn start() -> Mcp {
        let demo = Demo::start();
        let auth = format!("Bearer {}", demo.key("admin"));
        Mcp { demo, auth }
    }

    fn addr(&self) -> SocketAddr {
        self.demo.addr().parse().expect("demo address")
    }

    /// A POST with JSON content type, both Accept types and the admin key,
    /// plus `headers`.
    fn post(&self, headers: &[(&str, &str)], body: &Value) -> HttpResponse {
        let mut all = vec![ACCEPT, ("Authorization", self.auth.as_str())];
        all.extend_from_slice(headers);
        http::post_json(self.addr(), PATH, &all, body)
    }

    fn raw(&self, method: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
        http::request(self.addr(), method, PATH, headers, body).expect("HTTP request")
    }

    /// `initialize` at `version`; the session id and the result.
    fn initialize(&self, version: &str) -> (String, Value) {
        let response = self.post(&[], &request(1, "initialize", init_params(version)));
        assert_eq!(response.status, 200, "{}", response.text());
        let session = response.header("mcp-session-id").expect("Mcp-Session-Id on initialize").to_string();
        let reply = response.json();
        let note = self.post(
            &[
                ("Mcp-Session-Id", &session),
                ("MCP-Protocol-Version", reply["result"]["protocolVersion"].as_str().unwrap()),
            ],
            &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        );
        assert_eq!((note.status, note.body.len()), (202, 0), "{}", note.text());
        (session, reply["result"].clone())
    }

    /// A request inside legacy session `session` at `version`.
    fn legacy(&self, session: &str, version: &str, id: i64, method: &str, params: Value) -> HttpResponse {
        self.post(&[("Mcp-Session-Id", session), ("MCP-Protocol-Version", version)], &request(id, method, params))
    }

    /// A 2026-07-28 request with correct headers and `_meta`.
    fn modern(&self, id: i64, method: &str, params: Value) -> HttpResponse {
        let name = params.get("name").or_else(|| params.get("uri")).and_then(Value::as_str).map(str::to_string);
        let mut headers = vec![("MCP-Protocol-Version", MODERN), ("Mcp-Method", method)];
        if let Some(name) = &name {
            headers.push(("Mcp-Name", name));
        }
        self.post(&headers, &request(id, method, with_meta(params)))
    }
}

fn request(id: i64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn init_params(version: &str) -> Value {
    json!({"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "mcp-protocol-test", "version": "0.1"}})
}

fn with_meta(mut params: Value) -> Value {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "mcp-protocol-test", "version": "0.1"}
    });
    params
}

fn tool_names(result: &Value) -> Vec<String> {
    result["tools"].as_array().expect("tools").iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
}

const TOOLS: [&str; 10] = [
    "alpenglow_list_models",
    "alpenglow_describe",
    "alpenglow_search",
    "alpenglow_read",
    "alpenglow_create",
    "alpenglow_update",
    "alpenglow_delete",
    "alpenglow_aggregate",
    "alpenglow_execute",
    "alpenglow_approval_status",
];

fn error_code(response: &HttpResponse) -> i64 {
    response.json()["error"]["code"].as_i64().unwrap_or_else(|| panic!("no error code: {}", response.text()))
}

#[test]
fn legacy_revisions_negotiate_and_keep_sessions() {
    let mcp = Mcp::start();
    for version in ["2025-03-26", "2025-06-18", "2025-11-25"] {
        let (session, result) = mcp.initialize(version);
        assert_eq!(result["protocolVersion"], version);
        assert!(session.len() >= 16 && session.bytes().all(|b| (0x21..=0x7e).contains(&b)), "{session}");
        assert_eq!(result["capabilities"], json!({"tools": {"listChanged": false}, "resources": {}}));
        assert_eq!(result["serverInfo"]["name"], "alpenglow");
        assert_eq!(result["serverInfo"].get("title").is_some(), version != "2025-03-26");
        assert!(result.get("resultType").is_none(), "no 2026 fields in legacy results");

        let ping = mcp.legacy(&session, version, 2, "ping", json!({}));
        assert_eq!(ping.json(), json!({"jsonrpc": "2.0", "id": 2, "result": {}}));

        let list = mcp.legacy(&session, version, 3, "tools/list", json!({})).json();
        assert_eq!(tool_names(&list["result"]), TOOLS);
        let first = &list["result"]["tools"][0];
        assert_eq!(first.get("title").is_some(), version != "2025-03-26", "{first}");
        assert_eq!(first.get("outputSchema").is_some(), version != "2025-03-26", "{first}");
        assert_eq!(first["annotations"]["readOnlyHint"], true);

        // The header may be left out: the session's revision applies.
        let bare = mcp.post(&[("Mcp-Session-Id", &session)], &request(4, "ping", json!({})));
        assert_eq!(bare.status, 200, "{}", bare.text());
        // Another or an unknown version in the header: 400.
        let other = if version == "2025-06-18" { "2025-11-25" } else { "2025-06-18" };
        assert_eq!(mcp.legacy(&session, other, 5, "ping", json!({})).status, 400);
        assert_eq!(mcp.legacy(&session, "1999-01-01", 6, "ping", json!({})).status, 400);
        // Unknown methods are -32601 with HTTP 200 in the legacy era.
        let unknown = mcp.legacy(&session, version, 7, "prompts/list", json!({}));
        assert_eq!((unknown.status, error_code(&unknown)), (200, -32601));

        // DELETE ends the session; it is then unknown (404).
        let delete = mcp.raw("DELETE", &[("Authorization", &mcp.auth), ("Mcp-Session-Id", &session)], b"");
        assert_eq!(delete.status, 204, "{}", delete.text());
        let after = mcp.legacy(&session, version, 8, "ping", json!({}));
        assert_eq!(after.status, 404, "{}", after.text());
        let again = mcp.raw("DELETE", &[("Authorization", &mcp.auth), ("Mcp-Session-Id", &session)], b"");
        assert_eq!(again.status, 404);
    }

    // A version we do not speak gets our newest legacy one.
    let (_, result) = mcp.initialize("2024-11-05");
    assert_eq!(result["protocolVersion"], "2025-11-25");

    // Without a session id: 400; with an unknown one: 404.
    let missing = mcp.post(&[("MCP-Protocol-Version", "2025-06-18")], &request(9, "tools/list", json!({})));
    assert_eq!((missing.status, error_code(&missing)), (400, -32600));
    let unknown = mcp.legacy("0123456789abcdef0123456789abcdef", "2025-06-18", 10, "tools/list", json!({}));
    assert_eq!(unknown.status, 404);

    // A session belongs to the user who opened it.
    let (session, _) = mcp.initialize("2025-06-18");
    let sales = format!("Bearer {}", mcp.demo.key("sales"));
    let stolen = http::post_json(
        mcp.addr(),
        PATH,
        &[ACCEPT, ("Authorization", &sales), ("Mcp-Session-Id", &session)],
        &request(11, "ping", json!({})),
    );
    assert_eq!(stolen.status, 404);

    // No GET stream: 405 with Allow.
    let get = mcp.raw(
        "GET",
        &[("Authorization", &mcp.auth), ("Accept", "text/event-stream"), ("Mcp-Session-Id", &session)],
        b"",
    );
    assert_eq!(get.status, 405);
    assert!(get.header("allow").is_some_and(|a| a.contains("POST")));
}

#[test]
fn batches_are_served_in_2025_03_26_only() {
    let mcp = Mcp::start();
    let (session, _) = mcp.initialize("2025-03-26");
    let headers = [("Mcp-Session-Id", session.as_str()), ("MCP-Protocol-Version", "2025-03-26")];
    let batch = json!([
        {"jsonrpc": "2.0", "id": "a", "method": "ping"},
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "zzz"}},
        {"jsonrpc": "2.0", "id": "b", "method": "tools/list"},
        {"jsonrpc": "2.0", "id": "c", "method": "initialize", "params": init_params("2025-03-26")},
        {"jsonrpc": "2.0", "id": "d", "method": "no/such/method"}
    ]);
    let response = mcp.post(&headers, &batch);
    assert_eq!(response.status, 200, "{}", response.text());
    let answers = response.json();
    let answers = answers.as_array().expect("an array answers a batch");
    assert_eq!(answers.len(), 4, "one answer per request, none for the notification");
    assert_eq!(answers[0], json!({"jsonrpc": "2.0", "id": "a", "result": {}}));
    assert_eq!(tool_names(&answers[1]["result"]), TOOLS);
    assert_eq!((answers[2]["id"].clone(), answers[2]["error"]["code"].clone()), (json!("c"), json!(-32600)));
    assert_eq!(answers[3]["error"]["code"], -32601);

    // Only notifications: 202, no body.
    let notes = mcp.post(&headers, &json!([{"jsonrpc": "2.0", "method": "notifications/initialized"}]));
    assert_eq!((notes.status, notes.body.len()), (202, 0));

    // A 2025-06-18 session may not batch.
    let (session, _) = mcp.initialize("2025-06-18");
    let refused = mcp.post(
        &[("Mcp-Session-Id", &session), ("MCP-Protocol-Version", "2025-06-18")],
        &json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]),
    );
    assert_eq!((refused.status, error_code(&refused)), (400, -32600));
}

#[test]
fn modern_requests_are_stateless_and_validated() {
    let mcp = Mcp::start();
    let discover = mcp.modern(1, "server/discover", json!({}));
    assert_eq!(discover.status, 200, "{}", discover.text());
    assert!(discover.header("mcp-session-id").is_none(), "2026 mints no session");
    let result = &discover.json()["result"];
    assert_eq!(result["supportedVersions"], json!(["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"]));
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["cacheScope"], "private");
    assert!(result["ttlMs"].as_u64().is_some());
    assert_eq!(result["capabilities"]["tools"], json!({"listChanged": false}));
    assert_eq!(result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "alpenglow");

    let list = mcp.modern(2, "tools/list", json!({})).json();
    assert_eq!(tool_names(&list["result"]), TOOLS);
    assert_eq!(list["result"]["resultType"], "complete");
    assert_eq!(list["result"]["cacheScope"], "private");

    let call = mcp.modern(
        3,
        "tools/call",
        json!({"name": "alpenglow_search", "arguments": {"model": "res.partner", "limit": 2}}),
    );
    let result = &call.json()["result"];
    assert_eq!((result["isError"].clone(), result["resultType"].clone()), (json!(false), json!("complete")));
    assert_eq!(result["structuredContent"]["records"].as_array().map(Vec::len), Some(2));
    let text: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(text, result["structuredContent"]);
    assert!(result.get("ttlMs").is_none(), "tool results are not cacheable");

    // Input validation failure: a tool error the model can read (2026).
    let bad = mcp.modern(
        4,
        "tools/call",
        json!({"name": "alpenglow_search", "arguments": {"model": "res.partner", "limit": "x"}}),
    );
    assert_eq!(bad.json()["result"]["isError"], true, "{}", bad.text());
    // Unknown tool: -32602.
    let unknown = mcp.modern(5, "tools/call", json!({"name": "no_such_tool", "arguments": {}}));
    assert_eq!(error_code(&unknown), -32602);
    // Resource not found in 2026: -32602 with data.uri.
    let missing = mcp.modern(6, "resources/read", json!({"uri": "alpenglow://model/no.such/schema"}));
    assert_eq!(
        missing.json()["error"],
        json!({"code": -32602, "message": missing.json()["error"]["message"], "data": {"uri": "alpenglow://model/no.such/schema"}})
    );
    let found = mcp.modern(7, "resources/read", json!({"uri": "alpenglow://model/res.partner/schema"})).json();
    assert_eq!(found["result"]["contents"][0]["mimeType"], "application/json");
    assert_eq!(found["result"]["cacheScope"], "private");

    // ping and every other unknown method: HTTP 404 + -32601.
    for method in ["ping", "prompts/list", "initialize_me"] {
        let r = mcp.modern(8, method, json!({}));
        assert_eq!((r.status, error_code(&r)), (404, -32601), "{method}");
    }
    // A modern request ignores a session id.
    let ignored = mcp.post(
        &[("MCP-Protocol-Version", MODERN), ("Mcp-Method", "tools/list"), ("Mcp-Session-Id", "whatever")],
        &request(9, "tools/list", with_meta(json!({}))),
    );
    assert_eq!(ignored.status, 200, "{}", ignored.text());
    // GET and DELETE: 405.
    assert_eq!(mcp.raw("GET", &[("Authorization", &mcp.auth)], b"").status, 405);
    assert_eq!(mcp.raw("DELETE", &[("Authorization", &mcp.auth)], b"").status, 405);
}

#[test]
fn modern_header_errors_are_400_with_the_spec_codes() {
    let mcp = Mcp::start();
    let call = request(1, "tools/call", with_meta(json!({"name": "alpenglow_list_models", "arguments": {}})));
    let check = |headers: &[(&str, &str)], body: &Value, code: i64| {
        let r = mcp.post(headers, body);
        assert_eq!((r.status, error_code(&r)), (400, code), "{headers:?}: {}", r.text());
        r
    };
    // Base64-encoded Mcp-Name is decoded before comparing.
    let encoded = "=?base64?YWxwZW5nbG93X2xpc3RfbW9kZWxz?=";
    let ok = mcp.post(&[("MCP-Protocol-Version", MODERN), ("Mcp-Method", "tools/call"), ("Mcp-Name", encoded)], &call);
    assert_eq!(ok.status, 200, "{}", ok.text());
    // Missing Mcp-Method / Mcp-Name, different values, bad Base64.
    check(&[("MCP-Protocol-Version", MODERN), ("Mcp-Name", "alpenglow_list_models")], &call, -32020);
    check(&[("MCP-Protocol-Version", MODERN), ("Mcp-Method", "tools/call")], &call, -32020);
    check(
        &[("MCP-Protocol-Version", MODERN), ("Mcp-Method", "tools/list"), ("Mcp-Name", "alpenglow_list_models")],
        &call,
        -32020,
    );
    check(
        &[("MCP-Protocol-Version", MODERN), ("Mcp-Method", "tools/call"), ("Mcp-Name", "alpenglow_read")],
        &call,
        -32020,
    );
    check(
        &[("MCP-Protocol-Version", MODERN), ("Mcp-Method", "tools/call"), ("Mcp-Name", "=?base64?!!?=")],
        &call,
        -32020,
    );
    // Header missing, or different from _meta.
    check(&[("Mcp-Method", "tools/call"), ("Mcp-Name", "alpenglow_list_models")], &call, -32020);
    check(
        &[("MCP-Protocol-Version", "2025-11-25"), ("Mcp-Method", "tools/call"), ("Mcp-Name", "alpenglow_list_models")],
        &call,
        -32020,
    );
    // An unsupported version, consistently: -32022 listing ours.
    let mut future = request(2, "server/discover", with_meta(json!({})));
    future["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
    let r = check(&[("MCP-Protocol-Version", "2099-01-01"), ("Mcp-Method", "server/discover")], &future, -32022);
    assert_eq!(
        r.json()["error"]["data"],
        json!({"supported": ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"], "requested": "2099-01-01"})
    );
    assert_eq!(r.json()["id"], 2);
    // _meta without clientCapabilities: -32602.
    let mut partial = request(3, "tools/list", with_meta(json!({})));
    partial["params"]["_meta"].as_object_mut().unwrap().remove("io.modelcontextprotocol/clientCapabilities");
    check(&[("MCP-Protocol-Version", MODERN), ("Mcp-Method", "tools/list")], &partial, -32602);
    // A modern notification: 202.
    let note = mcp.post(
        &[("MCP-Protocol-Version", MODERN), ("Mcp-Method", "notifications/cancelled")],
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}),
    );
    assert_eq!((note.status, note.body.len()), (202, 0));
}

#[test]
fn transport_checks_origin_accept_content_type_and_key() {
    let mcp = Mcp::start();
    let discover = request(1, "server/discover", with_meta(json!({})));
    let modern = [("MCP-Protocol-Version", MODERN), ("Mcp-Method", "server/discover")];
    let with = |extra: &[(&str, &str)]| {
        let mut headers = modern.to_vec();
        headers.extend_from_slice(extra);
        mcp.post(&headers, &discover)
    };
    // Origin: absent is fine; a foreign one is 403; a loopback page on a loopback server is fine.
    let evil = with(&[("Origin", "https://evil.example")]);
    assert_eq!(evil.status, 403, "{}", evil.text());
    assert_eq!(evil.json()["error"]["code"], -32600);
    assert_eq!(with(&[("Origin", "http://localhost:6274")]).status, 200);

    // Accept: only SSE -> one SSE event; neither -> 406.
    let sse = mcp.raw(
        "POST",
        &[
            ("Content-Type", "application/json"),
            ("Accept", "text/event-stream"),
            ("Authorization", &mcp.auth),
            modern[0],
            modern[1],
        ],
        discover.to_string().as_bytes(),
    );
    assert_eq!(sse.status, 200);
    assert!(sse.header("content-type").is_some_and(|c| c.starts_with("text/event-stream")));
    let text = sse.text();
    let data = text.strip_prefix("event: message\ndata: ").and_then(|t| t.strip_suffix("\n\n")).expect(&text);
    assert_eq!(serde_json::from_str::<Value>(data).unwrap()["result"]["resultType"], "complete");
    let html = mcp.raw(
        "POST",
        &[("Content-Type", "application/json"), ("Accept", "text/html"), ("Authorization", &mcp.auth)],
        discover.to_string().as_bytes(),
    );
    assert_eq!(html.status, 406);
    // Content-Type must be JSON; the body must parse.
    let plain = mcp.raw("POST", &[ACCEPT, ("Content-Type", "text/plain"), ("Authorization", &mcp.auth)], b"{}");
    assert_eq!(plain.status, 415);
    let garbage =
        mcp.raw("POST", &[ACCEPT, ("Content-Type", "application/json"), ("Authorization", &mcp.auth)], b"{not json");
    assert_eq!((garbage.status, error_code(&garbage)), (400, -32700));

    // No key: 401 with the bare challenge; a wrong key: invalid_token.
    let no_key = http::post_json(mcp.addr(), PATH, &[ACCEPT], &request(5, "initialize", init_params("2025-06-18")));
    assert_eq!(no_key.status, 401);
    assert_eq!(no_key.header("www-authenticate"), Some(r#"Bearer realm="alpenglow""#));
    assert_eq!(no_key.json()["id"], 5);
    assert!(!(-32768..=-32000).contains(&error_code(&no_key)));
    let wrong = http::post_json(
        mcp.addr(),
        PATH,
        &[ACCEPT, ("Authorization", "Bearer not-a-real-key-0123456789")],
        &request(6, "initialize", init_params("2025-06-18")),
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.header("www-authenticate"), Some(r#"Bearer realm="alpenglow", error="invalid_token""#));
}

#[test]
fn tools_and_resources_in_the_legacy_era() {
    let mcp = Mcp::start();
    // 2025-03-26: no structuredContent, bad arguments are -32602.
    let (old, _) = mcp.initialize("2025-03-26");
    let args = json!({"name": "alpenglow_read", "arguments": {"model": "res.partner", "ids": [1], "fields": ["name"]}});
    let r = mcp.legacy(&old, "2025-03-26", 1, "tools/call", args.clone()).json();
    assert_eq!(r["result"]["isError"], false, "{r}");
    assert!(r["result"].get("structuredContent").is_none());
    let record: Value = serde_json::from_str(r["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(record["records"][0]["id"], 1);
    let bad = json!({"name": "alpenglow_read", "arguments": {"model": "res.partner"}});
    let r = mcp.legacy(&old, "2025-03-26", 2, "tools/call", bad.clone());
    assert_eq!((r.status, error_code(&r)), (200, -32602));
    let r = mcp.legacy(&old, "2025-03-26", 3, "resources/list", json!({})).json();
    let first = &r["result"]["resources"][0];
    assert!(first.get("title").is_none(), "{first}");

    // 2025-06-18: structuredContent; bad arguments still -32602.
    let (mid, _) = mcp.initialize("2025-06-18");
    let r = mcp.legacy(&mid, "2025-06-18", 4, "tools/call", args.clone()).json();
    assert_eq!(r["result"]["structuredContent"]["records"][0]["id"], 1);
    assert_eq!(error_code(&mcp.legacy(&mid, "2025-06-18", 5, "tools/call", bad.clone())), -32602);

    // 2025-11-25: bad arguments are a tool error; refusals too, with what to do.
    let (new, _) = mcp.initialize("2025-11-25");
    let r = mcp.legacy(&new, "2025-11-25", 6, "tools/call", bad).json();
    assert_eq!(r["result"]["isError"], true, "{r}");
    let denied = json!({"name": "alpenglow_delete", "arguments": {"model": "sale.order", "ids": [1]}});
    let r = mcp.legacy(&new, "2025-11-25", 7, "tools/call", denied).json();
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert!(r["result"]["content"][0]["text"].as_str().unwrap().contains("alpenglow_list_models"), "{r}");
    let unknown = mcp.legacy(&new, "2025-11-25", 8, "tools/call", json!({"name": "nope"}));
    assert_eq!(error_code(&unknown), -32602);
    // Bad cursor: -32602.
    assert_eq!(error_code(&mcp.legacy(&new, "2025-11-25", 9, "tools/list", json!({"cursor": "abc"}))), -32602);

    // Resources: one schema per model; read; not found is -32002 + data.uri.
    let r = mcp.legacy(&new, "2025-11-25", 10, "resources/list", json!({})).json();
    let uris: Vec<&str> =
        r["result"]["resources"].as_array().unwrap().iter().map(|r| r["uri"].as_str().unwrap()).collect();
    assert!(uris.contains(&"alpenglow://model/res.partner/schema"), "{uris:?}");
    assert!(r["result"]["resources"][0]["title"].is_string());
    let t = mcp.legacy(&new, "2025-11-25", 11, "resources/templates/list", json!({})).json();
    assert_eq!(t["result"]["resourceTemplates"][0]["uriTemplate"], "alpenglow://model/{model}/schema");
    let read = mcp
        .legacy(&new, "2025-11-25", 12, "resources/read", json!({"uri": "alpenglow://model/res.partner/schema"}))
        .json();
    let content = &read["result"]["contents"][0];
    assert_eq!(content["mimeType"], "application/json");
    let schema: Value = serde_json::from_str(content["text"].as_str().unwrap()).unwrap();
    assert!(schema["fields"]["name"].is_object(), "{schema}");
    let missing = mcp
        .legacy(&new, "2025-11-25", 13, "resources/read", json!({"uri": "alpenglow://model/account.move/schema"}))
        .json();
    assert_eq!(missing["error"]["code"], -32002);
    assert_eq!(missing["error"]["data"], json!({"uri": "alpenglow://model/account.move/schema"}));

    // The read-only key sees the same tools but may not write.
    let readonly = format!("Bearer {}", mcp.demo.key("readonly"));
    let init = http::post_json(
        mcp.addr(),
        PATH,
        &[ACCEPT, ("Authorization", &readonly)],
        &request(1, "initialize", init_params("2025-11-25")),
    );
    let session = init.header("mcp-session-id").expect("session").to_string();
    let create = json!({"name": "alpenglow_create", "arguments": {"model": "res.partner", "values": {"name": "x"}}});
    let r = http::post_json(
        mcp.addr(),
        PATH,
        &[ACCEPT, ("Authorization", &readonly), ("Mcp-Session-Id", &session), ("MCP-Protocol-Version", "2025-11-25")],
        &request(2, "tools/call", create),
    )
    .json();
    assert_eq!(r["result"]["isError"], true, "{r}");
}
