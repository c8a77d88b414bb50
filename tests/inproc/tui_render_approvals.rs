//! The Approvals screen without a terminal: its rendering at 80×24 and
//! 200×50 against the text snapshots in `tests/snapshots/tui/`
//! (`ALPENGLOW_BLESS=1` rewrites them), its keys (requests out, nothing
//! sent before y or the deny form), and a decision made through the real
//! admin service over a real store: the decider is the trail's actor.

use crate::tui_render::{footer, key, press, render_at, snapshot_at};
use alpenglow::admin::api::{self, ApiError, ApproveApproval, DenyApproval, GetApproval, ListApprovals};
use alpenglow::admin::{AdminContext, AdminService};
use alpenglow::admin_socket::AdminClient;
use alpenglow::approvals::{NewApproval, Requester, operation_hash};
use alpenglow::config::ApprovalRule;
use alpenglow::gateway::UpstreamSlot;
use alpenglow::store::Store;
use alpenglow::tui::app::{App, Job, Reply, ScreenId, Tag};
use alpenglow::tui::approval_detail::seconds;
use alpenglow::tui::worker::Link;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};

/// Compares the screen at 80×24 with `NAME.txt` and at 200×50 with `NAME_wide.txt`.
fn snapshots(name: &str, app: &App) {
    for (suffix, width, height) in [("", 80, 24), ("_wide", 200, 50)] {
        snapshot_at(&format!("{name}{suffix}"), app, width, height);
    }
}

fn jobs(app: &mut App) -> Vec<Job> {
    app.take_requests().into_iter().map(|r| r.job).collect()
}

fn admin(request: impl Into<api::Request>) -> Job {
    Job::Admin(request.into())
}

/// The clock the snapshots are drawn at.
const NOW: &str = "2026-12-03T20:10:00Z";

fn approvals_json() -> Value {
    json!([
        {"id": 41, "state": "pending", "rule": "admin", "tool": "alpenglow_execute", "model": "sale.order",
         "summary": "run action_confirm on sale.order with arguments [[7]]", "record_count": 1,
         "operation": {"args": [[7]], "method": "action_confirm", "model": "sale.order"},
         "operation_hash": "9f2c4e1a0b7d3c5e8f6a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e",
         "credential_id": 1, "credential": "Demo admin", "uid": 2, "login": "admin", "face": "jsonrpc",
         "ip": "127.0.0.1", "created_at": "2026-12-03T20:08:30Z", "expires_at": "2026-12-03T20:23:30Z"},
        {"id": 40, "state": "denied", "rule": "confirm", "tool": "alpenglow_create", "model": "res.partner.category",
         "summary": "create 1 res.partner.category record: name = \"VIP\"", "record_count": 1,
         "operation": {"model": "res.partner.category", "values": {"name": "VIP"}},
         "operation_hash": "11aa", "credential_id": 2, "credential": "Demo sales", "uid": 6, "login": "sales",
         "face": "mcp", "ip": "10.0.0.5", "created_at": "2026-12-03T19:40:00Z", "expires_at": "2026-12-03T19:55:00Z",
         "decided_by": "ann (uid 1000, pid 4242)", "decided_at": "2026-12-03T19:41:00Z", "reason": "no new tags this week"},
        {"id": 39, "state": "pending", "rule": "confirm", "tool": "alpenglow_update", "model": "res.partner.category",
         "summary": "update 2 res.partner.category records (ids 3, 4): color = 5", "record_count": 2,
         "operation": {"model": "res.partner.category", "ids": [3, 4], "values": {"color": 5}, "dry_run": true},
         "operation_hash": "22bb", "credential_id": 2, "credential": "Demo sales", "uid": 6, "login": "sales",
         "face": "rest", "ip": "10.0.0.5", "created_at": "2026-12-03T20:00:00Z", "expires_at": "2026-12-03T20:15:00Z"},
        {"id": 38, "state": "done", "rule": "admin", "tool": "alpenglow_execute", "model": "sale.order",
         "summary": "run action_cancel on sale.order with arguments [[5]]", "record_count": 1,
         "operation": {"args": [[5]], "method": "action_cancel", "model": "sale.order"},
         "operation_hash": "33cc", "credential_id": 1, "credential": "Demo admin", "uid": 2, "login": "admin",
         "face": "mcp", "ip": "127.0.0.1", "created_at": "2026-12-03T19:00:00Z", "expires_at": "2026-12-03T19:30:00Z",
         "decided_by": "ann (uid 1000, pid 4242)", "decided_at": "2026-12-03T19:01:00Z",
         "started_at": "2026-12-03T19:02:00Z", "finished_at": "2026-12-03T19:02:01Z", "result": "ok"}
    ])
}

/// The dashboard on the Approvals screen, its list answered, the clock fixed.
fn approvals_app(all: bool) -> App {
    let mut app = App::new();
    app.approvals.clock = seconds(NOW);
    app.go(ScreenId::Approvals);
    if all {
        press(&mut app, "h");
    }
    app.take_requests();
    let every = approvals_json();
    let list: Vec<Value> =
        every.as_array().unwrap().iter().filter(|a| all || a["state"] == "pending").cloned().collect();
    app.on_reply(Reply { tag: Tag::Approvals, result: Ok(Value::Array(list)) });
    app
}

#[test]
fn the_list_puts_waiting_approvals_first_and_h_shows_the_decided_ones() {
    let mut app = App::new();
    press(&mut app, "p");
    assert_eq!(app.screen, ScreenId::Approvals, "Home's p opens it");
    assert_eq!(jobs(&mut app), [admin(ListApprovals { all: false })]);

    let app = approvals_app(false);
    let screen = render_at(&app, 80, 24);
    let first = screen.lines().position(|l| l.contains("> 39")).expect(&screen);
    let second = screen.lines().position(|l| l.contains("  41")).expect(&screen);
    assert!(first < second, "the one expiring first comes first:\n{screen}");
    assert!(screen.contains("in 5m00s") && screen.contains("in 13m30s"), "countdowns:\n{screen}");
    snapshots("approvals", &app);

    let mut app = approvals_app(true);
    snapshots("approvals_all", &app);
    let screen = render_at(&app, 80, 24);
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("Demo ")).collect();
    let ids: Vec<&str> =
        rows.iter().map(|l| l.split_whitespace().find(|w| w.parse::<u64>().is_ok()).unwrap()).collect();
    assert_eq!(ids, ["39", "41", "40", "38"], "waiting first, then newest first:\n{screen}");
    assert!(rows[2].contains("denied") && rows[2].contains("30m00s ago"), "{}", rows[2]);
    // h again: waiting ones only, asked of the daemon.
    press(&mut app, "h");
    assert_eq!(jobs(&mut app), [admin(ListApprovals { all: false })]);
    // The search goes through every column.
    press(&mut app, "h/");
    press(&mut app, "ann");
    app.take_requests();
    assert!(footer(&app).contains("type to search"), "{}", footer(&app));
}

#[test]
fn the_detail_shows_the_exact_operation_and_who_asked_from_where() {
    let mut app = approvals_app(false);
    app.on_key(key(KeyCode::Enter));
    assert_eq!(jobs(&mut app), [admin(GetApproval { id: 39 })], "fresh from the daemon");
    let screen = render_at(&app, 80, 24);
    for shown in [
        "Approval 39",
        "alpenglow_update",
        "[3,4] (2 records)",
        "{\"color\":5}",
        "Dry run      yes",
        "Demo sales (credential 2) · Odoo user sales (uid 6)",
        "10.0.0.5 over rest",
        "20:15:00 UTC (in 5m00s)",
        "y approve · d deny",
    ] {
        assert!(screen.contains(shown), "{shown:?} in:\n{screen}");
    }
    snapshots("approval_detail", &app);
    // The detail follows the daemon: a denial made elsewhere shows.
    let mut denied = approvals_json()[2].clone();
    denied["state"] = json!("denied");
    denied["decided_by"] = json!("bob (uid 1001, pid 7)");
    denied["decided_at"] = json!("2026-12-03T20:09:00Z");
    app.on_reply(Reply { tag: Tag::Approval, result: Ok(denied) });
    let screen = render_at(&app, 80, 24);
    assert!(screen.contains("denied by bob (uid 1001, pid 7)"), "{screen}");
    // A decided one cannot be decided again: said, nothing sent.
    press(&mut app, "y");
    assert!(jobs(&mut app).is_empty());
    assert!(footer(&app).contains("approval 39 is denied: only a pending one can be decided"), "{}", footer(&app));
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.screen, ScreenId::Approvals, "Esc leaves the detail first");
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.screen, ScreenId::Home);
}

#[test]
fn approve_asks_first_and_deny_takes_an_optional_reason() {
    let mut app = approvals_app(false);
    // y asks; n sends nothing.
    press(&mut app, "y");
    assert!(render_at(&app, 80, 24).contains("Approve 39: update 2 res.partner.category records"));
    assert_eq!(footer(&app).split_at(2).1, "y yes · n/Esc no");
    press(&mut app, "n");
    assert!(jobs(&mut app).is_empty());
    press(&mut app, "yy");
    assert_eq!(jobs(&mut app), [admin(ApproveApproval { id: 39, ..Default::default() })]);

    // d opens the form; typing (q, digits and all) goes into the reason.
    press(&mut app, "j");
    press(&mut app, "d");
    assert!(app.current().typing());
    press(&mut app, "not before the q4 close");
    assert_eq!(app.screen, ScreenId::Approvals);
    assert!(jobs(&mut app).is_empty(), "nothing sent while typing");
    assert_eq!(footer(&app).split_at(2).1, "type a reason (optional) · Enter/Ctrl-S deny · Esc cancel");
    snapshots("approval_deny", &app);
    app.on_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
    let reason = Some("not before the q4 close".to_string());
    assert_eq!(jobs(&mut app), [admin(DenyApproval { id: 41, reason, ..Default::default() })]);
    // A refusal shows in the form and on the status line, marked.
    app.on_reply(Reply { tag: Tag::DecideApproval, result: Err(ApiError::invalid("approval 41 is already decided")) });
    assert!(render_at(&app, 80, 24).contains("! approval 41 is already decided"));
    assert!(app.message_is_error && footer(&app).contains("! refused: approval 41 is already decided"));
    // Esc closes it, nothing sent; Enter with no reason denies without one.
    app.on_key(key(KeyCode::Esc));
    app.take_requests();
    assert!(!app.current().typing());
    press(&mut app, "d");
    app.on_key(key(KeyCode::Enter));
    assert_eq!(jobs(&mut app), [admin(DenyApproval { id: 41, reason: None, ..Default::default() })]);
}

#[test]
fn the_screen_is_live_and_refreshed_when_the_daemon_is_back() {
    let mut app = approvals_app(false);
    for _ in 0..20 {
        app.on_tick();
    }
    let tags: Vec<Tag> = app.take_requests().into_iter().map(|r| r.tag).collect();
    assert!(tags.contains(&Tag::Approvals), "{tags:?}");
    app.on_key(key(KeyCode::Enter));
    app.take_requests();
    app.on_link(Link::Down("gone".into()));
    app.on_link(Link::Back);
    let sent = jobs(&mut app);
    assert!(sent.contains(&admin(ListApprovals { all: false })), "{sent:?}");
    assert!(sent.contains(&admin(GetApproval { id: 39 })), "the detail shown too: {sent:?}");
    // An older daemon without the queue is named, not shown as empty.
    app.on_key(key(KeyCode::Esc));
    app.on_reply(Reply { tag: Tag::Approvals, result: Err(ApiError::invalid("unknown operation approvals.list")) });
    assert!(render_at(&app, 80, 24).contains("this daemon keeps no approval queue"));
}

/// A pending approval in a real store, as the gateway makes one.
fn held(admin: &AdminService, model: &str, params: Value) -> u64 {
    let now = alpenglow::audit::now_micros();
    let requester = Requester {
        credential_id: Some(7),
        credential_label: Some("Claude - Ann".into()),
        uid: 6,
        login: "ann".into(),
        face: "mcp".into(),
        client_ip: "10.0.0.9".into(),
    };
    let new = NewApproval {
        rule: ApprovalRule::Admin,
        tool: "alpenglow_update".into(),
        params: params.to_string(),
        model: model.into(),
        operation_hash: operation_hash(&params.to_string()),
        summary: format!("update 1 {model} record (ids 3): name = \"x\""),
        record_count: 1,
        requester,
        now_us: now,
        ttl_us: 900_000_000,
    };
    admin.rooms().approvals().create(new).unwrap().id
}

#[test]
fn decisions_go_through_the_admin_api_and_record_the_trails_actor() {
    let dir = tempfile::tempdir().unwrap();
    let service = AdminService::new(Store::open(dir.path()).unwrap(), Default::default());
    let approve = held(&service, "res.partner", json!({"model": "res.partner", "ids": [3], "values": {"name": "x"}}));
    let deny = held(&service, "sale.order", json!({"model": "sale.order", "ids": [3], "values": {"name": "x"}}));
    let api = AdminClient::in_process(AdminContext::new(service.clone(), UpstreamSlot::default(), None, "test"));
    let api = api.unwrap();
    let fetch = |app: &mut App| {
        for request in app.take_requests() {
            let Job::Admin(call) = request.job else { panic!("{request:?}") };
            app.on_reply(Reply { tag: request.tag, result: api.send(call) });
        }
    };
    let mut app = App::new();
    press(&mut app, "p");
    fetch(&mut app);
    let screen = render_at(&app, 80, 24);
    assert!(screen.contains("Claude - A…") && screen.contains("res.partner"), "{screen}");

    let on = |app: &App, id: u64| app.approvals.visible().iter().position(|a| a.id == id).unwrap();
    app.approvals.list.cursor = on(&app, approve);
    press(&mut app, "yy");
    fetch(&mut app);
    fetch(&mut app);
    assert!(footer(&app).contains(&format!("approved {approve}")), "{}", footer(&app));
    app.approvals.list.cursor = on(&app, deny);
    press(&mut app, "d");
    press(&mut app, "wrong customer");
    app.on_key(key(KeyCode::Enter));
    fetch(&mut app);
    fetch(&mut app);
    assert!(footer(&app).contains(&format!("denied approval {deny} (wrong customer)")), "{}", footer(&app));

    // The store has the decisions, by the admin API's actor.
    let stored = |id| service.rooms().approvals().get(id).unwrap();
    let (yes, no) = (stored(approve), stored(deny));
    assert_eq!((yes.state.name(), no.state.name()), ("approved", "denied"));
    let actor = alpenglow::admin::Actor::cli_no_daemon();
    for decision in [yes.decision.unwrap(), no.decision.unwrap()] {
        assert_eq!(decision.by, actor.as_str(), "the trail's actor");
        assert!(decision.by_admin);
    }
    assert_eq!(no_reason(&service, deny), Some("wrong customer".into()));
    // Waiting only: both left the list once decided.
    assert!(app.approvals.visible().iter().all(|a| a.state == "approved" || a.id != deny), "{:?}", app.approvals);
}

fn no_reason(service: &AdminService, id: u64) -> Option<String> {
    service.rooms().approvals().get(id).unwrap().decision.and_then(|d| d.reason)
}

#[test]
fn home_counts_the_calls_waiting_for_a_decision() {
    let dir = tempfile::tempdir().unwrap();
    let service = AdminService::new(Store::open(dir.path()).unwrap(), Default::default());
    let api = AdminClient::in_process(AdminContext::new(service.clone(), UpstreamSlot::default(), None, "test"));
    let api = api.unwrap();
    let home = |app: &mut App| {
        app.on_reply(Reply { tag: Tag::Status, result: api.send(api::GetStatus {}.into()) });
        // A store without Odoo settings opens the wizard first: Home is what is looked at here.
        app.go(ScreenId::Home);
        render_at(app, 80, 24)
    };
    let mut app = App::new();
    // Nothing waiting: no line about approvals.
    assert!(!home(&mut app).contains("for a decision"), "{}", home(&mut app));
    let first = held(&service, "res.partner", json!({"model": "res.partner", "ids": [3], "values": {"name": "x"}}));
    held(&service, "sale.order", json!({"model": "sale.order", "ids": [4], "values": {"name": "y"}}));
    let screen = home(&mut app);
    assert!(screen.contains("Approvals             2 calls wait for a decision (p)"), "{screen}");
    assert!(screen.contains("[p] Approvals"), "the quick action stays on screen at 80x24: {screen}");
    // A decided one no longer waits.
    api.call(ApproveApproval { id: first, reason: None, actor: String::new() }).unwrap();
    assert!(home(&mut app).contains("1 call waits for a decision (p)"), "{}", home(&mut app));
}
