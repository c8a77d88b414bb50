//! The error contract, as the README states it: Odoo's own refusals are
//! -32006 (the gateway's checks stay -32602), a misspelled direct method is
//! -32601 naming the nine, `/healthz` checks the configured database, and
//! with Odoo down a key whose credential is stored still completes the MCP
//! handshake and lists the tools, each call then saying Odoo is unreachable.

use crate::common::demo_at::DemoAt;
use crate::common::http;
use alpenglow::config::Scope;
use serde_json::{Value, json};
use std::net::SocketAddr;

const NINE: [&str; 9] = [
    "alpenglow_list_models",
    "alpenglow_describe",
    "alpenglow_search",
    "alpenglow_read",
    "alpenglow_create",
    "alpenglow_update",
    "alpenglow_delete",
    "alpenglow_aggregate",
    "alpenglow_execute",
];

fn rpc_error(addr: SocketAddr, key: &str, method: &str, params: Value) -> (u16, Value) {
    let r = http::alpenglow_rpc(addr, key, method, params);
    (r.status, r.json()["error"].clone())
}

#[test]
fn odoo_refusals_are_32006_and_the_gateways_own_checks_32602() {
    let root = tempfile::tempdir().unwrap();
    let demo = DemoAt::start(&root.path().join("data"), "contract");
    let (addr, key) = (demo.addr, demo.key("admin"));

    // Odoo's ValidationError ("Contacts require a name"): Odoo refused.
    let no_name = json!({"model": "res.partner", "values": {"email": "noname@alpenglow.test"}});
    let (status, error) = rpc_error(addr, &key, "alpenglow_create", no_name.clone());
    assert_eq!((status, error["code"].as_i64()), (200, Some(-32006)), "{error}");
    assert!(error["message"].as_str().unwrap().contains("Contacts require a name"), "{error}");
    // A parameter the gateway checks itself: invalid parameters.
    let (_, error) = rpc_error(addr, &key, "alpenglow_search", json!({"model": "res.partner", "limit": "ten"}));
    assert_eq!(error["code"], -32602, "{error}");

    // REST: both 422, told apart by their code.
    let auth = format!("Bearer {key}");
    let rest = http::post_json(
        addr,
        "/alpenglow/api/models/res.partner/records",
        &[("Authorization", &auth)],
        &json!({"values": {"email": "noname@alpenglow.test"}}),
    );
    assert_eq!(rest.status, 422, "{}", rest.text());
    assert!(rest.text().contains("Odoo refused the request"), "{}", rest.text());
}

#[test]
fn a_misspelled_direct_method_is_32601_naming_the_nine() {
    let root = tempfile::tempdir().unwrap();
    let demo = DemoAt::start(&root.path().join("data"), "contract-method");
    let (status, error) = rpc_error(demo.addr, &demo.key("sales"), "alpenglow_serch", json!({"model": "res.partner"}));
    assert_eq!((status, error["code"].as_i64()), (200, Some(-32601)), "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.starts_with("method not found: \"alpenglow_serch\""), "{message}");
    for name in NINE {
        assert!(message.contains(name), "{name} missing from {message}");
    }
    // Still behind the key.
    let bad = http::alpenglow_rpc(demo.addr, "0000000000000000000000000000000000000000", "alpenglow_serch", json!({}));
    assert_eq!(bad.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_says_when_the_configured_database_does_not_exist() {
    let setup = crate::common::inproc::setup().await;
    let health = |database: &'static str| {
        let sandbox_url = setup.sandbox.url();
        let admin = setup.admin.clone();
        async move {
            let mut config =
                alpenglow::upstream::UpstreamConfig::from_connection(&alpenglow::config::Settings::default().odoo);
            config.transport = alpenglow::upstream::TransportConfig::new(sandbox_url);
            config.database = Some(database.to_string());
            let client = alpenglow::upstream::connect(&config).await.unwrap();
            let gateway = alpenglow::gateway::Gateway::new(
                admin.rooms().clone(),
                alpenglow::gateway::UpstreamSlot::pinned(client),
            );
            let state = alpenglow::faces::FaceState { gateway, live: Default::default() };
            let listener = alpenglow::faces::Listener::bind("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(listener.serve(std::future::pending()));
            tokio::task::spawn_blocking(move || http::request(addr, "GET", "/healthz", &[], b"").unwrap().json())
                .await
                .unwrap()
        }
    };
    let missing = health("no_such_db").await;
    assert_eq!(missing["status"], "degraded", "{missing}");
    assert_eq!(missing["odoo"]["database"], "missing", "{missing}");
    assert!(missing["odoo"]["error"].as_str().unwrap().contains("does not exist"), "{missing}");
    let present = health("demo").await;
    assert_eq!((present["status"].as_str(), present["odoo"]["database"].as_str()), (Some("ok"), Some("exists")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_odoo_down_a_stored_credential_still_gets_the_handshake_and_the_tools() {
    let setup = crate::common::inproc::setup().await;
    setup.credential("sales", Scope::Full, None);
    let (sales, viewer) = (setup.sandbox.user("sales").unwrap().key, setup.sandbox.user("viewer").unwrap().key);
    // Odoo is down: nothing listens where the gateway looks for it.
    let nowhere = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut config = alpenglow::upstream::UpstreamConfig::from_connection(&alpenglow::config::Settings::default().odoo);
    config.transport = alpenglow::upstream::TransportConfig::new(format!("http://{nowhere}"));
    config.protocol = alpenglow::config::OdooProtocol::Json2;
    let down = alpenglow::upstream::connect(&config).await.unwrap();
    let gateway =
        alpenglow::gateway::Gateway::new(setup.admin.rooms().clone(), alpenglow::gateway::UpstreamSlot::pinned(down));
    let state = alpenglow::faces::FaceState { gateway, live: Default::default() };
    let listener = alpenglow::faces::Listener::bind("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(listener.serve(std::future::pending()));

    let mcp = move |key: String, session: Option<String>, body: Value| {
        tokio::task::spawn_blocking(move || {
            let auth = format!("Bearer {key}");
            let mut headers = vec![("Authorization", auth.as_str()), ("Accept", "application/json, text/event-stream")];
            if let Some(id) = &session {
                headers.push(("Mcp-Session-Id", id.as_str()));
            }
            http::post_json(addr, "/alpenglow/mcp", &headers, &body)
        })
    };
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "offline", "version": "1"}}});
    let opened = mcp(sales.clone(), None, init.clone()).await.unwrap();
    assert_eq!(opened.status, 200, "{}", opened.text());
    let session = opened.header("mcp-session-id").unwrap().to_string();
    let listed = mcp(sales.clone(), Some(session.clone()), json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    let listed = listed.await.unwrap().json();
    assert_eq!(listed["result"]["tools"].as_array().map(Vec::len), Some(10), "{listed}");
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "alpenglow_search", "arguments": {"model": "res.partner"}}});
    let called = mcp(sales, Some(session), call).await.unwrap().json();
    let text = called["result"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(called["result"]["isError"], true, "{}", &text[..text.len().min(300)]);
    assert!(text.contains("Odoo is unreachable"), "{text}");

    // A key with no stored credential cannot be told apart from a wrong one: refused.
    let refused = mcp(viewer, None, init).await.unwrap();
    assert_eq!(refused.status, 503, "{}", refused.text());
}
