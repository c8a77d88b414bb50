//! The dashboard without a terminal or a daemon: rendering of every screen
//! and state at 80×24 with ratatui's TestBackend, compared with the text
//! snapshots in `tests/snapshots/tui/` (`ALPENGLOW_BLESS=1` rewrites them),
//! and the state logic (keys in, admin requests out) without rendering.

use alpenglow::admin::api::{
    self, ApiError, ApproveSignup, CreateCredential, EndSession, ListGrants, ListOAuthClients, ListOdooFields,
    ListOdooModels, ListOdooUsers, ListSignups, QueryAudit, RefuseSignup, RevokeCredential, RevokeGrant, SecretText,
    SetSetting, ShowSettings,
};
use alpenglow::admin::{AdminContext, AdminService};
use alpenglow::admin_socket::AdminClient;
use alpenglow::audit::AuditEntry;
use alpenglow::gateway::UpstreamSlot;
use alpenglow::store::Store;
use alpenglow::tui::app::{App, Job, Loadable, Reply, Request, ScreenId, Tag};
use alpenglow::tui::view;
use alpenglow::tui::worker::{Event, Link, Worker};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use serde_json::{Value, json};

pub(crate) fn render(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width).map(|x| buffer[(x, y)].symbol().to_string()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn snapshot(name: &str, app: &App) {
    snapshot_text(name, render(app));
}

/// A snapshot drawn at `width` × `height`.
pub(crate) fn snapshot_at(name: &str, app: &App, width: u16, height: u16) {
    let mut text = render_at(app, width, height).lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    text.push('\n');
    snapshot_text(name, text);
}

fn snapshot_text(name: &str, text: String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/tui").join(format!("{name}.txt"));
    if std::env::var_os("ALPENGLOW_BLESS").is_some() || !path.exists() {
        std::fs::write(&path, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, expected, "{name}: rendering changed; ALPENGLOW_BLESS=1 rewrites {}", path.display());
}

pub(crate) fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::from(code)
}

pub(crate) fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        app.on_key(key(KeyCode::Char(c)));
    }
}

fn reply(app: &mut App, tag: Tag, value: Value) {
    app.on_reply(Reply { tag, result: Ok(value) });
}

/// The job of an admin API request.
fn admin(request: impl Into<api::Request>) -> Job {
    Job::Admin(request.into())
}

fn set(key: &str, value: &str) -> Job {
    admin(SetSetting { key: key.into(), value: value.into() })
}

fn setting(key: &str, label: &str, value: Value, allowed: &str) -> Value {
    json!({"key": key, "label": label, "value": value, "default": value, "allowed": allowed, "source": "default"})
}

/// An app as the daemon of a demo would fill it.
fn demo_app() -> App {
    let mut app = App::new();
    app.start();
    reply(
        &mut app,
        Tag::Status,
        json!({"mode": "alpenglow demo", "uptime_seconds": 75, "mcp_enabled": true, "resources": 2,
               "gateway": {"url": "http://127.0.0.1:8765", "mcp_url": "http://127.0.0.1:8765/alpenglow/mcp"},
               "credentials_active": 1, "odoo": {"configured": true, "connected": true, "version": "19.0",
               "protocol": "json2", "url": "http://127.0.0.1:8069", "database": "demo", "service_key": true},
               "traffic": {"requests_per_minute": 12, "errors_last_hour": 1, "active_sessions": 2, "rate_limited_last_hour": 0}}),
    );
    reply(
        &mut app,
        Tag::Settings,
        json!({"settings": [
            setting("enable_mcp", "Enable MCP Access", json!(true), "on or off"),
            setting("max_records_per_request", "Max Records per Request", json!(500), "a whole number from 10 to 10,000"),
            setting("max_search_limit", "Max Search Limit", json!(1000), "a whole number from 100 to 50,000"),
        ], "warnings": []}),
    );
    reply(
        &mut app,
        Tag::Resources,
        json!([
            {"id": 1, "model": "res.partner", "company_id": null, "read_only": false, "can_read": true, "can_create": true,
             "can_write": true, "can_delete": false, "effective_operations": ["read", "create", "write"],
             "field_policy": "denylist", "fields": ["email"], "record_filter": "[('active', '=', True)]", "execute_methods": []},
            {"id": 2, "model": "sale.order", "company_id": 1, "read_only": true, "can_read": true, "can_create": false,
             "can_write": false, "can_delete": false, "effective_operations": ["read"], "field_policy": "all",
             "fields": [], "record_filter": "", "execute_methods": []}
        ]),
    );
    reply(
        &mut app,
        Tag::Credentials,
        json!([{"id": 3, "label": "Claude - Ann", "user_id": 6, "login": "ann", "scope": "read-only", "expires_on": null,
                "company_id": null, "status": "active", "created_at": "2026-11-27T10:00:00Z", "revoked_at": null,
                "key_prefix": "5f3c9a7e", "last_used": "2026-11-27T11:00:00Z", "last_ip": "10.0.0.5", "request_count": 42}]),
    );
    app.take_requests();
    app
}

#[test]
fn home_settings_and_lists_render() {
    let mut app = demo_app();
    snapshot("home", &app);
    app.help = true;
    snapshot("home_help", &app);
    app.help = false;
    press(&mut app, "s");
    snapshot("settings", &app);
    press(&mut app, "j");
    app.on_key(key(KeyCode::Enter));
    app.on_key(key(KeyCode::Backspace));
    app.on_key(key(KeyCode::Backspace));
    snapshot("settings_invalid", &app);
    press(&mut app, "3");
    assert!(app.settings.editing.is_some(), "typing goes to the input, not to the tabs");
    app.on_key(key(KeyCode::Esc));
    app.on_key(key(KeyCode::Esc));
    press(&mut app, "3");
    snapshot("resources", &app);
    press(&mut app, "d");
    snapshot("resources_confirm_delete", &app);
    press(&mut app, "n");
    press(&mut app, "4");
    snapshot("credentials", &app);
    press(&mut app, "d");
    snapshot("credentials_confirm_revoke", &app);
}

#[test]
fn settings_refuse_invalid_input_inline_and_send_nothing() {
    let mut app = demo_app();
    app.go(ScreenId::Settings);
    app.take_requests();
    press(&mut app, "j");
    app.on_key(key(KeyCode::Enter));
    for _ in 0..3 {
        app.on_key(key(KeyCode::Backspace));
    }
    press(&mut app, "5");
    assert!(app.settings.error.as_deref().unwrap().contains("from 10 to 10,000"));
    app.on_key(key(KeyCode::Enter));
    assert!(app.take_requests().is_empty(), "nothing is sent for an invalid value");
    press(&mut app, "0");
    assert_eq!(app.settings.error, None);
    app.on_key(key(KeyCode::Enter));
    let sent = app.take_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].job, set("max_records_per_request", "50"));
    // A switch flips at once, but turning MCP off asks first (n keeps it).
    app.on_key(key(KeyCode::Esc));
    app.settings.editing = None;
    press(&mut app, "k");
    app.on_key(key(KeyCode::Enter));
    assert!(app.take_requests().is_empty(), "one Enter cuts no client off");
    snapshot("settings_confirm_mcp_off", &app);
    press(&mut app, "n");
    assert!(app.take_requests().is_empty());
    app.on_key(key(KeyCode::Enter));
    press(&mut app, "y");
    assert_eq!(app.take_requests()[0].job, set("enable_mcp", "off"));
}

#[test]
fn add_resources_wizard_picks_models_and_applies_one_permission_set() {
    let mut app = demo_app();
    app.go(ScreenId::Resources);
    press(&mut app, "a");
    let sent = app.take_requests();
    assert_eq!(sent[0].job, admin(ListOdooModels::default()));
    snapshot("wizard_loading", &app);
    reply(
        &mut app,
        Tag::Models,
        json!([{"model": "crm.lead", "name": "Lead"}, {"model": "product.product", "name": "Product"},
               {"model": "product.template", "name": "Product Template"}]),
    );
    press(&mut app, "/product");
    app.on_key(key(KeyCode::Enter));
    press(&mut app, " j ");
    snapshot("wizard_models", &app);
    app.on_key(key(KeyCode::Enter));
    // The permission form: writable, read+write, a record filter checked as typed.
    press(&mut app, "jjjj ");
    for _ in 0..4 {
        press(&mut app, "j");
    }
    app.on_key(key(KeyCode::Enter));
    press(&mut app, "[('active', '=')]");
    snapshot("wizard_form_bad_filter", &app);
    for _ in 0..2 {
        app.on_key(key(KeyCode::Backspace));
    }
    press(&mut app, ", True)]");
    app.on_key(key(KeyCode::Enter));
    assert!(matches!(&app.resources.mode, alpenglow::tui::resources::Mode::Form(f) if f.filter_error.is_none()));
    app.on_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
    let sent = app.take_requests();
    assert_eq!(sent.len(), 1);
    let Job::Admin(api::Request::AddResources(add)) = &sent[0].job else { panic!("{:?}", sent[0]) };
    assert_eq!(add.models, ["product.product", "product.template"]);
    assert_eq!(add.patch.ops.as_deref(), Some("read,write"));
    assert_eq!(add.patch.record_filter.as_deref(), Some("[('active', '=', True)]"));
    assert_eq!(add.patch.company_id, Some(None), "all companies");
}

#[test]
fn the_model_picker_leaves_out_models_no_resource_may_expose() {
    let mut app = demo_app();
    app.go(ScreenId::Resources);
    press(&mut app, "a");
    reply(
        &mut app,
        Tag::Models,
        json!([{"model": "ir.config_parameter", "name": "System Parameter"},
               {"model": "res.partner", "name": "Contact"}, {"model": "ir.rule", "name": "Record Rule"}]),
    );
    let alpenglow::tui::resources::Mode::PickModels(picker) = &app.resources.mode else { panic!("not picking") };
    let offered: Vec<&str> = picker.items.iter().map(|(model, _)| model.as_str()).collect();
    assert_eq!(offered, ["res.partner"], "registration refuses the others, so they are not offered");
}

#[test]
fn field_policy_picks_from_the_models_real_fields() {
    let mut app = demo_app();
    app.go(ScreenId::Resources);
    press(&mut app, "jk");
    app.on_key(key(KeyCode::Enter));
    let sent = app.take_requests();
    assert_eq!(sent[0].job, admin(ListOdooFields { model: "res.partner".into() }));
    reply(
        &mut app,
        Tag::Fields("res.partner".into()),
        json!([{"name": "email", "string": "Email", "type": "char"}, {"name": "name", "string": "Name", "type": "char"},
               {"name": "phone", "string": "Phone", "type": "char"}]),
    );
    for _ in 0..7 {
        press(&mut app, "j");
    }
    app.on_key(key(KeyCode::Enter));
    press(&mut app, "jj ");
    snapshot("field_picker", &app);
    app.on_key(key(KeyCode::Enter));
    app.on_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
    let sent = app.take_requests();
    let Job::Admin(api::Request::EditResource(edit)) = &sent[0].job else { panic!("{:?}", sent[0]) };
    assert_eq!(edit.patch.fields, Some(vec!["email".to_string(), "phone".to_string()]));
    assert_eq!(edit.patch.field_policy.as_deref(), Some("denylist"));
}

#[test]
fn credential_form_sends_the_key_once_checked_and_refusals_show_inline() {
    let mut app = demo_app();
    app.go(ScreenId::Credentials);
    press(&mut app, "a");
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.take_requests()[0].job, admin(ListOdooUsers {}));
    reply(
        &mut app,
        Tag::Users,
        json!([{"id": 2, "login": "admin", "name": "Mitchell Admin"}, {"id": 6, "login": "sales", "name": "Sally Sales"}]),
    );
    press(&mut app, "j");
    app.on_key(key(KeyCode::Enter));
    press(&mut app, "j");
    app.on_key(key(KeyCode::Enter));
    press(&mut app, "Claude - Sally");
    app.on_key(key(KeyCode::Enter));
    press(&mut app, "j");
    app.on_key(key(KeyCode::Enter));
    app.on_paste("18e62e8fbcb97395abd671f722a26e4285e5ff62");
    app.on_key(key(KeyCode::Enter));
    press(&mut app, "j ");
    press(&mut app, "j");
    app.on_key(key(KeyCode::Enter));
    press(&mut app, "2001-01-01x");
    snapshot("credential_form", &app);
    assert!(!render(&app).contains("18e62e8f"), "the key is never drawn");
    for _ in 0..11 {
        app.on_key(key(KeyCode::Backspace));
    }
    app.on_key(key(KeyCode::Enter));
    app.on_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
    let sent = app.take_requests();
    assert_eq!(
        sent[0].job,
        admin(CreateCredential {
            label: "Claude - Sally".into(),
            user_id: 6,
            login: "sales".into(),
            scope: Some("read-only".into()),
            expires: None,
            company_id: None,
            key: SecretText("18e62e8fbcb97395abd671f722a26e4285e5ff62".into()),
            check: true,
        })
    );
    app.on_reply(Reply {
        tag: Tag::CreateCredential,
        result: Err(ApiError::invalid("Odoo does not accept this API key: authentication failed")),
    });
    assert!(render(&app).contains("! Odoo does not accept this API key"));
}

#[test]
fn revoke_asks_first() {
    let mut app = demo_app();
    app.go(ScreenId::Credentials);
    press(&mut app, "d");
    assert!(app.take_requests().is_empty());
    press(&mut app, "y");
    let sent = app.take_requests();
    assert_eq!(sent[0].job, admin(RevokeCredential { id: 3 }));
}

#[test]
fn audit_and_sessions_render_entries_or_say_what_is_missing() {
    let mut app = demo_app();
    press(&mut app, "l");
    let sent = app.take_requests();
    assert_eq!(sent[0].job, admin(QueryAudit { limit: Some(200), count: true, ..QueryAudit::default() }));
    assert_eq!(sent[1].job, admin(alpenglow::admin::api::GetAuditStatus {}));
    app.on_reply(Reply { tag: Tag::Audit, result: Err(ApiError::invalid("unknown operation \"audit.query\"")) });
    snapshot("audit_missing", &app);
    reply(
        &mut app,
        Tag::Audit,
        json!({"entries": [{"time": "2026-11-27T10:00:05Z", "credential": "Claude - Ann", "tool": "alpenglow_search", "model": "res.partner", "outcome": "ok", "ip": "10.0.0.5"},
               {"time": "2026-11-27T10:00:01Z", "credential": "Claude - Ann", "tool": "alpenglow_delete", "model": "sale.order", "outcome": "denied", "ip": "10.0.0.5"}], "next_cursor": null}),
    );
    // The chain's line: the latest checkpoint and the last verification.
    reply(
        &mut app,
        Tag::AuditChain,
        json!({"seq": 1290, "hash": "ab", "checkpoint": {"seq": 1284, "time": "2026-11-27T10:00:00Z", "kind": "periodic", "note": "..."},
               "last_verification": {"checked_at": "2026-11-27T10:00:03Z", "ok": true, "entries": 1284, "summary": "verified 1284 entries"}}),
    );
    snapshot("audit", &app);
    assert!(render(&app).contains(" seq 1290 · signed 1284 (periodic 11-27 10:00) · verified ok 11-27 10:00 "));
    reply(
        &mut app,
        Tag::AuditChain,
        json!({"seq": 1290, "last_verification": {"checked_at": "2026-11-27T10:00:03Z", "ok": false, "broken": {"seq": 77, "reason": "altered"}}}),
    );
    assert!(render(&app).contains("no checkpoint yet · BROKEN at seq 77 (11-27 10:00)"), "{}", render(&app));
    press(&mut app, "f");
    press(&mut app, "1h");
    app.on_key(key(KeyCode::Enter));
    let since = QueryAudit { limit: Some(200), from: Some("1h".into()), count: true, ..QueryAudit::default() };
    assert_eq!(app.take_requests()[0].job, admin(since));
    assert!(matches!(app.audit.entries, Loadable::Ready(_)));
    press(&mut app, "6");
    app.take_requests();
    reply(
        &mut app,
        Tag::Sessions,
        json!([{"id": "a1b2c3", "client": {"name": "claude-ai", "version": "1.0"}, "credential": "Claude - Ann", "ip": "10.0.0.5", "last_activity": "2026-11-27T10:00:05Z", "requests": 7}]),
    );
    snapshot("sessions", &app);
    press(&mut app, "dy");
    assert_eq!(app.take_requests()[0].job, admin(EndSession { id: "a1b2c3".into() }));
    // Sessions are searched like every list; Esc clears the search first.
    press(&mut app, "/nomatch");
    app.on_key(key(KeyCode::Enter));
    assert!(render(&app).contains("No session matches the search."));
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.screen, ScreenId::Sessions, "Esc cleared the search");
    assert!(render(&app).contains("a1b2c3"));
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.screen, ScreenId::Home);
}

/// Two grants as the daemon lists them: a live one and a revoked one.
fn grants_json() -> Value {
    json!([
        {"id": 7, "client": "Claude", "client_id": "https://claude.ai/oauth/mcp-oauth-client-metadata",
         "client_host": "claude.ai", "credential_id": 3, "uid": 6, "login": "ann", "scopes": "odoo.read odoo.write",
         "created_at": "2026-11-27T10:00:00Z", "last_used": "2026-11-27T11:30:00Z", "status": "active", "key_kept": true},
        {"id": 5, "client": "Cursor", "client_id": "agw_client_1", "client_host": "127.0.0.1", "credential_id": 3,
         "uid": 6, "login": "ann", "scopes": "odoo.read", "created_at": "2026-11-26T09:00:00Z", "last_used": null,
         "status": "revoked", "revoked_at": "2026-11-26T18:00:00Z", "revoked_why": "revoked by an administrator",
         "key_kept": false}
    ])
}

#[test]
fn remote_connectors_list_grants_clients_and_sign_ups_and_change_them_only_after_asking() {
    let mut app = demo_app();
    reply(
        &mut app,
        Tag::Settings,
        json!({"settings": [
            setting("oauth_enabled", "OAuth for Remote Connectors", json!(true), "on or off"),
            setting("oauth_client_hosts", "OAuth Client Hosts", json!("claude.ai, chatgpt.com"), "host names"),
        ], "warnings": []}),
    );
    // From Home, every credential's live grants.
    press(&mut app, "o");
    assert_eq!(app.screen, ScreenId::OAuth);
    assert_eq!(app.take_requests()[0].job, admin(ListGrants { credential: None, all: false }));
    reply(&mut app, Tag::OAuthGrants, grants_json());
    snapshot("oauth_grants", &app);
    let text = render(&app);
    assert!(text.contains("Claude (claude.ai)") && text.contains("rw-") && text.contains("active"), "{text}");
    assert!(text.contains("OAuth ON (t: turn off)"), "{text}");
    // Revoke asks first; n keeps it.
    press(&mut app, "d");
    snapshot("oauth_confirm_revoke", &app);
    press(&mut app, "n");
    assert!(app.take_requests().is_empty());
    press(&mut app, "dy");
    assert_eq!(app.take_requests()[0].job, admin(RevokeGrant { id: 7 }));
    // A revoked grant is not revoked again.
    press(&mut app, "j");
    press(&mut app, "d");
    assert!(app.oauth.pending.is_none() && app.take_requests().is_empty());
    assert!(app.message.as_deref().unwrap_or_default().contains("already revoked"));
    press(&mut app, "h");
    assert_eq!(app.take_requests()[0].job, admin(ListGrants { credential: None, all: true }));
    // Turning OAuth off is a setting.
    press(&mut app, "t");
    assert_eq!(app.take_requests()[0].job, set("oauth_enabled", "off"));
    // The registered clients, then the sign-ups.
    press(&mut app, "v");
    assert_eq!(app.take_requests()[0].job, admin(ListOAuthClients {}));
    reply(
        &mut app,
        Tag::OAuthClients,
        json!([{"client_id": "agw_client_1", "name": "Cursor", "redirect_uris": ["cursor://anysphere.cursor-mcp/oauth/callback"],
                "registered_at": "2026-11-26T09:00:00Z", "registered_ip": "203.0.113.9"}]),
    );
    snapshot("oauth_clients", &app);
    press(&mut app, "v");
    assert_eq!(app.take_requests()[0].job, admin(ListSignups {}));
    reply(
        &mut app,
        Tag::OAuthSignups,
        json!([{"id": 2, "uid": 9, "login": "bob", "name": "Bob", "client": "ChatGPT", "requested_at": "2026-11-27T12:00:00Z",
                "status": "pending"},
               {"id": 1, "uid": 8, "login": "eve", "name": "Eve", "client": "ChatGPT", "requested_at": "2026-11-20T12:00:00Z",
                "status": "refused", "decided_at": "2026-11-20T13:00:00Z"}]),
    );
    snapshot("oauth_signups", &app);
    press(&mut app, "a");
    assert!(app.take_requests().is_empty(), "approving asks first");
    press(&mut app, "y");
    assert_eq!(app.take_requests()[0].job, admin(ApproveSignup { id: 2 }));
    press(&mut app, "dy");
    assert_eq!(app.take_requests()[0].job, admin(RefuseSignup { id: 2 }));
    press(&mut app, "j");
    press(&mut app, "a");
    assert!(app.oauth.pending.is_none(), "a decided sign-up is not decided again");
    // From Credentials, the selected credential's grants only.
    press(&mut app, "4");
    app.take_requests();
    press(&mut app, "o");
    assert_eq!(app.screen, ScreenId::OAuth);
    assert_eq!(app.take_requests()[0].job, admin(ListGrants { credential: Some(3), all: false }));
    reply(&mut app, Tag::OAuthGrants, json!([]));
    assert!(render(&app).contains("grants of credential 3"), "{}", render(&app));
    press(&mut app, "c");
    assert_eq!(app.take_requests()[0].job, admin(ListGrants { credential: None, all: false }));
    // An older daemon without the operations.
    app.on_reply(Reply { tag: Tag::OAuthGrants, result: Err(ApiError::invalid("unknown operation \"oauth.grants\"")) });
    assert!(render(&app).contains("no OAuth operations"), "{}", render(&app));
}

#[test]
fn first_run_opens_the_setup_wizard() {
    let mut app = App::new();
    app.start();
    app.take_requests();
    reply(&mut app, Tag::Settings, json!({"settings": [], "warnings": []}));
    reply(&mut app, Tag::Status, json!({"mcp_enabled": false, "odoo": {"configured": false, "connected": false}}));
    assert_eq!(app.screen, ScreenId::Setup);
    app.on_key(key(KeyCode::Enter));
    press(&mut app, "odoo.local");
    snapshot("setup_invalid_url", &app);
    app.on_key(key(KeyCode::Char('u')).with_ctrl());
    press(&mut app, "https://odoo.example.com");
    app.on_key(key(KeyCode::Enter));
    press(&mut app, "j");
    app.on_key(key(KeyCode::Enter));
    press(&mut app, "prod");
    app.on_key(key(KeyCode::Enter));
    press(&mut app, "j");
    app.on_key(key(KeyCode::Enter));
    let sent = app.take_requests();
    assert_eq!(
        sent.iter().map(|r| r.job.clone()).collect::<Vec<_>>(),
        vec![set("odoo_url", "https://odoo.example.com"), set("odoo_database", "prod")]
    );
    reply(&mut app, Tag::SaveSetting("odoo_url".into()), json!({}));
    reply(&mut app, Tag::SaveSetting("odoo_database".into()), json!({}));
    assert_eq!(app.setup.step, 1);
    snapshot("setup_test", &app);
}

#[test]
fn setup_ends_with_this_daemons_client_configuration_copyable_from_the_screen() {
    let mut app = demo_app();
    press(&mut app, "w");
    for _ in 0..7 {
        press(&mut app, "s");
    }
    assert_eq!(app.setup.step, 7);
    snapshot("setup_claude_desktop", &app);
    let screen = render(&app);
    assert!(screen.contains("MCP URL: http://127.0.0.1:8765/alpenglow/mcp"), "{screen}");
    assert!(screen.contains("alpenglow client-config claude-desktop"), "{screen}");
    // The entry as a terminal copies it: the rows it wraps onto, with no
    // border, joined by line breaks; it parses, and is `client-config`'s.
    let rows: Vec<&str> = screen.lines().collect();
    let first = rows.iter().position(|r| r.starts_with(r#"{"mcpServers""#)).expect(&screen);
    let last = first + rows[first..].iter().position(|r| r.ends_with("}}}")).expect(&screen);
    assert!(last > first, "at 80 columns the entry wraps: {screen}");
    let copied = rows[first..=last].join("\n");
    assert!(!copied.contains('│'), "{copied}");
    let parsed: Value = serde_json::from_str(&copied).unwrap_or_else(|e| panic!("{e}: {copied}"));
    let printed = alpenglow::bridge::client_config(
        alpenglow::bridge::McpClient::ClaudeDesktop,
        None,
        "http://127.0.0.1:8765",
        "YOUR_ODOO_API_KEY",
    );
    assert_eq!(parsed, serde_json::from_str::<Value>(&printed.text).unwrap());
    assert_eq!(
        parsed["mcpServers"]["alpenglow-odoo"],
        json!({"command": "uvx", "args": ["alpenglow-mcp-bridge", "--url", "http://127.0.0.1:8765", "--token", "YOUR_ODOO_API_KEY"]})
    );
}

#[test]
fn setup_asks_about_require_credential_and_the_service_key_and_turns_mcp_on_only_when_someone_can_get_in() {
    let mut app = demo_app();
    reply(
        &mut app,
        Tag::Status,
        json!({"mcp_enabled": false, "credentials_active": 0, "odoo": {"configured": true, "connected": true, "service_key": false}}),
    );
    reply(
        &mut app,
        Tag::Settings,
        json!({"settings": [setting("require_credential", "Require Credential", json!(true), "on or off")], "warnings": []}),
    );
    app.take_requests();
    press(&mut app, "w");
    app.on_key(key(KeyCode::Right));
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.setup.step, 2);
    let screen = render(&app);
    assert!(screen.contains("No service key") && screen.contains("service_key = \"...\""), "{screen}");
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.setup.step, 3);
    snapshot("setup_require_credential", &app);
    // n turns it off, through the admin API; the answer moves on.
    press(&mut app, "n");
    let sent: Vec<Job> = app.take_requests().into_iter().map(|r| r.job).collect();
    assert_eq!(sent, vec![set("require_credential", "off")]);
    reply(
        &mut app,
        Tag::SaveSetting("require_credential".into()),
        json!({"key": "require_credential", "value": false}),
    );
    assert_eq!(app.setup.step, 4);
    press(&mut app, "b");
    reply(
        &mut app,
        Tag::Settings,
        json!({"settings": [setting("require_credential", "Require Credential", json!(true), "on or off")], "warnings": []}),
    );
    // Models and the credential are skipped: with Require Credential on and
    // no credential, MCP stays off and the wizard says why.
    press(&mut app, "sss");
    assert_eq!(app.setup.step, 6);
    app.take_requests();
    press(&mut app, "y");
    assert!(app.take_requests().iter().all(|r| r.job != set("enable_mcp", "on")), "not turned on");
    let screen = render(&app);
    assert!(screen.contains("MCP stays off until a credential exists"), "{screen}");
    assert!(screen.contains("no credential exists, so every client"), "{screen}");
    // Once a credential is active, y turns it on.
    reply(
        &mut app,
        Tag::Status,
        json!({"mcp_enabled": false, "credentials_active": 1, "odoo": {"configured": true, "connected": true}}),
    );
    press(&mut app, "y");
    let sent: Vec<Job> = app.take_requests().into_iter().map(|r| r.job).collect();
    assert!(sent.contains(&set("enable_mcp", "on")), "{sent:?}");
    reply(&mut app, Tag::SaveSetting("enable_mcp".into()), json!({"key": "enable_mcp", "value": true}));
    assert_eq!(app.setup.step, 7);
}

/// The daemon's own answers, from a fresh store through the admin handler.
fn fresh_daemon() -> (tempfile::TempDir, AdminClient) {
    let dir = tempfile::tempdir().unwrap();
    let admin = AdminService::new(Store::open(dir.path()).unwrap(), Default::default());
    let api = AdminClient::in_process(AdminContext::new(admin, UpstreamSlot::default(), None, "alpenglow serve"));
    (dir, api.unwrap())
}

fn fetch(app: &mut App, api: &AdminClient) {
    for request in app.take_requests() {
        let Job::Admin(call) = request.job else { panic!("{request:?}") };
        app.on_reply(Reply { tag: request.tag, result: api.send(call) });
    }
}

#[test]
fn home_and_settings_warn_while_require_credential_is_off() {
    // The settings and their warnings as a fresh daemon answers them.
    let (_dir, api) = fresh_daemon();
    api.call(SetSetting { key: "enable_mcp".into(), value: "on".into() }).unwrap();
    let mut app = demo_app();
    reply(&mut app, Tag::Settings, api.send(ShowSettings {}.into()).unwrap());
    let warning = "require_credential is off";
    snapshot("home_require_credential_off", &app);
    assert!(render(&app).contains(warning));
    press(&mut app, "2");
    snapshot("settings_require_credential_off", &app);
    assert!(render(&app).contains(warning));
    // Switched on in the dashboard, the warning leaves both screens.
    press(&mut app, "/require");
    app.on_key(key(KeyCode::Enter));
    app.on_key(key(KeyCode::Enter));
    assert!(render(&app).contains("Require a credential for every API key?"), "asked first");
    press(&mut app, "y");
    fetch(&mut app, &api);
    fetch(&mut app, &api);
    assert_eq!(api.call(ShowSettings {}).unwrap().warnings, Vec::<String>::new());
    assert!(!render(&app).contains(warning), "{}", render(&app));
    press(&mut app, "1");
    assert!(!render(&app).contains(warning), "{}", render(&app));
}

#[test]
fn audit_export_asks_for_the_path_and_reports_where_and_how_many() {
    let mut app = demo_app();
    press(&mut app, "5");
    app.take_requests();
    reply(&mut app, Tag::Audit, json!({"entries": [{"time": "2026-11-27T10:00:05Z", "tool": "alpenglow_search"}]}));
    // A filter applies to the export too.
    press(&mut app, "f");
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Down));
    press(&mut app, "res.partner");
    app.on_key(key(KeyCode::Enter));
    app.take_requests();
    press(&mut app, "x");
    let suggested = app.audit.export.as_ref().expect("the prompt is open").text.clone();
    let stamp = suggested.strip_prefix("alpenglow-audit-").and_then(|s| s.strip_suffix(".jsonl")).unwrap();
    assert!(stamp.len() == 15 && stamp.chars().filter(|c| c.is_ascii_digit()).count() == 14, "{suggested}");
    app.on_key(key(KeyCode::Char('u')).with_ctrl());
    press(&mut app, "exports/quiet.jsonl");
    assert!(!app.quit, "q is typed into the path, not taken as quit");
    snapshot("audit_export_prompt", &app);
    app.on_key(key(KeyCode::Enter));
    let sent = app.take_requests();
    assert_eq!(sent.len(), 1);
    let filters = QueryAudit { model: Some("res.partner".into()), ..QueryAudit::default() };
    assert_eq!(sent[0].job, Job::ExportAudit { path: "exports/quiet.jsonl".into(), filters });
    // Refused: the prompt stays open with the reason, for another path.
    app.on_reply(Reply {
        tag: Tag::ExportAudit,
        result: Err(ApiError::failed("cannot write /srv/exports/quiet.jsonl: No such file or directory (os error 2)")),
    });
    snapshot("audit_export_error", &app);
    assert!(app.audit.export.is_some());
    assert!(app.message.as_deref().unwrap().starts_with("not exported: cannot write /srv/exports/quiet.jsonl"));
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.take_requests().len(), 1, "Enter tries again");
    reply(&mut app, Tag::ExportAudit, json!({"path": "/srv/exports/quiet.jsonl", "entries": 42}));
    assert_eq!(app.audit.export, None);
    assert_eq!(app.message.as_deref(), Some("exported 42 entries to /srv/exports/quiet.jsonl"));
    reply(&mut app, Tag::ExportAudit, json!({"path": "/srv/exports/one.jsonl", "entries": 1}));
    assert_eq!(app.message.as_deref(), Some("exported 1 entry to /srv/exports/one.jsonl"));
    // Esc closes the prompt and sends nothing.
    press(&mut app, "x");
    app.on_key(key(KeyCode::Esc));
    assert_eq!((app.audit.export.is_none(), app.take_requests().len()), (true, 0));
}

/// Waits for the worker's answer to one request.
fn answer(worker: &Worker, request: Request) -> Reply {
    worker.send(request).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(Event::Reply(reply)) = worker.ready().pop() {
            return reply;
        }
        assert!(std::time::Instant::now() < deadline, "the worker did not answer");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn the_worker_exports_every_matching_entry_to_a_new_file_only() {
    // More entries than one page (1000): the export pages through them all.
    let store_dir = tempfile::tempdir().unwrap();
    let admin = AdminService::new(Store::open(store_dir.path()).unwrap(), Default::default());
    for i in 0..1205 {
        let mut e = AuditEntry::new("mcp", "10.0.0.1".into(), "alpenglow_search");
        e.model = Some(if i % 5 == 0 { "sale.order" } else { "res.partner" }.into());
        admin.audit().append(e).unwrap();
    }
    let api = AdminClient::in_process(AdminContext::new(admin, UpstreamSlot::default(), None, "test")).unwrap();
    let worker = Worker::start(api);
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("audit.jsonl");
    let export = |path: &std::path::Path| Request {
        tag: Tag::ExportAudit,
        job: Job::ExportAudit {
            path: path.display().to_string(),
            filters: QueryAudit { model: Some("res.partner".into()), ..QueryAudit::default() },
        },
    };
    let done = answer(&worker, export(&path)).result.unwrap();
    assert_eq!(done, json!({"path": path.display().to_string(), "entries": 964}));
    let lines: Vec<Value> =
        std::fs::read_to_string(&path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 964);
    assert!(lines.iter().all(|e| e["model"] == "res.partner"));
    assert!(lines.windows(2).all(|w| w[0]["id"].as_u64() < w[1]["id"].as_u64()), "oldest first");
    // An existing file is kept; a directory that does not exist is named.
    let again = answer(&worker, export(&path)).result.unwrap_err();
    assert!(again.message.contains("already exists"), "{}", again.message);
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 964);
    let missing = out.path().join("no-such-dir/audit.jsonl");
    let refused = answer(&worker, export(&missing)).result.unwrap_err();
    assert!(refused.message.starts_with(&format!("cannot write {}", missing.display())), "{}", refused.message);
    assert!(!missing.exists());
}

/// The screen cell where `text` is drawn (column, row), found in the rendering.
fn find(app: &App, text: &str) -> (u16, u16) {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    for y in 0..buffer.area.height {
        let cells: Vec<String> = (0..buffer.area.width).map(|x| buffer[(x, y)].symbol().to_string()).collect();
        for x in 0..cells.len() {
            if cells[x..].concat().starts_with(text) {
                return (x as u16, y);
            }
        }
    }
    panic!("{text:?} is not on the screen:\n{}", render(app));
}

fn mouse(kind: MouseEventKind, (column, row): (u16, u16)) -> MouseEvent {
    MouseEvent { kind, column, row, modifiers: KeyModifiers::NONE }
}

fn click(app: &mut App, at: (u16, u16)) {
    app.on_mouse(mouse(MouseEventKind::Down(MouseButton::Left), at));
}

/// Clicks on the first cell of `text` where it is drawn.
fn click_on(app: &mut App, text: &str) {
    let at = find(app, text);
    click(app, at);
}

fn wheel(app: &mut App, down: bool, times: usize) {
    let kind = if down { MouseEventKind::ScrollDown } else { MouseEventKind::ScrollUp };
    for _ in 0..times {
        app.on_mouse(mouse(kind, (40, 10)));
    }
}

#[test]
fn clicks_pick_tabs_and_quick_actions() {
    let mut app = demo_app();
    // Tab bar: Alpenglow [1:Home] 2:Settings  3:Resources  4:Credentials ...
    click(&mut app, (45, 0));
    assert_eq!(app.screen, ScreenId::Credentials);
    click(&mut app, (3, 0));
    assert_eq!(app.screen, ScreenId::Credentials, "the name is not a tab");
    click(&mut app, (79, 0));
    assert_eq!(app.screen, ScreenId::Credentials, "past the last tab");
    click(&mut app, (12, 0));
    assert_eq!(app.screen, ScreenId::Home);
    // Home's quick actions, where they are drawn.
    let audit = find(&app, "[l] Audit log");
    click(&mut app, (audit.0 + 5, audit.1));
    assert_eq!(app.screen, ScreenId::Audit);
    let loads = matches!(app.take_requests()[0].job, Job::Admin(api::Request::QueryAudit(_)));
    assert!(loads, "the screen loads as with its key");
    click_on(&mut app, "1:Home");
    let setup = find(&app, "[w] Setup");
    click(&mut app, (setup.0 - 2, setup.1));
    assert_eq!(app.screen, ScreenId::Home, "the gap between actions is not one");
    click(&mut app, setup);
    assert_eq!(app.screen, ScreenId::Setup);
    // Every tab, by where its label is drawn.
    for (i, screen) in ScreenId::TABS.iter().enumerate() {
        click_on(&mut app, &format!("{}:{}", i + 1, screen.tab()));
        assert_eq!(app.screen, *screen);
    }
}

#[test]
fn a_click_focuses_a_form_row_and_a_second_click_acts_like_enter() {
    let mut app = demo_app();
    app.go(ScreenId::Credentials);
    press(&mut app, "a");
    let form = |app: &App| match &app.credentials.mode {
        alpenglow::tui::credentials::Mode::Form(form) => {
            (form.nav.focus, form.nav.editing, form.label.text.clone(), form.read_only)
        }
        _ => panic!("the form is open"),
    };
    // One click focuses the Label row, a second starts typing into it.
    click_on(&mut app, "Label");
    assert_eq!(form(&app), (1, false, String::new(), false));
    click_on(&mut app, "Label");
    assert_eq!(form(&app), (1, true, String::new(), false));
    press(&mut app, "ops");
    // A click elsewhere stops the typing; a second click on Scope toggles it.
    click_on(&mut app, "Scope");
    assert_eq!(form(&app), (3, false, "ops".to_string(), false));
    click_on(&mut app, "Scope");
    assert_eq!(form(&app), (3, false, "ops".to_string(), true));
    assert!(render(&app).contains("read-only  (space: full / read-only)"), "{}", render(&app));
    // The notes under the rows are not a row.
    click_on(&mut app, "Enter edit/toggle");
    assert_eq!(form(&app).0, 3);
}

/// The demo app with `n` resources `model.0`, `model.1`, ...
fn many_resources(n: usize) -> App {
    let mut app = demo_app();
    let list: Vec<Value> = (0..n)
        .map(|i| {
            json!({"id": i, "model": format!("model.{i}"), "company_id": null, "read_only": true,
                        "effective_operations": ["read"], "field_policy": "all", "fields": [], "record_filter": ""})
        })
        .collect();
    reply(&mut app, Tag::Resources, Value::Array(list));
    app.go(ScreenId::Resources);
    app
}

#[test]
fn a_click_selects_the_row_drawn_there_and_the_wheel_moves_and_scrolls() {
    let mut app = many_resources(40);
    click_on(&mut app, "model.7 ");
    assert_eq!(app.resources.list.cursor, 7);
    wheel(&mut app, true, 3);
    assert_eq!(app.resources.list.cursor, 10);
    wheel(&mut app, false, 12);
    assert_eq!(app.resources.list.cursor, 0);
    // Scrolled: the rows shown start further down the list, and a click
    // still selects the item drawn under it.
    wheel(&mut app, true, 30);
    assert_eq!(app.resources.list.cursor, 30);
    click_on(&mut app, "model.19 ");
    assert_eq!(app.resources.list.cursor, 19);
    // The header, the hints and a dialog's area select nothing.
    click_on(&mut app, "MODEL");
    click_on(&mut app, "a add (wizard)");
    assert_eq!(app.resources.list.cursor, 19);
    press(&mut app, "d");
    click_on(&mut app, "model.18 ");
    assert_eq!(app.resources.list.cursor, 19, "not while a dialog is open");
    press(&mut app, "n");
    // The search narrows the list: a click picks among what is shown.
    press(&mut app, "/model.3");
    app.on_key(key(KeyCode::Enter));
    click_on(&mut app, "model.31 ");
    let shown = app.resources.visible(&app.data);
    assert_eq!(shown[app.resources.list.cursor].model, "model.31");
}

#[test]
fn clicks_and_the_wheel_on_the_other_lists() {
    let mut app = demo_app();
    // Credentials (one row) and Settings.
    press(&mut app, "4");
    click_on(&mut app, "Claude - Ann");
    assert_eq!(app.credentials.list.cursor, 0);
    press(&mut app, "2");
    click_on(&mut app, "Max Search Limit");
    assert_eq!(app.settings.cursor, 2);
    wheel(&mut app, false, 1);
    assert_eq!(app.settings.cursor, 1);
    app.on_key(key(KeyCode::Enter));
    click_on(&mut app, "Enable MCP Access");
    assert_eq!(app.settings.cursor, 1, "not while a value is being typed");
    app.on_key(key(KeyCode::Esc));
    // Audit: a row selects the entry, the detail pane takes the focus.
    press(&mut app, "5");
    reply(
        &mut app,
        Tag::Audit,
        json!({"entries": [{"time": "2026-11-27T10:00:05Z", "tool": "alpenglow_search", "model": "res.partner"},
                           {"time": "2026-11-27T10:00:01Z", "tool": "alpenglow_delete", "model": "sale.order"}]}),
    );
    click_on(&mut app, "sale.order");
    assert_eq!((app.audit.cursor, app.audit.detail), (1, false));
    click_on(&mut app, " Detail ");
    let (_, y) = find(&app, "\"tool\": \"alpenglow_delete\"");
    click(&mut app, (20, y));
    assert!(app.audit.detail, "a click in the detail pane focuses it");
    click_on(&mut app, "res.partner");
    assert_eq!((app.audit.cursor, app.audit.detail), (0, false));
    // Sessions.
    press(&mut app, "6");
    reply(
        &mut app,
        Tag::Sessions,
        json!([{"id": "s1", "client": {"name": "a"}, "credential": "Ann", "ip": "10.0.0.5", "last_activity": "", "requests": 1},
               {"id": "s2", "client": {"name": "b"}, "credential": "Bob", "ip": "10.0.0.6", "last_activity": "", "requests": 2}]),
    );
    click_on(&mut app, "Bob");
    assert_eq!(app.sessions.cursor, 1);
    wheel(&mut app, false, 1);
    assert_eq!(app.sessions.cursor, 0);
    // The help closes on a click and ignores the wheel.
    app.help = true;
    wheel(&mut app, true, 1);
    assert_eq!((app.help, app.sessions.cursor), (true, 0));
    click(&mut app, (40, 10));
    assert!(!app.help);
    assert!(!app.quit);
}

#[test]
fn the_wheel_moves_the_model_picker() {
    let mut app = demo_app();
    app.go(ScreenId::Resources);
    press(&mut app, "a");
    reply(&mut app, Tag::Models, json!([{"model": "a.one", "name": "A"}, {"model": "b.two", "name": "B"}]));
    wheel(&mut app, true, 1);
    assert!(matches!(&app.resources.mode, alpenglow::tui::resources::Mode::PickModels(p) if p.cursor == 1));
}

/// The README's screen captures are the snapshots as they are now: each
/// `<!-- capture: NAME -->` is followed by `tests/snapshots/tui/NAME.txt`
/// in a text block (`ALPENGLOW_BLESS=1` rewrites the blocks).
#[test]
fn readme_captures_are_the_current_snapshots() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut out = String::new();
    let mut rest = readme.as_str();
    let mut stale = Vec::new();
    let mut names = Vec::new();
    while let Some(at) = rest.find("<!-- capture: ") {
        let after = &rest[at + "<!-- capture: ".len()..];
        let name = &after[..after.find(" -->").unwrap()];
        let block = after.find("```text\n").unwrap() + "```text\n".len();
        let end = block + after[block..].find("```").unwrap();
        let snapshot = std::fs::read_to_string(root.join("tests/snapshots/tui").join(format!("{name}.txt")))
            .unwrap_or_else(|e| panic!("README capture {name}: {e}"));
        if after[block..end] != snapshot {
            stale.push(name.to_string());
        }
        names.push(name.to_string());
        out.push_str(&rest[..at + "<!-- capture: ".len()]);
        out.push_str(&after[..block]);
        out.push_str(&snapshot);
        rest = &after[end..];
    }
    out.push_str(rest);
    for screen in ["home", "settings_invalid", "resources", "credentials", "audit", "sessions"] {
        assert!(names.iter().any(|n| n == screen), "the README shows no capture of {screen}");
    }
    if std::env::var_os("ALPENGLOW_BLESS").is_some() {
        std::fs::write(root.join("README.md"), out).unwrap();
        return;
    }
    assert!(stale.is_empty(), "README captures differ from the snapshots: {stale:?}; ALPENGLOW_BLESS=1 rewrites them");
}

trait Ctrl {
    fn with_ctrl(self) -> KeyEvent;
}

impl Ctrl for KeyEvent {
    fn with_ctrl(self) -> KeyEvent {
        KeyEvent::new(self.code, KeyModifiers::CONTROL)
    }
}

#[test]
fn a_lost_daemon_shows_a_banner_and_its_return_refreshes_every_screen() {
    let mut app = demo_app();
    app.go(ScreenId::Sessions);
    app.take_requests();
    app.on_link(Link::Down("the admin socket /run/alpenglow/admin.sock stopped answering".into()));
    let screen = render(&app);
    assert!(screen.lines().nth(1).unwrap().contains("! disconnected from the daemon, retrying"), "{screen}");
    // Back: what every screen shows is asked for again, the shown one's too.
    app.on_link(Link::Back);
    let tags: Vec<Tag> = app.take_requests().into_iter().map(|r| r.tag).collect();
    assert_eq!(tags, [Tag::Status, Tag::Settings, Tag::Resources, Tag::Credentials, Tag::Sessions]);
    let screen = render(&app);
    assert!(!screen.contains("disconnected") && screen.contains("reconnected to the daemon"), "{screen}");
}

/// The status line (the last row) of the dashboard drawn at 80×24.
pub(crate) fn footer(app: &App) -> String {
    render(app).lines().last().unwrap_or_default().to_string()
}

#[test]
fn one_key_scheme_and_a_footer_that_tells_the_truth() {
    let mut app = demo_app();
    // Each screen's footer names its own keys; a form's, a dialog's and a
    // search's name theirs, without the global ones that do not apply there.
    let expect = [
        (ScreenId::Home, "m MCP on/off"),
        (ScreenId::Settings, "Enter/e edit or flip · / search · ? help · q quit"),
        (ScreenId::Resources, "a add · Enter/e edit · d remove · / search · ? help · q quit"),
        (ScreenId::Credentials, "a add · d revoke · r show revoked · o OAuth · / search · ? help · q quit"),
        (ScreenId::OAuth, "v next list · d revoke · h revoked too · t on/off · / search · ? help · q quit"),
        (ScreenId::Audit, "x export"),
        (ScreenId::Sessions, "d end session · / search · ? help · q quit"),
    ];
    for (screen, keys) in expect {
        app.go(screen);
        assert!(footer(&app).contains(keys), "{screen:?}: {}", footer(&app));
    }
    // `a` is add on every screen, so Home's quick action for the audit log is `l`.
    app.go(ScreenId::Home);
    press(&mut app, "a");
    assert_eq!(app.screen, ScreenId::Home, "a adds, and Home has nothing to add");
    press(&mut app, "l");
    assert_eq!(app.screen, ScreenId::Audit);
    app.go(ScreenId::Home);
    press(&mut app, "?");
    assert!(render(&app).contains("s r c l n  Settings, Resources, Credentials, audit Log"), "{}", render(&app));
    app.on_key(key(KeyCode::Esc));
    app.go(ScreenId::Resources);
    press(&mut app, "d");
    assert_eq!(footer(&app).split_at(2).1, "y yes · n/Esc no", "after the spinner: the dialog's keys only");
    press(&mut app, "n");
    press(&mut app, "/");
    assert!(footer(&app).contains("type to search · Enter keep · Esc close"), "{}", footer(&app));
    press(&mut app, "zzz");
    app.on_key(key(KeyCode::Enter));
    assert!(footer(&app).contains("Esc clear search"), "{}", footer(&app));
    app.on_key(key(KeyCode::Esc));
    assert_eq!((app.screen, app.resources.list.search.text.as_str()), (ScreenId::Resources, ""));
    app.go(ScreenId::Credentials);
    press(&mut app, "a");
    assert!(footer(&app).contains("Ctrl-S save · Esc close") && !footer(&app).contains("q quit"), "{}", footer(&app));
    app.on_key(key(KeyCode::Esc));
    // The help shows the same keys as the footer.
    press(&mut app, "?");
    assert!(render(&app).contains("now: a add · d revoke · r show revoked · o OAuth"), "{}", render(&app));
    app.on_key(key(KeyCode::Esc));
    // Ctrl-R refreshes everything shown, on any screen.
    app.take_requests();
    app.on_key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL));
    let tags: Vec<Tag> = app.take_requests().into_iter().map(|r| r.tag).collect();
    assert_eq!(tags, [Tag::Status, Tag::Settings, Tag::Resources, Tag::Credentials, Tag::Credentials]);
    // An error shows in the status line, marked, also with a search open.
    press(&mut app, "/");
    app.on_reply(Reply { tag: Tag::RevokeCredential, result: Err(ApiError::invalid("credential 9 does not exist")) });
    assert!(footer(&app).contains("! refused: credential 9 does not exist"), "{}", footer(&app));
    assert!(app.message_is_error);
}

#[test]
fn a_terminal_too_small_is_told_so() {
    let app = demo_app();
    let mut terminal = Terminal::new(TestBackend::new(70, 18)).unwrap();
    terminal.draw(|f| view::draw(f, &app)).unwrap();
    let text: String = terminal.backend().buffer().content().iter().map(|c| c.symbol()).collect();
    assert!(text.contains("terminal too small (need 80x20, this one is 70x18)"), "{text}");
    assert!(!text.contains("MCP access"));
}

#[test]
fn turning_mcp_off_on_home_asks_first() {
    let mut app = demo_app();
    app.take_requests();
    press(&mut app, "m");
    assert!(app.take_requests().is_empty(), "one key cuts no client off");
    assert!(render(&app).contains("Turn MCP access off?"));
    press(&mut app, "n");
    assert!(app.take_requests().is_empty());
    assert!(footer(&app).contains("MCP access unchanged"));
    press(&mut app, "my");
    assert_eq!(app.take_requests()[0].job, set("enable_mcp", "off"));
}

/// A daemon's store with `n` audit entries (ids 1..=n; entry i on model.i).
fn daemon_with_audit(n: usize) -> (tempfile::TempDir, AdminService, AdminClient) {
    let dir = tempfile::tempdir().unwrap();
    let admin = AdminService::new(Store::open(dir.path()).unwrap(), Default::default());
    for i in 1..=n {
        let mut e = AuditEntry::new("mcp", "10.0.0.1".into(), "alpenglow_read");
        e.model = Some(format!("model.{i}"));
        admin.audit().append(e).unwrap();
    }
    let api = AdminClient::in_process(AdminContext::new(admin.clone(), UpstreamSlot::default(), None, "test")).unwrap();
    (dir, admin, api)
}

#[test]
fn the_audit_browser_pages_through_the_whole_log_and_keeps_the_selection_in_live_mode() {
    let (_dir, admin, api) = daemon_with_audit(450);
    let mut app = demo_app();
    app.take_requests();
    app.go(ScreenId::Audit);
    fetch(&mut app, &api);
    let model = |app: &App| {
        let entries = app.audit.entries.ready().unwrap();
        entries[app.audit.cursor].fields().model.clone().unwrap()
    };
    assert_eq!(model(&app), "model.450", "newest first");
    // "N of M" over the whole log.
    assert!(render(&app).contains("entry 1 of 450 · page 1 (1–200) · ] older"), "{}", render(&app));
    // Past the newest 200: every entry is reachable, page by page.
    press(&mut app, "]");
    fetch(&mut app, &api);
    assert_eq!(model(&app), "model.250");
    press(&mut app, "G");
    assert!(render(&app).contains("entry 400 of 450 · page 2 (201–400) · [ newer ] older"), "{}", render(&app));
    press(&mut app, "]");
    fetch(&mut app, &api);
    press(&mut app, "G");
    assert_eq!(model(&app), "model.1");
    assert!(render(&app).contains("entry 450 of 450 · page 3 (401–450) · [ newer · oldest page"), "{}", render(&app));
    press(&mut app, "]");
    assert!(app.take_requests().is_empty());
    assert_eq!(app.message.as_deref(), Some("this is the oldest page"));
    press(&mut app, "[[");
    fetch(&mut app, &api);
    assert_eq!(model(&app), "model.450");

    // Jump to a time: entries before it, newest first.
    let jump_to = {
        let entries = app.audit.entries.ready().unwrap();
        entries.iter().find(|e| e.fields().model.as_deref() == Some("model.300")).unwrap().fields().time.clone()
    };
    press(&mut app, "t");
    assert_eq!(app.audit.filtering, Some(6));
    press(&mut app, &jump_to);
    app.on_key(key(KeyCode::Enter));
    fetch(&mut app, &api);
    let first = app.audit.entries.ready().unwrap()[0].fields().model.clone().unwrap();
    let n: usize = first.trim_start_matches("model.").parse().unwrap();
    assert!(n < 300 && n > 250, "the newest entry before {jump_to}: {first}");
    assert!(render(&app).contains(&format!("entry 1 of {n} · page 1 (1–200)")), "{}", render(&app));
    // A filter counts what it matches: model.4 and model.40-49.
    press(&mut app, "/");
    press(&mut app, "model.4");
    app.on_key(key(KeyCode::Enter));
    fetch(&mut app, &api);
    assert!(render(&app).contains("entry 1 of 11 · page 1 (1–11) · all entries"), "{}", render(&app));
    app.on_key(key(KeyCode::Esc));
    fetch(&mut app, &api);
    assert_eq!(model(&app), "model.450", "Esc cleared the jump and the search");

    // Live: new entries arrive, the selection stays on its entry.
    press(&mut app, "jjj");
    assert_eq!(model(&app), "model.447");
    press(&mut app, "l");
    for i in 451..=455 {
        let mut e = AuditEntry::new("mcp", "10.0.0.1".into(), "alpenglow_read");
        e.model = Some(format!("model.{i}"));
        admin.audit().append(e).unwrap();
    }
    for _ in 0..20 {
        app.on_tick();
    }
    fetch(&mut app, &api);
    assert_eq!(app.audit.entries.ready().unwrap()[0].fields().model.as_deref(), Some("model.455"));
    assert_eq!(model(&app), "model.447", "pinned to its entry, not to its row");
    assert_eq!(app.audit.cursor, 8);
    assert!(render(&app).contains("entry 9 of 455 · page 1 (1–200)"), "{}", render(&app));

    // A text filter is counted by reading entries: with the live tail on it
    // is counted once, then the newest page's new entries are added.
    press(&mut app, "/");
    press(&mut app, "model.45");
    app.on_key(key(KeyCode::Enter));
    fetch(&mut app, &api);
    assert!(render(&app).contains("entry 1 of 7 · page 1 (1–7)"), "45, 450-455: {}", render(&app));
    for i in 456..=457 {
        let mut e = AuditEntry::new("mcp", "10.0.0.1".into(), "alpenglow_read");
        e.model = Some(format!("model.{i}"));
        admin.audit().append(e).unwrap();
    }
    for _ in 0..20 {
        app.on_tick();
    }
    let sent = app.take_requests();
    let asked = sent.iter().find_map(|r| match &r.job {
        Job::Admin(api::Request::QueryAudit(q)) => Some(q.clone()),
        _ => None,
    });
    assert_eq!(asked.map(|q| q.count), Some(false), "not counted again every two seconds");
    for request in sent {
        let result = api.send(match request.job {
            Job::Admin(call) => call,
            other => panic!("{other:?}"),
        });
        app.on_reply(Reply { tag: request.tag, result });
    }
    assert!(render(&app).contains(" of 9 · page 1 (1–9)"), "{}", render(&app));
}

#[test]
fn field_names_are_typed_when_odoo_cannot_list_them() {
    // The picker opens while the field list is on its way; Odoo then refuses
    // (no service key): the picker gives way to typing, and Ctrl-S saves it.
    let mut app = demo_app();
    app.go(ScreenId::Resources);
    press(&mut app, "jk");
    app.on_key(key(KeyCode::Enter));
    app.take_requests();
    for _ in 0..7 {
        press(&mut app, "j");
    }
    app.on_key(key(KeyCode::Enter));
    app.on_reply(Reply {
        tag: Tag::Fields("res.partner".into()),
        result: Err(ApiError::failed("no Odoo service key is configured")),
    });
    assert!(app.current().typing(), "the fields row takes typed names");
    assert!(render(&app).contains("Odoo's field list is not available: type the field names"), "{}", render(&app));
    app.on_key(key(KeyCode::Char('u')).with_control());
    press(&mut app, "email,phone");
    app.on_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
    let sent = app.take_requests();
    let Job::Admin(api::Request::EditResource(edit)) = &sent[0].job else { panic!("{:?}", sent[0]) };
    assert_eq!(edit.patch.fields, Some(vec!["email".to_string(), "phone".to_string()]));
}

trait WithControl {
    fn with_control(self) -> Self;
}

impl WithControl for KeyEvent {
    fn with_control(self) -> Self {
        KeyEvent::new(self.code, KeyModifiers::CONTROL)
    }
}

pub(crate) fn render_at(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    (0..buffer.area.height)
        .map(|y| (0..buffer.area.width).map(|x| buffer[(x, y)].symbol().to_string()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn columns_widen_on_wide_terminals_and_every_operation_fits() {
    let mut app = demo_app();
    reply(
        &mut app,
        Tag::Resources,
        json!([{"id": 1, "model": "account.analytic.distribution.model", "company_id": null, "read_only": false,
                "can_read": true, "can_create": true, "can_write": true, "can_delete": true,
                "effective_operations": ["read", "create", "write", "delete"], "field_policy": "all", "fields": [],
                "record_filter": "[('active', '=', True)]", "execute_methods": []}]),
    );
    app.go(ScreenId::Resources);
    let narrow = render_at(&app, 80, 24);
    let row = narrow.lines().find(|l| l.contains("account.analytic")).expect(&narrow);
    assert!(!row.contains("distribution.model"), "cut at 80 columns: {row}");
    assert!(row.contains("read,create,write,delete all"), "operations whole, then a space: {row}");
    let wide = render_at(&app, 200, 50);
    let row = wide.lines().find(|l| l.contains("account.analytic")).expect(&wide);
    assert!(row.contains("account.analytic.distribution.model "), "whole at 200 columns: {row}");
    assert!(row.contains("read,create,write,delete all [('active', '=', True)]"), "{row}");

    app.go(ScreenId::Credentials);
    let long = "Claude for the finance team's quarterly close";
    reply(
        &mut app,
        Tag::Credentials,
        json!([{"id": 3, "label": long, "user_id": 6, "login": "ann", "scope": "read-only", "expires_on": null,
                "company_id": null, "status": "active", "created_at": "2026-11-27T10:00:00Z", "revoked_at": null,
                "key_prefix": "5f3c9a7e", "last_used": null, "last_ip": null, "request_count": 0}]),
    );
    let row = |screen: String| screen.lines().find(|l| l.contains("> 3")).expect(&screen).to_string();
    assert!(!row(render_at(&app, 80, 24)).contains(long), "cut at 80 columns");
    assert!(row(render_at(&app, 200, 50)).contains(&format!("{long} ")), "whole at 200 columns");
}

#[test]
fn revoked_credentials_are_hidden_until_r_shows_them() {
    let mut app = demo_app();
    let credential = |id: u64, label: &str, status: &str| {
        json!({"id": id, "label": label, "user_id": 6, "login": "ann", "scope": "read-only", "expires_on": null,
               "company_id": null, "status": status, "created_at": "2026-11-27T10:00:00Z", "revoked_at": null,
               "key_prefix": "5f3c9a7e", "last_used": null, "last_ip": null, "request_count": 0})
    };
    reply(
        &mut app,
        Tag::Credentials,
        json!([credential(3, "Claude - Ann", "active"), credential(4, "Old laptop", "revoked")]),
    );
    app.go(ScreenId::Credentials);
    let screen = render(&app);
    assert!(screen.contains("Claude - Ann") && !screen.contains("Old laptop"), "{screen}");
    assert!(screen.contains("r show revoked"), "{screen}");
    press(&mut app, "r");
    let screen = render(&app);
    assert!(screen.contains("Old laptop") && screen.contains("r hide revoked"), "{screen}");
    press(&mut app, "r");
    reply(&mut app, Tag::Credentials, json!([credential(4, "Old laptop", "revoked")]));
    let screen = render(&app);
    assert!(screen.contains("No active credentials (1 revoked, hidden: r shows them)"), "{screen}");
}

#[test]
fn audit_and_sessions_columns_widen_on_wide_terminals() {
    let mut app = demo_app();
    let label = "Claude for the finance team's quarterly close";
    let model = "account.analytic.distribution.model";
    app.go(ScreenId::Audit);
    reply(
        &mut app,
        Tag::Audit,
        json!({"entries": [{"time": "2026-11-27T10:00:05Z", "credential": label, "tool": "alpenglow_aggregate",
                             "model": model, "outcome": "ok", "ip": "10.0.0.5"}], "next_cursor": null}),
    );
    let row = |screen: String| screen.lines().find(|l| l.contains("> 11-27")).expect(&screen).to_string();
    let narrow = row(render_at(&app, 80, 24));
    assert!(!narrow.contains(label) && !narrow.contains(model), "cut at 80 columns: {narrow}");
    let wide = row(render_at(&app, 200, 50));
    assert!(wide.contains(&format!("{label} ")) && wide.contains(&format!("{model} ")), "whole at 200: {wide}");
    snapshot_at("audit_80x24", &app, 80, 24);
    snapshot_at("audit_200x50", &app, 200, 50);

    app.go(ScreenId::Sessions);
    let id = "9f86d081884c7d659a2feaa0c55ad015";
    let ip = "2001:db8:85a3::8a2e:370:7334";
    reply(
        &mut app,
        Tag::Sessions,
        json!([{"id": id, "client": {"name": "claude-ai", "version": "0.14.2"}, "credential": label,
                "ip": ip, "last_activity": "2026-11-27T10:00:05Z", "requests": 7}]),
    );
    let row = |screen: String| screen.lines().find(|l| l.contains("> 9f86")).expect(&screen).to_string();
    let narrow = row(render_at(&app, 80, 24));
    assert!(!narrow.contains(id) && !narrow.contains(label) && !narrow.contains(ip), "cut at 80: {narrow}");
    let wide = row(render_at(&app, 200, 50));
    for whole in [id, label, ip, "claude-ai 0.14.2"] {
        assert!(wide.contains(&format!("{whole} ")), "{whole} whole at 200 columns: {wide}");
    }
    snapshot_at("sessions_80x24", &app, 80, 24);
    snapshot_at("sessions_200x50", &app, 200, 50);
    // The search finds what a narrow terminal cuts.
    press(&mut app, "/quarterly close");
    assert!(render(&app).contains("> 9f86"), "{}", render(&app));
}
