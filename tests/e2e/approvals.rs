//! Writes held for approval, end to end: the real demo binary (its
//! `res.partner.category` writes wait for confirmation, its sale order
//! confirmations for an admin), the real CLI through the admin socket, and
//! the sandbox's own records as ground truth: nothing reaches Odoo before
//! an approval, an approval runs once, for its own credential, for the exact
//! operation it was given for, also after a restart.

use crate::common::demo_at::{DemoAt, cli, cli_ok, export};
use crate::common::http;
use alpenglow::approvals::{Approval, operation_hash};
use alpenglow::audit::hex;
use alpenglow::ops::{OpName, Operation};
use alpenglow::store::Store;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;

/// A direct JSON-RPC call; the whole answer.
fn rpc(addr: SocketAddr, key: &str, method: &str, params: Value) -> Value {
    let r = http::alpenglow_rpc(addr, key, method, params);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn status(addr: SocketAddr, key: &str, id: u64) -> Value {
    rpc(addr, key, "alpenglow_approval_status", json!({"approval_id": id}))
}

fn rest(addr: SocketAddr, key: &str, method: &str, path: &str, body: Option<Value>) -> http::HttpResponse {
    let auth = format!("Bearer {key}");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    http::request(addr, method, &format!("/alpenglow/api/{path}"), &headers, body.as_bytes()).unwrap()
}

/// The sandbox itself (JSON-2, as the demo's admin user): the ground truth.
fn odoo(demo: &DemoAt, model: &str, method: &str, body: Value) -> Value {
    let addr: SocketAddr = demo.sandbox_url.trim_start_matches("http://").trim_end_matches('/').parse().unwrap();
    let auth = format!("Bearer {}", demo.key("admin"));
    let r = http::post_json(addr, &format!("/json/2/{model}/{method}"), &[("Authorization", &auth)], &body);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn order_state(demo: &DemoAt, id: i64) -> String {
    let rows = odoo(demo, "sale.order", "search_read", json!({"domain": [["id", "=", id]], "fields": ["state"]}));
    rows[0]["state"].as_str().unwrap().to_string()
}

fn category_names(demo: &DemoAt) -> Vec<String> {
    let rows = odoo(demo, "res.partner.category", "search_read", json!({"domain": [], "fields": ["name"]}));
    rows.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect()
}

fn category_name(demo: &DemoAt, id: i64) -> String {
    let rows =
        odoo(demo, "res.partner.category", "search_read", json!({"domain": [["id", "=", id]], "fields": ["name"]}));
    rows[0]["name"].as_str().unwrap().to_string()
}

/// The held answer's approval id, after checking it is a pending result.
fn held_id(answer: &Value, rule: &str) -> u64 {
    let result = &answer["result"];
    assert_eq!(result["status"], "pending_approval", "{answer}");
    assert_eq!(result["approval"], rule, "{answer}");
    assert!(result["expires_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{answer}");
    assert!(result["message"].as_str().unwrap().contains("alpenglow_approval_status"), "{answer}");
    result["approval_id"].as_u64().expect("an approval id")
}

/// Changes a stored approval while no daemon runs (what a restart finds).
fn alter_stored(dir: &Path, id: u64, change: impl FnMut(&mut Approval)) {
    let store = Store::open(dir).unwrap();
    let table = store.table::<Approval>().unwrap();
    assert!(table.update(&id, change).unwrap().is_some());
    store.flush().unwrap();
}

#[test]
fn an_admin_approval_runs_the_held_call_once_and_only_for_its_own_credential() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let demo = DemoAt::start(&dir, "approvals-once");
    let (addr, admin, sales) = (demo.addr, demo.key("admin"), demo.key("sales"));
    let drafts =
        odoo(&demo, "sale.order", "search_read", json!({"domain": [["state", "=", "draft"]], "fields": ["id"]}));
    let order = drafts[0]["id"].as_i64().unwrap();

    // Confirming an order waits for an admin: the answer is not an error.
    let call = json!({"model": "sale.order", "method": "action_confirm", "args": [[order]]});
    let held = rpc(addr, &admin, "alpenglow_execute", call.clone());
    assert!(held.get("error").is_none(), "{held}");
    let id = held_id(&held, "admin");
    assert!(held["result"]["summary"].as_str().unwrap().contains("action_confirm on sale.order"), "{held}");
    assert_eq!(order_state(&demo, order), "draft", "nothing reached Odoo");
    assert_eq!(held_id(&status(addr, &admin, id), "admin"), id);

    // Another credential cannot see it, let alone run it.
    let foreign = status(addr, &sales, id);
    assert!(foreign["error"]["message"].as_str().unwrap().contains("no approval"), "{foreign}");

    // The admin sees the exact operation, and approves it.
    let listed: Value = serde_json::from_str(&cli_ok(&dir, &["approvals", "list", "--json"])).unwrap();
    let row = listed.as_array().unwrap().iter().find(|a| a["id"] == id).expect("listed").clone();
    assert_eq!((row["state"].as_str(), row["rule"].as_str()), (Some("pending"), Some("admin")), "{row}");
    assert_eq!(row["operation"], json!({"args": [[order]], "method": "action_confirm", "model": "sale.order"}));
    assert_eq!(row["credential"], "Demo admin", "{row}");
    let shown = cli_ok(&dir, &["approvals", "approve", &id.to_string(), "--reason", "checked with the customer"]);
    assert!(shown.contains("approved") && shown.contains("checked with the customer"), "{shown}");
    assert_eq!(order_state(&demo, order), "draft", "approving runs nothing by itself");
    assert!(status(addr, &sales, id)["error"].is_object(), "still not the other credential's");
    assert_eq!(order_state(&demo, order), "draft");

    // The caller's check runs it and answers with the operation's own result.
    let ran = status(addr, &admin, id);
    assert!(ran.get("error").is_none() && ran["result"].get("status").is_none(), "{ran}");
    assert!(ran["result"].get("result").is_some(), "the execute result: {ran}");
    assert_eq!(order_state(&demo, order), "sale");

    // Once: a replay is refused, and a decision after the fact too.
    let replay = status(addr, &admin, id);
    assert!(replay["error"]["message"].as_str().unwrap().contains("already used"), "{replay}");
    let late = cli(&dir, &["approvals", "deny", &id.to_string()]);
    assert_eq!(late.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&late.stderr).contains("already decided"), "{late:?}");

    // Audit: the request, the decision (who) and the run, linked by the id.
    let linked: Vec<Value> = export(&dir).into_iter().filter(|e| e["approval_id"] == id).collect();
    let find = |tool: &str, outcome: &str| linked.iter().find(|e| e["tool"] == tool && e["outcome"] == outcome);
    let asked = find("alpenglow_execute", "pending_approval").expect("the held request");
    assert_eq!(asked["model"], "sale.order");
    let decided = find("approvals.approve", "ok").expect("the decision");
    assert!(decided["actor"].as_str().unwrap().contains("uid"), "{decided}");
    assert!(decided["changes"].as_str().unwrap().contains("checked with the customer"), "{decided}");
    let run = find("alpenglow_execute", "ok").expect("the run");
    assert_eq!(run["credential"], "Demo admin");
    assert_eq!(linked.iter().filter(|e| e["tool"] == "alpenglow_execute" && e["outcome"] == "ok").count(), 1);
    assert!(find("alpenglow_approval_status", "denied").is_some(), "the replay: {linked:?}");
}

#[test]
fn denied_and_expired_approvals_say_so_on_every_face_and_nothing_reaches_odoo() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let mut demo = DemoAt::start(&dir, "approvals-deny");
    let (addr, admin) = (demo.addr, demo.key("admin"));
    let before = category_names(&demo);

    // REST: 202 Accepted with the pending body.
    let held =
        rest(addr, &admin, "POST", "models/res.partner.category/records", Some(json!({"values": {"name": "Held A"}})));
    assert_eq!(held.status, 202, "{}", held.text());
    let denied_id = held_id(&json!({"result": held.json()}), "confirm");
    let waiting = rest(addr, &admin, "POST", &format!("approvals/{denied_id}"), None);
    assert_eq!((waiting.status, waiting.json()["status"].as_str()), (202, Some("pending_approval")));

    // MCP: a tool result that is not an error, its structured content the pending answer.
    let auth = format!("Bearer {admin}");
    let headers = [("Authorization", auth.as_str()), ("Accept", "application/json, text/event-stream")];
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "approvals-test", "version": "1"}}});
    let session =
        http::post_json(addr, "/alpenglow/mcp", &headers, &init).header("mcp-session-id").unwrap().to_string();
    let mut in_session = headers.to_vec();
    in_session.push(("Mcp-Session-Id", &session));
    in_session.push(("MCP-Protocol-Version", "2025-06-18"));
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "alpenglow_create", "arguments": {"model": "res.partner.category", "values": {"name": "Held B"}}}});
    let tool = http::post_json(addr, "/alpenglow/mcp", &in_session, &call).json();
    assert_eq!(tool["result"]["isError"], false, "{tool}");
    let expiring_id = held_id(&json!({"result": tool["result"]["structuredContent"]}), "confirm");

    // Denied, with the reason, on REST.
    cli_ok(&dir, &["approvals", "deny", &denied_id.to_string(), "--reason", "no new tags this week"]);
    let denied = rest(addr, &admin, "POST", &format!("approvals/{denied_id}"), None);
    assert_eq!(denied.status, 200, "{}", denied.text());
    let denied = denied.json();
    assert_eq!((denied["status"].as_str(), denied["reason"].as_str()), (Some("denied"), Some("no new tags this week")));

    // Expired: the clock moved past it while the daemon was stopped.
    demo.kill9();
    // With no daemon, the CLI reads the queue from the store itself.
    let offline: Value = serde_json::from_str(&cli_ok(&dir, &["approvals", "list", "--all", "--json"])).unwrap();
    assert_eq!(offline.as_array().unwrap().len(), 2, "{offline}");
    alter_stored(&dir, expiring_id, |a| a.expires_us = a.created_us + 1);
    let demo = DemoAt::start(&dir, "approvals-deny-2");
    let expired = status(demo.addr, &admin, expiring_id);
    assert_eq!(expired["result"]["status"], "expired", "{expired}");
    assert!(expired["result"]["message"].as_str().unwrap().contains("Make the call again"), "{expired}");
    let late = cli(&dir, &["approvals", "approve", &expiring_id.to_string()]);
    assert_eq!(late.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&late.stderr).contains("expired"), "{late:?}");
    // The hourly cleanup marks it so in the store.
    let report = cli_ok(&dir, &["jobs", "run", "session-cleanup"]);
    assert!(report.contains("expired 1 approvals"), "{report}");
    let all: Value = serde_json::from_str(&cli_ok(&dir, &["approvals", "list", "--all", "--json"])).unwrap();
    let state = |id: u64| all.as_array().unwrap().iter().find(|a| a["id"] == id).unwrap()["state"].clone();
    assert_eq!((state(denied_id), state(expiring_id)), (json!("denied"), json!("expired")));
    assert!(cli_ok(&dir, &["approvals", "list"]).lines().count() <= 1, "nothing left waiting");

    // Ground truth: neither tag exists.
    let after = category_names(&demo);
    assert!(!after.iter().any(|n| n.starts_with("Held")), "{after:?}");
    assert_eq!(after, before);

    // The expiry setting is checked like the others.
    let bad = cli(&dir, &["settings", "set", "approval_expiry_minutes", "0"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("from 1 to 1,440"), "{bad:?}");
}

#[test]
fn a_pending_approval_survives_a_restart_and_a_changed_operation_or_policy_refuses_it() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let mut demo = DemoAt::start(&dir, "approvals-restart");
    let admin = demo.key("admin");
    let rename = |addr, id: i64, name: &str| {
        let call = json!({"model": "res.partner.category", "ids": [id], "values": {"name": name}});
        held_id(&rpc(addr, &admin, "alpenglow_update", call), "confirm")
    };
    let survives = rename(demo.addr, 1, "Renamed after restart");
    let tampered = rename(demo.addr, 2, "Approved name");
    // A changed call is a new approval, never the old one.
    let changed = rename(demo.addr, 2, "Another name");
    assert_ne!(changed, tampered);
    let rechecked = rename(demo.addr, 3, "Before the policy changed");

    demo.kill9();
    // The stored operation of one approval is altered behind the daemon's back.
    alter_stored(&dir, tampered, |a| a.params = a.params.replace("Approved name", "Tampered name"));
    let demo = DemoAt::start(&dir, "approvals-restart-2");
    let (original_2, original_3) = (category_name(&demo, 2), category_name(&demo, 3));
    for id in [survives, tampered, rechecked] {
        cli_ok(&dir, &["approvals", "approve", &id.to_string()]);
    }

    // Pending across the restart, approved, run.
    let ran = status(demo.addr, &admin, survives);
    assert_eq!(ran["result"]["ids"], json!([1]), "{ran}");
    assert_eq!(category_name(&demo, 1), "Renamed after restart");

    // Bound to the operation's hash: the altered one does not run.
    let refused = status(demo.addr, &admin, tampered);
    assert!(refused["error"]["message"].as_str().unwrap().contains("does not match"), "{refused}");
    assert_eq!(category_name(&demo, 2), original_2);

    // Re-checked against the policy as it is when it runs.
    cli_ok(&dir, &["resources", "edit", "res.partner.category", "--ops", "read"]);
    let refused = status(demo.addr, &admin, rechecked);
    assert!(refused["error"]["message"].as_str().unwrap().contains("may not update"), "{refused}");
    assert_eq!(category_name(&demo, 3), original_3);
    let names = category_names(&demo);
    assert!(!names.iter().any(|n| n == "Tampered name" || n == "Approved name" || n == "Another name"), "{names:?}");
}

#[test]
fn concurrent_checks_of_an_approved_create_make_exactly_one_record() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let demo = DemoAt::start(&dir, "approvals-race");
    let (addr, admin) = (demo.addr, demo.key("admin"));
    let call = json!({"model": "res.partner.category", "values": {"name": "Raced tag"}});
    let id = held_id(&rpc(addr, &admin, "alpenglow_create", call), "confirm");
    cli_ok(&dir, &["approvals", "approve", &id.to_string()]);

    // Eight checks at once: one runs it, the others are told it is taken.
    let answers: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8).map(|_| s.spawn(|| status(addr, &admin, id))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ran: Vec<&Value> = answers.iter().filter(|a| a["result"]["ids"].is_array()).collect();
    assert_eq!(ran.len(), 1, "{answers:?}");
    assert!(answers.iter().filter(|a| a.get("error").is_some()).count() == 7, "{answers:?}");
    let names = category_names(&demo);
    assert_eq!(names.iter().filter(|n| *n == "Raced tag").count(), 1, "{names:?}");
}

/// Runs the Python SDK 2.x client that answers the confirmation with
/// `answer`; its one JSON line.
fn sdk_confirms(demo: &DemoAt, answer: &str, name: &str) -> Value {
    crate::common::clients::ensure();
    let script = crate::common::clients::path("python/elicit_client.py");
    let url = format!("http://{}/alpenglow/mcp", demo.addr);
    let out = std::process::Command::new(crate::common::clients::path("python/.venv2/bin/python"))
        .arg(&script)
        .args([url.as_str(), &demo.key("admin"), answer, name])
        .current_dir(script.parent().unwrap())
        .output()
        .expect("the client runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn the_python_sdk_answers_the_confirmation_in_a_stateless_exchange() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let demo = DemoAt::start(&dir, "approvals-elicit");
    let count = |name: &str| category_names(&demo).iter().filter(|n| *n == name).count();

    // Accept: asked once, in form mode, naming the operation, model, count and database; then made.
    let accepted = sdk_confirms(&demo, "accept", "Confirmed tag");
    assert_eq!(accepted["version"], "2026-07-28", "{accepted}");
    let asked = accepted["asked"].as_array().unwrap();
    assert_eq!(asked.len(), 1, "{accepted}");
    let message = asked[0]["message"].as_str().unwrap();
    for part in ["alpenglow_create", "res.partner.category", "1 record", "Confirmed tag", "\"demo\""] {
        assert!(message.contains(part), "{part} missing from {message}");
    }
    assert_eq!(asked[0]["mode"], "form");
    assert_eq!(accepted["is_error"], false, "{accepted}");
    assert!(accepted["structured"]["ids"].is_array(), "{accepted}");
    assert_eq!(count("Confirmed tag"), 1);

    // Decline and cancel: a refusal that is not an error; nothing made.
    for (answer, name) in [("decline", "Declined tag"), ("cancel", "Cancelled tag")] {
        let refused = sdk_confirms(&demo, answer, name);
        assert_eq!(refused["is_error"], false, "{refused}");
        let status = if answer == "decline" { "declined" } else { "cancelled" };
        assert_eq!(refused["structured"]["status"], status, "{refused}");
        assert_eq!(count(name), 0, "{answer}");
    }

    // A client without the capability is never asked: the pending flow.
    let plain = sdk_confirms(&demo, "none", "Unasked tag");
    assert!(plain["asked"].as_array().unwrap().is_empty(), "{plain}");
    assert_eq!(plain["structured"]["status"], "pending_approval", "{plain}");
    assert_eq!(count("Unasked tag"), 0);
    // Nor is a 2025-11-25 session, even one that declared elicitation
    // (elicitation/create during a call is not served yet): pending too.
    let legacy = sdk_confirms(&demo, "legacy", "Legacy tag");
    assert_eq!(legacy["version"], "2025-11-25", "{legacy}");
    assert!(legacy["asked"].as_array().unwrap().is_empty(), "{legacy}");
    assert_eq!(legacy["structured"]["status"], "pending_approval", "{legacy}");
    assert_eq!(count("Legacy tag"), 0);

    // The person's answers are in the queue and the audit log, by approval.
    let all: Value = serde_json::from_str(&cli_ok(&dir, &["approvals", "list", "--all", "--json"])).unwrap();
    let states: Vec<(String, String)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["summary"].as_str().unwrap().to_string(), a["state"].as_str().unwrap().to_string()))
        .collect();
    let state_of = |tag: &str| states.iter().find(|(s, _)| s.contains(tag)).map(|(_, st)| st.clone());
    assert_eq!(state_of("Confirmed tag").as_deref(), Some("done"), "{states:?}");
    assert_eq!(state_of("Declined tag").as_deref(), Some("denied"), "{states:?}");
    assert_eq!(state_of("Cancelled tag").as_deref(), Some("denied"), "{states:?}");
    assert_eq!(state_of("Unasked tag").as_deref(), Some("pending"), "{states:?}");
}

#[test]
fn a_request_state_is_bound_to_its_operation_and_works_once() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let demo = DemoAt::start(&dir, "approvals-state");
    let auth = format!("Bearer {}", demo.key("admin"));
    let call = |arguments: Value, extra: Value| {
        let mut params = json!({"name": "alpenglow_create", "arguments": arguments, "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}}}});
        for (k, v) in extra.as_object().unwrap() {
            params[k] = v.clone();
        }
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params});
        let headers = [
            ("Authorization", auth.as_str()),
            ("Accept", "application/json, text/event-stream"),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "alpenglow_create"),
        ];
        http::post_json(demo.addr, "/alpenglow/mcp", &headers, &body).json()
    };
    let tag = |name: &str| json!({"model": "res.partner.category", "values": {"name": name}});
    let yes = json!({"confirm": {"action": "accept", "content": {"approve": true}}});
    let asked = call(tag("Bound tag"), json!({}));
    assert_eq!(asked["result"]["resultType"], "input_required", "{asked}");
    let state = asked["result"]["requestState"].clone();

    // The same state for another operation: refused, nothing made.
    let swapped = call(tag("Swapped tag"), json!({"requestState": state, "inputResponses": yes}));
    assert_eq!(swapped["result"]["isError"], true, "{swapped}");
    assert!(swapped["result"]["content"][0]["text"].as_str().unwrap().contains("another call"), "{swapped}");
    // A forged state: its claims rebound to another operation under the old tag.
    let text = state.as_str().unwrap();
    let (body, signature) = text.split_once('.').unwrap();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value = serde_json::from_slice(&base64::Engine::decode(&engine, body).unwrap()).unwrap();
    let other = Operation::parse(OpName::Create, &tag("Forged tag")).unwrap();
    claims["operation_hash"] = json!(hex(&operation_hash(&other.canonical())));
    let rebound = base64::Engine::encode(&engine, claims.to_string());
    let forged_state = format!("{rebound}.{signature}");
    let forged = call(tag("Forged tag"), json!({"requestState": forged_state, "inputResponses": yes}));
    assert_eq!(forged["result"]["isError"], true, "{forged}");
    assert!(!category_names(&demo).iter().any(|n| n.ends_with("tag")));

    // The right one runs once; its replay is refused.
    let ran = call(tag("Bound tag"), json!({"requestState": state, "inputResponses": yes}));
    assert_eq!(ran["result"]["isError"], false, "{ran}");
    let replay = call(tag("Bound tag"), json!({"requestState": state, "inputResponses": yes}));
    assert!(replay["result"]["content"][0]["text"].as_str().unwrap().contains("already used"), "{replay}");
    assert_eq!(category_names(&demo).iter().filter(|n| *n == "Bound tag").count(), 1);
}
