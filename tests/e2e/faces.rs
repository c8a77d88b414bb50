//! The direct JSON-RPC and REST faces against the real demo (gateway + sandbox)
//! over loopback HTTP: same answers on both faces, and each documented error;
//! with MCP switched off, every face refusing before Odoo is asked.

use crate::common::demo;
use crate::common::http;
use crate::common::inproc;

use demo::Demo;
use serde_json::{Value, json};
use std::net::SocketAddr;

fn addr(demo: &Demo) -> SocketAddr {
    demo.addr().parse().unwrap()
}

fn rpc_raw(demo: &Demo, key: Option<&str>, body: &[u8]) -> http::HttpResponse {
    let auth = key.map(|k| format!("Bearer {k}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    http::request(addr(demo), "POST", "/alpenglow/mcp", &headers, body).unwrap()
}

fn rpc(demo: &Demo, key: &str, method: &str, params: Value) -> http::HttpResponse {
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    rpc_raw(demo, Some(key), body.to_string().as_bytes())
}

fn rest(demo: &Demo, key: Option<&str>, method: &str, path: &str, body: Option<Value>) -> http::HttpResponse {
    let auth = key.map(|k| format!("Bearer {k}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    http::request(addr(demo), method, path, &headers, bytes.as_bytes()).unwrap()
}

#[test]
fn jsonrpc_and_rest_return_the_same_records() {
    let demo = Demo::start();
    let key = demo.key("admin");
    let params = json!({"model": "res.partner", "domain": [["is_company", "=", true]], "fields": ["name", "email"], "limit": 5, "offset": 2, "order": "name asc"});
    let via_rpc = rpc(&demo, &key, "alpenglow_search", params).json();
    assert_eq!(via_rpc["id"], 7);
    let result = &via_rpc["result"];
    assert_eq!(result["limit"], 5);
    assert_eq!(result["offset"], 2);
    assert!(result["total"].as_u64().unwrap() > 5);
    assert_eq!(result["records"].as_array().unwrap().len(), 5);
    assert_eq!(result["records"][0].as_object().unwrap().keys().collect::<Vec<_>>(), ["id", "name", "email"]);

    let domain = "%5B%5B%22is_company%22%2C%22%3D%22%2Ctrue%5D%5D";
    let path = format!(
        "/alpenglow/api/models/res.partner/records?domain={domain}&fields=name,email&limit=5&offset=2&order=name%20asc"
    );
    let via_rest = rest(&demo, Some(&key), "GET", &path, None);
    assert_eq!(via_rest.status, 200);
    assert_eq!(&via_rest.json(), result);

    // Defaults: limit 80 when none is given.
    let default = rpc(&demo, &key, "alpenglow_search", json!({"model": "res.partner"})).json();
    assert_eq!(default["result"]["limit"], 80);
    assert_eq!(default["result"]["records"].as_array().unwrap().len(), 80);
}

#[test]
fn direct_jsonrpc_errors_follow_the_documented_shapes() {
    let demo = Demo::start();
    let key = demo.key("admin");
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "alpenglow_list_models", "params": {}}).to_string();

    let missing = rpc_raw(&demo, None, list.as_bytes());
    assert_eq!(missing.status, 401);
    assert_eq!(missing.header("www-authenticate"), Some(r#"Bearer realm="alpenglow""#));
    assert_eq!(missing.json()["error"]["code"], -32001);

    let bad = rpc_raw(&demo, Some("0000000000000000000000000000000000000000"), list.as_bytes());
    assert_eq!(bad.status, 401);
    assert_eq!(bad.header("www-authenticate"), Some(r#"Bearer realm="alpenglow", error="invalid_token""#));

    let cases: &[(&str, Value, &str)] = &[
        (
            "alpenglow_read",
            json!({"model": "res.partner", "ids": "5"}),
            "ids must be a positive integer id or a list of ids",
        ),
        ("alpenglow_read", json!({"model": "res.partner", "ids": [1, "x"]}), "each entry of ids"),
        ("alpenglow_read", json!({"model": "res.partner"}), "ids is required"),
        ("alpenglow_create", json!({"model": "res.partner", "values": 3}), "values must be an object"),
        ("alpenglow_search", json!({"model": "res.partner", "limit": "ten"}), "limit must be a whole number"),
        ("alpenglow_search", json!({"model": "res.partner", "domain": "name"}), "must be a list"),
        ("alpenglow_search", json!({"model": "res.partner", "domain": [["name", "~~", "x"]]}), "unknown operator"),
        ("alpenglow_search", json!({"model": "res.partner", "colour": 1}), "unknown parameter \"colour\""),
        ("alpenglow_search", json!({"model": "res.partner", "fields": ["nope"]}), "has no field \"nope\""),
        ("alpenglow_search", json!({"model": "res.partner", "order": "name; drop"}), "order"),
        ("alpenglow_search", json!({"model": "Not A Model"}), "not a model name"),
        ("alpenglow_search", json!([1, 2]), "must be an object"),
        ("alpenglow_aggregate", json!({"model": "sale.order", "operation": "sum"}), "needs field"),
        ("alpenglow_aggregate", json!({"model": "sale.order", "operation": "median"}), "unknown operation \"median\""),
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "trend", "date_field": "date_order", "granularity": "hour"}),
            "granularity must be one of",
        ),
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "count", "field": "amount_total"}),
            "field is not used by operation count",
        ),
    ];
    for (method, params, expected) in cases {
        let response = rpc(&demo, &key, method, params.clone());
        assert_eq!(response.status, 200, "{method} {params}");
        let error = &response.json()["error"];
        assert_eq!(error["code"], -32602, "{method} {params}: {error}");
        assert!(error["message"].as_str().unwrap().contains(expected), "{method} {params}: {error}");
    }

    // A model without a resource is invisible.
    let hidden = rpc(&demo, &key, "alpenglow_search", json!({"model": "res.users"})).json();
    assert_eq!(hidden["error"]["code"], -32003);
    assert!(hidden["error"]["message"].as_str().unwrap().contains("not available"));

    // Read-only credential: refused with the denied code, whatever the resource allows.
    let ro = demo.key("readonly");
    let denied = rpc(&demo, &ro, "alpenglow_create", json!({"model": "res.partner", "values": {"name": "X"}})).json();
    assert_eq!(denied["error"]["code"], -32002);

    // Oversized body: 413 before anything is parsed.
    let huge = vec![b' '; 2 * 1024 * 1024];
    let too_big = rpc_raw(&demo, Some(&key), &huge);
    assert_eq!(too_big.status, 413);
    assert!(too_big.json()["error"]["message"].as_str().unwrap().contains("too large"));
}

#[test]
fn rest_status_codes() {
    let demo = Demo::start();
    let admin = demo.key("admin");
    let ro = demo.key("readonly");
    let base = "/alpenglow/api/models";

    assert_eq!(rest(&demo, None, "GET", base, None).status, 401);
    let models = rest(&demo, Some(&admin), "GET", base, None);
    assert_eq!(models.status, 200);
    assert!(models.json()["models"].as_array().unwrap().iter().any(|m| m["model"] == "res.partner"));
    assert_eq!(rest(&demo, Some(&admin), "GET", &format!("{base}/res.users/schema"), None).status, 404);
    let schema = rest(&demo, Some(&admin), "GET", &format!("{base}/res.partner/schema"), None).json();
    assert!(schema["fields"]["name"]["type"] == "char");
    assert!(schema["record_count"].as_u64().unwrap() > 100);
    assert!(!schema["example_domains"].as_array().unwrap().is_empty());

    let created = rest(
        &demo,
        Some(&admin),
        "POST",
        &format!("{base}/res.partner/records"),
        Some(json!({"values": {"name": "REST Co"}})),
    );
    assert_eq!(created.status, 201);
    let id = created.json()["ids"][0].as_i64().unwrap();
    let path = format!("{base}/res.partner/records/{id}");
    let updated = rest(&demo, Some(&admin), "PUT", &path, Some(json!({"values": {"phone": "555-0100"}})));
    assert_eq!(updated.status, 200, "{}", updated.text());
    let read = rest(&demo, Some(&admin), "GET", &path, None).json();
    assert_eq!(read["records"][0]["phone"], "555-0100");
    assert_eq!(rest(&demo, Some(&ro), "DELETE", &path, None).status, 403);
    assert_eq!(rest(&demo, Some(&admin), "DELETE", &path, None).status, 200);
    assert_eq!(rest(&demo, Some(&admin), "DELETE", &path, None).status, 404);

    let bad_limit = rest(&demo, Some(&admin), "GET", &format!("{base}/res.partner/records?limit=lots"), None);
    assert_eq!(bad_limit.status, 422);
    assert_eq!(bad_limit.json()["error"]["code"], "invalid");
    let bad_json = http::request(
        addr(&demo),
        "POST",
        &format!("{base}/res.partner/records"),
        &[("Authorization", &format!("Bearer {admin}"))],
        b"{not json",
    )
    .unwrap();
    assert_eq!(bad_json.status, 422);
    assert!(bad_json.text().contains("not valid JSON"));
    // sale.order allows no delete in the demo.
    assert_eq!(rest(&demo, Some(&admin), "DELETE", &format!("{base}/sale.order/records/1"), None).status, 403);
    let aggregate =
        rest(&demo, Some(&admin), "POST", &format!("{base}/sale.order/aggregate"), Some(json!({"operation": "count"})));
    assert_eq!(aggregate.status, 200);
    assert_eq!(aggregate.json()["count"], 60);
    let exec = rest(
        &demo,
        Some(&admin),
        "POST",
        &format!("{base}/res.partner/execute/name_search"),
        Some(json!({"args": ["Azure"]})),
    );
    assert_eq!(exec.status, 200, "{}", exec.text());
    let exec_denied =
        rest(&demo, Some(&admin), "POST", &format!("{base}/res.partner/execute/unlink"), Some(json!({"args": [[1]]})));
    assert_eq!(exec_denied.status, 403);
    assert_eq!(rest(&demo, Some(&admin), "GET", "/alpenglow/api/nothing", None).status, 404);
}

/// One request over real HTTP from the blocking pool (the listener runs on this runtime).
async fn send(
    addr: SocketAddr,
    (method, path): (&'static str, &'static str),
    auth: &str,
    extra: &[(&'static str, &'static str)],
    body: Value,
) -> http::HttpResponse {
    let auth = auth.to_string();
    let extra = extra.to_vec();
    tokio::task::spawn_blocking(move || {
        let mut headers = vec![
            ("Content-Type", "application/json"),
            ("Accept", "application/json, text/event-stream"),
            ("Authorization", auth.as_str()),
        ];
        headers.extend(extra);
        let body = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
        http::request(addr, method, path, &headers, &body).unwrap()
    })
    .await
    .unwrap()
}

/// `enable_mcp` off: a valid key gets the documented refusal on every face
/// (the direct JSON-RPC call's -32000 in an HTTP 200 the original's client
/// reads, REST's 403, MCP's 403 with -31000 in both eras), and Odoo is never
/// asked. Switched on, the same requests reach Odoo: the counter can move.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_disabled_refuses_every_face_with_the_documented_error() {
    let setup = inproc::setup().await;
    setup.credential("admin", alpenglow::config::Scope::Full, None);
    setup.admin.set_setting("enable_mcp", "off").unwrap();
    let addr = setup.serve(Vec::new()).await;
    let auth = format!("Bearer {}", setup.sandbox.user("admin").unwrap().key);
    let message = "MCP access is not enabled.";
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                      "io.modelcontextprotocol/clientCapabilities": {},
                      "io.modelcontextprotocol/clientInfo": {"name": "faces-test", "version": "0.1"}});
    let search = json!({"model": "res.partner", "fields": ["name"], "limit": 1});
    let direct = json!({"jsonrpc": "2.0", "id": 1, "method": "alpenglow_search", "params": search});
    let create = json!({"jsonrpc": "2.0", "id": 2, "method": "alpenglow_create",
                        "params": {"model": "res.partner", "values": {"name": "Never written"}}});
    let initialize = json!({"jsonrpc": "2.0", "id": 3, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
                            "capabilities": {}, "clientInfo": {"name": "faces-test", "version": "0.1"}}});
    let discover = json!({"jsonrpc": "2.0", "id": 4, "method": "server/discover", "params": {"_meta": meta}});
    let tool_call = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
                           "params": {"name": "alpenglow_search", "arguments": search, "_meta": meta}});
    let before = setup.sandbox.total_requests();

    // Direct JSON-RPC, on the endpoint and its alias: the original's exact error.
    for (path, body) in [("/alpenglow/mcp", &direct), ("/mcp", &direct), ("/alpenglow/mcp", &create)] {
        let r = send(addr, ("POST", path), &auth, &[], body.clone()).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(
            r.json(),
            json!({"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32000, "message": message}}),
            "{path}"
        );
    }
    // REST: 403 with the outcome and the same message.
    let rest_calls: [(&'static str, &'static str, Value); 3] = [
        ("GET", "/alpenglow/api/models", Value::Null),
        ("GET", "/alpenglow/api/models/res.partner/records?limit=1", Value::Null),
        ("POST", "/alpenglow/api/models/res.partner/records", json!({"values": {"name": "Never written"}})),
    ];
    for (method, path, body) in rest_calls {
        let r = send(addr, (method, path), &auth, &[], body).await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text());
        assert_eq!(r.json(), json!({"error": {"code": "denied", "message": message}}), "{method} {path}");
    }
    // MCP, legacy handshake and 2026-07-28 stateless requests: 403 and -31000.
    let mcp_calls: [(&[(&'static str, &'static str)], &Value); 3] = [
        (&[], &initialize),
        (&[("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "server/discover")], &discover),
        (
            &[("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/call"), ("Mcp-Name", "alpenglow_search")],
            &tool_call,
        ),
    ];
    for (extra, body) in mcp_calls {
        let r = send(addr, ("POST", "/alpenglow/mcp"), &auth, extra, body.clone()).await;
        assert_eq!(r.status, 403, "{}", r.text());
        let reply = r.json();
        assert_eq!(reply["error"]["code"], -31000, "{reply}");
        assert_eq!(reply["error"]["message"], message, "{reply}");
    }
    assert_eq!(setup.sandbox.total_requests(), before, "no request reached Odoo while MCP is off");
    assert_eq!(setup.writes(), 0);

    // Switched on, the same key and call reach Odoo.
    setup.admin.set_setting("enable_mcp", "on").unwrap();
    let r = send(addr, ("POST", "/alpenglow/mcp"), &auth, &[], direct).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["result"]["limit"], 1, "{}", r.text());
    assert!(setup.sandbox.total_requests() > before);
}
