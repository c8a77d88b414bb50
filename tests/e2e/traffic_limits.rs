//! Rate limiting, end to end: exact under 64 concurrent tokio tasks and
//! through the real demo over HTTP, 429 with the headers on the JSON-RPC and
//! REST faces, `RateLimit-*` on every response (MCP's too), a limit change applying at
//! once, the aggregation budget, the write budget on every face (no upstream
//! write past it, reads and dry runs still allowed), failed logins limited
//! per IP, and counters that survive a restart (even by SIGKILL).

use crate::common::demo_at;
use crate::common::http;
use crate::common::inproc;

use alpenglow::limits::{Budget, Decision, Limiter, Subject};
use demo_at::{DemoAt, cli_ok};
use http::alpenglow_rpc as rpc;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

fn rest_get(addr: SocketAddr, key: &str, path: &str) -> http::HttpResponse {
    let auth = format!("Bearer {key}");
    http::request(addr, "GET", path, &[("Authorization", auth.as_str())], b"").unwrap()
}

fn assert_rate_headers(r: &http::HttpResponse, limit: u32) {
    assert_eq!(r.header("ratelimit-limit"), Some(limit.to_string().as_str()), "{:?}", r.headers);
    assert!(r.header("ratelimit-remaining").unwrap().parse::<u32>().is_ok());
    assert!(r.header("ratelimit-reset").unwrap().parse::<u64>().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exact_under_sixty_four_tokio_tasks() {
    let limiter = Arc::new(Limiter::new(None));
    let passed = Arc::new(AtomicU32::new(0));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (limiter, passed) = (limiter.clone(), passed.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..50 {
                if let Decision::Allowed { .. } = limiter.acquire(&Subject::Credential(1), Budget::General, 300) {
                    passed.fetch_add(1, Ordering::SeqCst);
                }
                tokio::task::yield_now().await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(passed.load(Ordering::SeqCst), 300);
}

#[test]
fn demo_limits_are_exact_with_headers_on_both_faces_and_changes_apply_at_once() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    cli_ok(&dir, &["settings", "set", "requests_per_minute", "20"]);
    cli_ok(&dir, &["settings", "set", "aggregation_per_minute", "2"]);
    let demo = DemoAt::start(&dir, "demo");
    let (addr, key) = (demo.addr, demo.key("admin"));

    // One call verifies the key (a key's first, uncached verification is
    // charged to the IP until it succeeds); then 64 clients at once, two
    // calls each: exactly the 19 left get through.
    assert_eq!(rpc(addr, &key, "alpenglow_list_models", json!({})).status, 200);
    let ok = Arc::new(AtomicU32::new(0));
    let limited = Arc::new(AtomicU32::new(0));
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let (ok, limited, key) = (ok.clone(), limited.clone(), key.clone());
            std::thread::spawn(move || {
                for _ in 0..2 {
                    let r = rpc(addr, &key, "alpenglow_list_models", json!({}));
                    assert_rate_headers(&r, 20);
                    match r.status {
                        200 => ok.fetch_add(1, Ordering::SeqCst),
                        429 => {
                            let reset: u64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
                            let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
                            assert!(reset > 1_700_000_000 && (1..=61).contains(&retry), "{reset} {retry}");
                            assert_eq!(r.header("ratelimit-remaining"), Some("0"));
                            assert_eq!(r.json()["error"]["code"], -32005);
                            limited.fetch_add(1, Ordering::SeqCst)
                        }
                        other => panic!("status {other}: {}", r.text()),
                    };
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!((ok.load(Ordering::SeqCst), limited.load(Ordering::SeqCst)), (19, 109));

    // The REST face shares the budget: 429, Retry-After, JSON error.
    let r = rest_get(addr, &key, "/alpenglow/api/models");
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.header("retry-after").is_some());
    assert_rate_headers(&r, 20);
    assert_eq!(r.json()["error"]["code"], "rate_limited");

    // Another credential has its own budget; headers on success too.
    let sales = demo.key("sales");
    let r = rest_get(addr, &sales, "/alpenglow/api/models");
    assert_eq!(r.status, 200);
    assert_rate_headers(&r, 20);
    assert_eq!(r.header("ratelimit-remaining"), Some("19"));

    // Aggregation per Minute on top: the third aggregate is refused while
    // other calls still pass.
    let agg = json!({"model": "sale.order", "operation": "count"});
    for _ in 0..2 {
        // 18: the sales user sees its own orders only (Odoo's personal rule).
        assert_eq!(rpc(addr, &sales, "alpenglow_aggregate", agg.clone()).json()["result"]["count"], 18);
    }
    let third = rpc(addr, &sales, "alpenglow_aggregate", agg.clone());
    assert_eq!(third.status, 429);
    assert_eq!(third.header("ratelimit-limit"), Some("2"));
    assert_eq!(rpc(addr, &sales, "alpenglow_list_models", json!({})).status, 200);

    // A limit change applies to the very next request (through the daemon's
    // admin socket, as an admin would).
    cli_ok(&dir, &["settings", "set", "requests_per_minute", "1000"]);
    let r = rpc(addr, &key, "alpenglow_list_models", json!({}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_rate_headers(&r, 1000);
    cli_ok(&dir, &["settings", "set", "rate_limiting", "off"]);
    let r = rpc(addr, &sales, "alpenglow_aggregate", agg);
    assert_eq!(r.status, 200);
    assert!(r.header("ratelimit-limit").is_none());
}

#[test]
fn failed_logins_are_limited_per_ip_and_counters_survive_a_sigkill_restart() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    cli_ok(&dir, &["settings", "set", "requests_per_minute", "5"]);
    let mut demo = DemoAt::start(&dir, "first");
    let key = demo.key("admin");
    for _ in 0..5 {
        assert_eq!(rpc(demo.addr, &key, "alpenglow_list_models", json!({})).status, 200);
    }
    assert_eq!(rpc(demo.addr, &key, "alpenglow_list_models", json!({})).status, 429);

    // Past the write-behind (500 ms) and sled's flush (200 ms), then kill -9.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    demo.kill9();
    let demo = DemoAt::start(&dir, "second");
    let r = rpc(demo.addr, &key, "alpenglow_list_models", json!({}));
    assert_eq!(r.status, 429, "the restart must not reset the budget: {}", r.text());
    let sales = demo.key("sales");
    assert_eq!(rpc(demo.addr, &sales, "alpenglow_list_models", json!({})).status, 200);

    // Wrong keys from this IP: five 401s, then 429, and then even a good key
    // not verified yet is refused (the IP's budget is spent before authentication).
    for _ in 0..5 {
        assert_eq!(rpc(demo.addr, "wrong-key-0123456789", "alpenglow_list_models", json!({})).status, 401);
    }
    let r = rpc(demo.addr, "wrong-key-0123456789", "alpenglow_list_models", json!({}));
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(rpc(demo.addr, &demo.key("readonly"), "alpenglow_list_models", json!({})).status, 429);
    // A key verified before keeps working: its own budget applies.
    assert_eq!(rpc(demo.addr, &sales, "alpenglow_list_models", json!({})).status, 200);
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() <= 61);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_past_their_budget_are_refused_on_every_face_and_never_reach_odoo() {
    use alpenglow::config::{Operations, Scope};
    let s = inproc::setup().await;
    s.edit_resource("res.partner", |draft| {
        draft.operations = Operations::ALL;
        draft.execute_methods = vec!["name_search".into()];
    });
    s.credential("admin", Scope::Full, None);
    s.admin.set_setting("writes_per_minute", "3").unwrap();
    let addr = s.serve(Vec::new()).await;
    let from: std::net::IpAddr = "127.0.0.8".parse().unwrap();
    let auth = format!("Bearer {}", s.sandbox.user("admin").unwrap().key);
    let json_headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    let rpc = |method: &'static str, params: Value| {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let headers = json_headers;
        async move { http::request_from(from, addr, "POST", "/alpenglow/mcp", &headers, body.as_bytes()).await.unwrap() }
    };
    let rest_create = |name: &'static str| {
        let body = json!({"values": {"name": name}}).to_string();
        let headers = json_headers;
        let path = "/alpenglow/api/models/res.partner/records";
        async move { http::request_from(from, addr, "POST", path, &headers, body.as_bytes()).await.unwrap() }
    };
    let mcp_create = |name: &'static str| {
        let params = json!({"name": "alpenglow_create", "arguments": {"model": "res.partner", "values": {"name": name}},
            "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {},
                      "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"}}});
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}).to_string();
        let mut headers = json_headers.to_vec();
        headers.extend([
            ("Accept", "application/json, text/event-stream"),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "alpenglow_create"),
        ]);
        async move { http::request_from(from, addr, "POST", "/alpenglow/mcp", &headers, body.as_bytes()).await.unwrap() }
    };
    let create = |name: &str| json!({"model": "res.partner", "values": {"name": name}});

    // Dry runs write nothing and are not counted.
    for _ in 0..5 {
        let r =
            rpc("alpenglow_create", json!({"model": "res.partner", "values": {"name": "Plan"}, "dry_run": true})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.json()["result"]["dry_run"].as_bool().unwrap(), "{}", r.text());
    }
    assert_eq!(s.writes(), 0);
    // Three writes, one per face: the budget.
    assert_eq!(rpc("alpenglow_create", create("One")).await.json()["result"]["ids"].as_array().unwrap().len(), 1);
    assert_eq!(rest_create("Two").await.status, 201);
    let r = mcp_create("Three").await;
    assert_eq!((r.status, r.json()["result"]["isError"].as_bool()), (200, Some(false)), "{}", r.text());
    assert_eq!((r.header("ratelimit-limit"), r.header("ratelimit-remaining")), (Some("3"), Some("0")), "MCP too");
    assert_eq!(s.writes(), 3);

    // Past it, on every face, and for each kind of write: refused, nothing sent to Odoo.
    let odoo_calls = s.sandbox.total_calls();
    let r = rpc("alpenglow_create", create("Four")).await;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], -32005);
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("Writes per Minute"), "{}", r.text());
    assert_eq!((r.header("ratelimit-limit"), r.header("ratelimit-remaining")), (Some("3"), Some("0")));
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    let reset: u64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert!((1..=61).contains(&retry) && reset > 1_700_000_000, "{retry} {reset}");
    let r = rest_create("Four").await;
    assert_eq!((r.status, r.json()["error"]["code"].as_str()), (429, Some("rate_limited")), "{}", r.text());
    assert!(r.header("retry-after").is_some() && r.header("x-ratelimit-reset").is_some());
    assert_eq!(r.header("ratelimit-limit"), Some("3"));
    let r = mcp_create("Four").await;
    assert_eq!((r.header("ratelimit-limit"), r.header("ratelimit-remaining")), (Some("3"), Some("0")), "MCP too");
    let r = r.json();
    assert_eq!(r["result"]["isError"], true, "{r}");
    let text = r["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("Writes per Minute") && text.contains("reads may go on"), "{text}");
    for (method, params) in [
        ("alpenglow_update", json!({"model": "res.partner", "ids": [1], "values": {"phone": "555"}})),
        ("alpenglow_delete", json!({"model": "res.partner", "ids": [1]})),
        ("alpenglow_execute", json!({"model": "res.partner", "method": "name_search", "args": ["a"]})),
    ] {
        assert_eq!(rpc(method, params).await.status, 429, "{method}");
    }
    assert_eq!(s.sandbox.total_calls(), odoo_calls, "no call reached Odoo");
    assert_eq!(s.writes(), 3);

    // Reads, aggregates and dry runs go on, with the general budget in the headers.
    let r = rpc("alpenglow_search", json!({"model": "res.partner", "limit": 1})).await;
    assert_eq!((r.status, r.header("ratelimit-limit")), (200, Some("300")), "{}", r.text());
    let r = rpc("alpenglow_delete", json!({"model": "res.partner", "ids": [1], "dry_run": true})).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // The refusals are audited as rate limited.
    let page = s.admin.audit_query(&alpenglow::audit::AuditQuery { limit: Some(1000), ..Default::default() }).unwrap();
    let limited = page.entries.iter().filter(|e| e.outcome.name() == "rate_limited").count();
    assert_eq!(limited, 6);

    // A settings change applies to the very next call.
    s.admin.set_setting("writes_per_minute", "10").unwrap();
    // The headers show the tighter budget: writes, 4 of 10 used.
    let r = rpc("alpenglow_create", create("Four")).await;
    assert_eq!((r.status, r.header("ratelimit-limit"), r.header("ratelimit-remaining")), (200, Some("10"), Some("6")));
    assert_eq!(s.writes(), 4);
}
