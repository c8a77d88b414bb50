//! The audit log and sessions, end to end: an entry on the JSON-RPC, REST
//! and MCP faces for allowed, denied, invalid, unauthenticated and
//! rate-limited calls; no API key anywhere in the data directory, the log or
//! stderr; values only when `audit_log_values` allows; retention cleanup
//! deleting exactly the old entries; session timeout, admin termination
//! (also of an MCP session, from another process) and purging.

use crate::common::demo_at;
use crate::common::http;
use crate::common::inproc;

use alpenglow::admin::AdminService;
use alpenglow::audit::{AuditEntry, Outcome, now_micros};
use alpenglow::gateway::OpError;
use alpenglow::store::Store;
use demo_at::{DemoAt, cli, cli_ok, export};
use http::alpenglow_rpc as rpc;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;

fn rest(addr: SocketAddr, key: &str, method: &str, path: &str, body: Option<Value>) -> http::HttpResponse {
    let auth = format!("Bearer {key}");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    http::request(addr, method, &format!("/alpenglow/api/{path}"), &headers, body.as_bytes()).unwrap()
}

/// An MCP POST (a 2025-06-18 client), in session `session` if any.
fn mcp(addr: SocketAddr, key: &str, session: Option<&str>, body: Value) -> http::HttpResponse {
    let auth = format!("Bearer {key}");
    let mut headers = vec![("Authorization", auth.as_str()), ("Accept", "application/json, text/event-stream")];
    if let Some(id) = session {
        headers.push(("Mcp-Session-Id", id));
    }
    http::post_json(addr, "/alpenglow/mcp", &headers, &body)
}

/// `initialize` in 2025-06-18; the new session's id.
fn mcp_session(addr: SocketAddr, key: &str) -> String {
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "audit-test", "version": "9.1"}}});
    let reply = mcp(addr, key, None, init);
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.header("mcp-session-id").expect("a session id").to_string()
}

fn mcp_tool(addr: SocketAddr, key: &str, session: &str, tool: &str, arguments: Value) -> http::HttpResponse {
    let call =
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}});
    mcp(addr, key, Some(session), call)
}

/// Every file under `dir`, as bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn every_face_audits_every_outcome_and_no_key_is_written_anywhere() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    cli_ok(&dir, &["settings", "set", "requests_per_minute", "8"]);
    // JSON logs at debug level: one event per request, so the grep below
    // covers every request's log line.
    let mut demo = DemoAt::start_with(&dir, "demo", &["--log-format", "json", "--log-level", "debug"]);
    let a = demo.addr;
    let (admin, sales, ro) = (demo.key("admin"), demo.key("sales"), demo.key("readonly"));

    // JSON-RPC face.
    assert_eq!(rpc(a, &admin, "alpenglow_search", json!({"model": "res.partner", "limit": 2})).status, 200);
    let created =
        rpc(a, &admin, "alpenglow_create", json!({"model": "res.partner", "values": {"name": "HiddenValue123"}}));
    assert!(created.json()["result"]["ids"].is_array(), "{}", created.text());
    assert_eq!(
        rpc(a, &ro, "alpenglow_delete", json!({"model": "res.partner", "ids": [1]})).json()["error"]["code"],
        -32002
    );
    assert_eq!(
        rpc(a, &admin, "alpenglow_search", json!({"model": "res.partner", "limit": "lots"})).json()["error"]["code"],
        -32602
    );
    assert_eq!(rpc(a, "not-a-real-key-123456", "alpenglow_list_models", json!({})).status, 401);
    while rpc(a, &admin, "alpenglow_list_models", json!({})).status != 429 {}

    // REST face.
    assert_eq!(rest(a, &sales, "GET", "models", None).status, 200);
    assert_eq!(rest(a, &ro, "DELETE", "models/res.partner/records/1", None).status, 403);
    assert_eq!(rest(a, &sales, "GET", "models/res.partner/records?limit=lots", None).status, 422);
    assert_eq!(rest(a, &sales, "POST", "models/res.partner/records", Some(json!({"nope": 1}))).status, 422);
    assert_eq!(rest(a, "not-a-real-key-123456", "GET", "models", None).status, 401);
    while rest(a, &sales, "GET", "models", None).status != 429 {}

    // MCP face, in 2025-06-18 sessions; a higher limit applies at once.
    cli_ok(&dir, &["settings", "set", "requests_per_minute", "20"]);
    let admin_session = mcp_session(a, &admin);
    let ok = mcp_tool(a, &admin, &admin_session, "alpenglow_search", json!({"model": "res.partner", "limit": 1}));
    assert_eq!(ok.json()["result"]["isError"], false, "{}", ok.text());
    let bad = mcp_tool(a, &admin, &admin_session, "alpenglow_search", json!({"model": "res.partner", "limit": "lots"}));
    assert!(bad.text().contains("Invalid"), "{}", bad.text());
    let ro_session = mcp_session(a, &ro);
    let denied = mcp_tool(a, &ro, &ro_session, "alpenglow_delete", json!({"model": "res.partner", "ids": [1]}));
    assert_eq!(denied.json()["result"]["isError"], true, "{}", denied.text());
    assert_eq!(mcp_tool(a, "not-a-real-key-123456", &admin_session, "alpenglow_list_models", json!({})).status, 401);
    while !mcp_tool(a, &admin, &admin_session, "alpenglow_list_models", json!({})).text().contains("Rate limit") {}

    // Values in clear once an admin allows it (through the daemon's socket).
    cli_ok(&dir, &["settings", "set", "rate_limiting", "off"]);
    cli_ok(&dir, &["settings", "set", "audit_log_values", "on"]);
    let created =
        rpc(a, &admin, "alpenglow_create", json!({"model": "res.partner", "values": {"name": "VisibleValue456"}}));
    assert_eq!(created.status, 200);

    demo.kill9();
    let entries = export(&dir);
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in &entries {
        seen.entry(e["face"].as_str().unwrap().to_string()).or_default().insert(e["outcome"].as_str().unwrap().into());
    }
    for face in ["jsonrpc", "rest", "mcp"] {
        for outcome in ["ok", "denied", "invalid", "unauthenticated", "rate_limited"] {
            assert!(seen[face].contains(outcome), "{face} has no {outcome} entry: {seen:?}");
        }
    }
    let search = entries.iter().find(|e| e["tool"] == "alpenglow_search" && e["outcome"] == "ok").unwrap();
    assert_eq!(search["credential"], "Demo admin");
    assert_eq!(search["model"], "res.partner");
    assert_eq!(search["records"], 2);
    assert_eq!(search["ip"], "127.0.0.1");
    assert!(search["session"].as_str().unwrap().starts_with("s-"));
    assert!(search["uid"].is_i64() && search["duration_ms"].as_f64().unwrap() > 0.0);
    let in_session = entries.iter().find(|e| e["face"] == "mcp" && e["outcome"] == "ok").unwrap();
    assert_eq!(in_session["session"], admin_session.as_str());
    let create = entries.iter().find(|e| e["tool"] == "alpenglow_create").unwrap();
    assert_eq!(create["values"], Value::Null, "values stay out by default");
    assert_eq!(create["ids"].as_array().unwrap().len(), 1);
    let bad_route = entries
        .iter()
        .find(|e| e["face"] == "rest" && e["error"].as_str().unwrap_or("").contains("unknown body field"))
        .unwrap();
    assert_eq!(bad_route["tool"], "POST /alpenglow/api/models/res.partner/records");
    assert!(entries.iter().any(|e| e["values"].as_str().unwrap_or("").contains("VisibleValue456")));

    // No key, anywhere: the data directory's files, the export, stderr.
    let export_text = cli_ok(&dir, &["audit", "export", "--format", "jsonl"]);
    let stderr = std::fs::read(&demo.stderr).unwrap();
    let events: Vec<Value> = String::from_utf8_lossy(&stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {l}")))
        .collect();
    let requests = events.iter().filter(|e| e["message"] == "request").count();
    assert!(requests >= 10, "expected a debug event per request, got {requests}");
    assert!(events.iter().all(|e| e["timestamp"].is_string() && e["level"].is_string()));
    assert!(!contains(export_text.as_bytes(), "HiddenValue123"));
    for key in [&admin, &sales, &ro] {
        assert!(!export_text.contains(key.as_str()));
        assert!(!contains(&stderr, key), "a key in the demo's stderr");
        for (path, bytes) in files(&dir) {
            assert!(!contains(&bytes, key), "a key in {path}");
        }
    }

    // Query filters, with no daemon running.
    let denied: Value =
        serde_json::from_str(&cli_ok(&dir, &["audit", "query", "--outcome", "denied", "--json"])).unwrap();
    assert!(denied["entries"].as_array().unwrap().iter().all(|e| e["outcome"] == "denied"));
    assert_eq!(denied["entries"].as_array().unwrap().len(), 3, "one per face");
    let refused = cli(&dir, &["audit", "query", "--outcome", "maybe"]);
    assert_eq!(refused.status.code(), Some(2));

    // The sessions the demo saw; an admin ends one.
    let list: Value = serde_json::from_str(&cli_ok(&dir, &["sessions", "list", "--all", "--json"])).unwrap();
    let mcp_listed = list.as_array().unwrap().iter().find(|s| s["id"] == admin_session.as_str()).unwrap();
    assert_eq!(mcp_listed["kind"], "mcp");
    assert_eq!(mcp_listed["protocol"], "2025-06-18");
    assert_eq!(mcp_listed["client"], json!({"name": "audit-test", "version": "9.1"}));
    assert_eq!(mcp_listed["credential"], "Demo admin");
    assert!(mcp_listed["requests"].as_u64().unwrap() >= 4, "{mcp_listed}");
    let first = &list.as_array().unwrap()[0];
    let id = first["id"].as_str().unwrap();
    let ended: Value = serde_json::from_str(&cli_ok(&dir, &["sessions", "end", id, "--json"])).unwrap();
    assert_eq!(ended["state"], "ended");
    assert_eq!(cli(&dir, &["sessions", "end", "no-such"]).status.code(), Some(2));
}

#[test]
fn retention_cleanup_deletes_exactly_the_old_entries() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    {
        let admin = AdminService::new(Store::open(&dir).unwrap(), Default::default());
        admin.set_setting("log_retention_days", "30").unwrap();
        let day = 86_400_000_000i64;
        // In time order, as the gateway writes them (ids follow time).
        for (i, age_days) in [45, 40, 31, 30, 29, 2, 1, 0].iter().enumerate() {
            let mut e = AuditEntry::new("rest", "10.0.0.1".into(), "alpenglow_read");
            // 30 days and a minute ago is past the retention; 29.9 days is not.
            e.time_us = now_micros() - age_days * day - if *age_days == 30 { 60_000_000 } else { 0 };
            e.credential_id = Some(i as u64 % 2);
            e.model = Some("res.partner".into());
            admin.audit().append(e).unwrap();
        }
        admin.store().flush().unwrap();
    }
    let report: Value = serde_json::from_str(&cli_ok(&dir, &["jobs", "run", "audit-cleanup", "--json"])).unwrap();
    assert_eq!(report["affected"], 4, "{report}");
    assert!(report["summary"].as_str().unwrap().contains("older than 30 days"));
    let left = export(&dir);
    // The four kept, and the run itself (an admin action).
    assert_eq!(left.iter().filter(|e| e["face"] != "admin").count(), 4);
    assert_eq!(left.iter().filter(|e| e["tool"] == "jobs.run").count(), 1, "{left:?}");
    let again: Value = serde_json::from_str(&cli_ok(&dir, &["jobs", "run", "audit-cleanup", "--json"])).unwrap();
    assert_eq!(again["affected"], 0);
    for job in ["session-cleanup", "rate-limit-cleanup"] {
        cli_ok(&dir, &["jobs", "run", job]);
    }
    assert_eq!(cli(&dir, &["jobs", "run", "vacuum"]).status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_time_out_and_an_admin_can_end_one() {
    let s = inproc::setup().await;
    s.credential("admin", alpenglow::config::Scope::Full, None);
    let params = json!({"model": "res.partner", "limit": 1});
    s.call("admin", "alpenglow_search", params.clone()).await.unwrap();
    s.call("admin", "alpenglow_search", params.clone()).await.unwrap();
    let sessions = s.admin.sessions_list(false).unwrap();
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_eq!((session.request_count, session.info.face.as_str()), (2, "jsonrpc"));
    assert_eq!(session.info.credential_label.as_deref(), Some("admin test"));

    // Session Cleanup: idle after the timeout; activity wakes it.
    let later = time::OffsetDateTime::now_utc() + time::Duration::minutes(31);
    assert_eq!(s.admin.sessions().mark_idle(time::Duration::minutes(30), later).unwrap(), 1);
    assert!(s.admin.sessions_list(false).unwrap().is_empty());
    s.call("admin", "alpenglow_search", params.clone()).await.unwrap();
    assert_eq!(s.admin.sessions_list(false).unwrap()[0].request_count, 3);

    // Ended by an admin: the next request is refused, clearly, and audited.
    s.admin.end_session(&session.id).unwrap();
    match s.call("admin", "alpenglow_search", params.clone()).await {
        Err(OpError::Unauthenticated(m)) => assert!(m.contains("ended by an administrator"), "{m}"),
        other => panic!("{other:?}"),
    }
    let last = s.admin.audit_query(&Default::default()).unwrap().entries.remove(0);
    assert_eq!(last.outcome, Outcome::Unauthenticated);
    assert_eq!(last.session.as_deref(), None);
    // The client's next request starts a new session.
    s.call("admin", "alpenglow_search", params).await.unwrap();
    let active = s.admin.sessions_list(false).unwrap();
    assert_eq!(active.len(), 1);
    assert_ne!(active[0].id, session.id);
}

#[test]
fn mcp_sessions_live_in_the_store_survive_a_restart_and_an_admin_ends_them() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let mut demo = DemoAt::start(&dir, "demo");
    let (admin, sales) = (demo.key("admin"), demo.key("sales"));
    let kept = mcp_session(demo.addr, &admin);
    let ended = mcp_session(demo.addr, &admin);
    let ping = |addr, key: &str, session: &str| {
        mcp(addr, key, Some(session), json!({"jsonrpc": "2.0", "id": 5, "method": "ping"}))
    };
    assert_eq!(ping(demo.addr, &admin, &kept).status, 200);

    // A restart keeps the session: its client goes on without a new initialize.
    demo.kill9();
    let demo = DemoAt::start(&dir, "demo2");
    let a = demo.addr;
    let after = ping(a, &admin, &kept);
    assert_eq!(after.status, 200, "{}", after.text());
    assert_eq!(mcp_tool(a, &admin, &kept, "alpenglow_list_models", json!({})).json()["result"]["isError"], false);
    // Still the opener's only.
    assert_eq!(ping(a, &sales, &kept).status, 404);

    // An admin ends one from another process (the daemon's socket): its next
    // request is 404 with what happened; the other session goes on.
    let out: Value = serde_json::from_str(&cli_ok(&dir, &["sessions", "end", &ended, "--json"])).unwrap();
    assert_eq!(out["state"], "ended");
    let refused = ping(a, &admin, &ended);
    assert_eq!(refused.status, 404);
    let message = refused.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("ended by an administrator"), "{message}");
    assert_eq!(ping(a, &admin, &kept).status, 200);

    // The client closes its own session; the listing keeps both until the purge.
    let delete = http::request(
        a,
        "DELETE",
        "/alpenglow/mcp",
        &[("Authorization", &format!("Bearer {admin}")), ("Mcp-Session-Id", &kept)],
        b"",
    )
    .unwrap();
    assert_eq!(delete.status, 204);
    let list: Value = serde_json::from_str(&cli_ok(&dir, &["sessions", "list", "--all", "--json"])).unwrap();
    let state = |id: &str| list.as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()["state"].clone();
    assert_eq!((state(&kept), state(&ended)), (json!("closed"), json!("ended")));
    let kept_requests = list.as_array().unwrap().iter().find(|s| s["id"] == kept.as_str()).unwrap()["requests"].clone();
    // initialize, ping, ping after restart, the tool call, the last ping; the
    // first ping's count may be lost with the kill -9 (counters lag ~0.2 s).
    let counted = kept_requests.as_u64().unwrap();
    assert!((4..=5).contains(&counted), "{counted}");
}

#[test]
fn session_cleanup_purges_only_sessions_inactive_past_the_retention() {
    let root = tempfile::tempdir().unwrap();
    let admin = AdminService::new(Store::open(root.path()).unwrap(), Default::default());
    let sessions = admin.sessions();
    let info = |ip: &str| alpenglow::sessions::SessionInfo { face: "rest".into(), ip: ip.into(), ..Default::default() };
    let live = sessions.touch_stream(&info("10.0.0.1")).unwrap();
    let idle = sessions.touch_stream(&info("10.0.0.2")).unwrap();
    let ended = sessions.touch_stream(&info("10.0.0.3")).unwrap();
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(sessions.mark_idle(time::Duration::ZERO, now + time::Duration::seconds(1)).unwrap(), 3);
    sessions.touch(&live.id).unwrap();
    sessions.end(&ended.id).unwrap();

    // Not yet past the retention: nothing goes.
    assert_eq!(sessions.purge(now - alpenglow::sessions::RETENTION).unwrap(), 0);
    // Past it: the idle and the ended session go, the active one stays, and
    // the idle stream's next request starts a new session.
    let purged = sessions.purge(now + time::Duration::minutes(1)).unwrap();
    assert_eq!(purged, 2);
    let left: Vec<String> = sessions.list(true).unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(left, vec![live.id.clone()]);
    let again = sessions.touch_stream(&info("10.0.0.2")).unwrap();
    assert_ne!(again.id, idle.id);
    assert_eq!(again.request_count, 1);
}
