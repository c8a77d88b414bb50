//! The Approvals screen in the real dashboard (tmux) against the real demo
//! binary, whose `res.partner.category` writes wait for confirmation: two
//! calls held over HTTP, the dashboard still showing them after a daemon
//! restart, one approved and one denied with a reason from the keyboard,
//! then `alpenglow_approval_status` runs the approved one once (the
//! sandbox's records are the ground truth) and reports the denial's reason.

use crate::common::demo_at::{DemoAt, cli_ok, export};
use crate::common::http;
use crate::common::tmux::Tmux;
use serde_json::{Value, json};
use std::net::SocketAddr;

fn rpc(addr: SocketAddr, key: &str, method: &str, params: Value) -> Value {
    let r = http::alpenglow_rpc(addr, key, method, params);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// A category created over JSON-RPC, held for confirmation: its approval id.
fn held_create(addr: SocketAddr, key: &str, name: &str) -> u64 {
    let answer = rpc(addr, key, "alpenglow_create", json!({"model": "res.partner.category", "values": {"name": name}}));
    assert_eq!(answer["result"]["status"], "pending_approval", "{answer}");
    answer["result"]["approval_id"].as_u64().unwrap()
}

/// How many categories of that name the sandbox has (JSON-2, as its admin).
fn categories_named(demo: &DemoAt, name: &str) -> usize {
    let addr: SocketAddr = demo.sandbox_url.trim_start_matches("http://").trim_end_matches('/').parse().unwrap();
    let auth = format!("Bearer {}", demo.key("admin"));
    let body = json!({"domain": [["name", "=", name]], "fields": ["name"]});
    let r = http::post_json(addr, "/json/2/res.partner.category/search_read", &[("Authorization", &auth)], &body);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json().as_array().unwrap().len()
}

#[test]
fn an_approval_from_the_dashboard_runs_once_and_a_denial_reports_its_reason() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let mut demo = DemoAt::start(&dir, "tui-approvals");
    let sales = demo.key("sales");
    let approve = held_create(demo.addr, &sales, "Approved in the dashboard");
    let deny = held_create(demo.addr, &sales, "Denied in the dashboard");
    assert_eq!(categories_named(&demo, "Approved in the dashboard"), 0, "held, not sent");

    let socket = dir.join("admin.sock");
    let tui = Tmux::dashboard(&dir, &[("ALPENGLOW_ADMIN_SOCKET", socket.to_str().unwrap())]);
    tui.wait_for("connected · Odoo");
    tui.keys(&["p"]);
    tui.wait_for("Approvals (live) · waiting");
    let row = tui.line_with(&format!("> {approve} "));
    for shown in ["pending", "Demo sales", "res.partner.", "create", "confirm"] {
        assert!(row.contains(shown), "{shown:?} in {row}");
    }
    tui.wait_for(&format!("  {deny} "));

    // The daemon restarts: the queue survives, the screen asks again.
    demo.kill9();
    tui.wait_for("disconnected from the daemon, retrying");
    let demo = DemoAt::start(&dir, "tui-approvals-2");
    tui.wait_for("reconnected to the daemon");
    tui.wait_gone("disconnected from the daemon");
    tui.wait_for(&format!("> {approve} "));

    // The detail is the exact operation, bound to the hash the CLI shows.
    let shown: Value = serde_json::from_str(&cli_ok(&dir, &["approvals", "show", &approve.to_string(), "--json"]))
        .expect("approvals show --json");
    let hash = shown["operation_hash"].as_str().unwrap();
    tui.keys(&["Enter"]);
    let screen = tui.wait_for(&format!("Approval {approve} (live)"));
    for expected in [hash, "{\"name\":\"Approved in the dashboard\"}", "Dry run      no", "Demo sales (credential"] {
        assert!(screen.contains(expected), "{expected:?} in:\n{screen}");
    }
    // y asks first; n leaves it pending.
    tui.keys(&["y"]);
    tui.wait_for("runs it, once.");
    tui.keys(&["n"]);
    tui.wait_for(&format!("approval {approve} not decided"));
    tui.keys(&["y", "y"]);
    tui.wait_for(&format!("approved {approve}: the caller's next status check runs it"));
    tui.wait_for("approved · rule confirm");
    tui.keys(&["Escape"]);

    // Denied with a reason typed in the form.
    // Pending before approved: the one still to decide is on top.
    tui.keys(&["g"]);
    tui.wait_for(&format!("> {deny} "));
    tui.keys(&["d"]);
    tui.wait_for(&format!("Deny approval {deny}"));
    tui.type_text("no tags before the audit");
    tui.keys(&["Enter"]);
    tui.wait_for(&format!("denied approval {deny} (no tags before the audit)"));

    // The caller's check runs the approved one, once; the sandbox has it once.
    let ran = rpc(demo.addr, &sales, "alpenglow_approval_status", json!({"approval_id": approve}));
    assert!(ran.get("error").is_none() && ran["result"].get("status").is_none(), "{ran}");
    let again = rpc(demo.addr, &sales, "alpenglow_approval_status", json!({"approval_id": approve}));
    assert!(again["error"]["message"].as_str().unwrap().contains("already used"), "{again}");
    assert_eq!(categories_named(&demo, "Approved in the dashboard"), 1);
    // The denied one says why, and never reached Odoo.
    let denied = rpc(demo.addr, &sales, "alpenglow_approval_status", json!({"approval_id": deny}));
    assert_eq!(denied["result"]["status"], "denied", "{denied}");
    assert_eq!(denied["result"]["reason"], "no tags before the audit", "{denied}");
    assert_eq!(categories_named(&demo, "Denied in the dashboard"), 0);
    // Both left the waiting list (the screen follows on its own).
    tui.wait_until("the list to empty", |s| s.contains("Nothing waits for a decision"));
    tui.keys(&["h"]);
    tui.wait_until("done and denied rows", |s| {
        s.lines().any(|l| l.contains(&format!(" {approve} ")) && l.contains("done"))
            && s.lines().any(|l| l.contains(&format!(" {deny} ")) && l.contains("denied"))
    });

    // The audit log names the decider from the socket's peer, not the wire.
    let log = export(&dir);
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    for (tool, id) in [("approvals.approve", approve), ("approvals.deny", deny)] {
        let entry = log.iter().find(|e| e["tool"] == tool && e["approval_id"] == id).expect(tool);
        assert!(entry["actor"].as_str().unwrap().contains(&format!("uid {uid}")), "{entry}");
    }
}
