//! The admin's day in the real dashboard (tmux), against a real
//! `alpenglow serve`: the dashboard survives a daemon restart (banner while
//! it is gone, every screen refreshed when it is back, saves work again).

use crate::common::serve::Serve;
use crate::common::tmux::Tmux;

use std::path::Path;
use std::process::Command;

const CONFIG: &str = "listen = \"127.0.0.1:0\"\n";

/// `alpenglow --data-dir DIR ARGS` with no daemon named by the environment.
fn cli(data_dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .env_remove("ALPENGLOW_ADMIN_SOCKET")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The dashboard on `serve`'s socket, past the setup wizard a fresh store opens on.
fn dashboard(serve: &Serve) -> Tmux {
    let socket = serve.data_dir.join("admin.sock");
    let dir = serve.data_dir.parent().unwrap();
    let tui = Tmux::dashboard(dir, &[("ALPENGLOW_ADMIN_SOCKET", socket.to_str().unwrap())]);
    tui.wait_for("Setup wizard");
    tui.keys(&["Escape"]);
    tui.wait_for("Quick actions");
    tui
}

#[test]
fn the_dashboard_reconnects_after_a_daemon_restart_and_refreshes_every_screen() {
    let root = tempfile::tempdir().unwrap();
    let mut serve = Serve::start(root.path(), CONFIG);
    let tui = dashboard(&serve);
    tui.keys(&["2"]);
    let line = tui.line_with("Requests per Minute");
    assert!(!line.contains(" 77 "), "{line}");

    // The daemon stops (as systemctl restart does first): a banner, not a freeze.
    serve.signal(libc::SIGTERM);
    let _ = serve.child.wait();
    tui.wait_for("disconnected from the daemon, retrying");
    // Meanwhile the store is changed elsewhere (no daemon: the CLI opens it).
    cli(&serve.data_dir, &["settings", "set", "requests_per_minute", "77"]);
    // A save while it is gone says plainly that nothing was saved.
    tui.keys(&["/"]);
    tui.type_text("requests per minute");
    tui.keys(&["Enter", "Enter", "C-u"]);
    tui.type_text("60");
    tui.keys(&["Enter"]);
    tui.wait_for("nothing was sent or saved");
    tui.keys(&["Escape"]);

    // The daemon is back on the same socket: the dashboard finds it, the
    // banner goes, the Settings screen shows what changed meanwhile.
    let again = Serve::start(root.path(), CONFIG);
    tui.wait_for("reconnected to the daemon");
    tui.wait_gone("disconnected from the daemon");
    tui.wait_until("77, stored while the daemon was away", |s| {
        s.lines().any(|l| l.contains("Requests per Minute") && l.contains(" 77 "))
    });
    // Saves work again, without restarting the dashboard.
    tui.keys(&["Enter", "C-u"]);
    tui.type_text("60");
    tui.keys(&["Enter"]);
    tui.wait_for("saved requests_per_minute = 60");
    drop(again);
    assert!(
        cli(&serve.data_dir, &["settings", "show"])
            .lines()
            .any(|l| l.contains("requests_per_minute") && l.contains("60"))
    );
}

#[test]
fn the_settings_screen_follows_changes_made_elsewhere() {
    let root = tempfile::tempdir().unwrap();
    let serve = Serve::start(root.path(), CONFIG);
    let tui = dashboard(&serve);
    tui.keys(&["2"]);
    tui.wait_for("Requests per Minute");
    // The CLI changes a setting through the daemon; the open screen follows.
    let socket = serve.data_dir.join("admin.sock");
    let out = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .env("ALPENGLOW_ADMIN_SOCKET", &socket)
        .args(["settings", "set", "requests_per_minute", "91"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let screen = tui.wait_until("91 on the Settings screen", |s| {
        s.lines().any(|l| l.contains("Requests per Minute") && l.contains(" 91 "))
    });
    assert!(!screen.contains("disconnected"), "{screen}");
}

#[test]
fn one_key_scheme_ctrl_s_mid_edit_and_mcp_off_asks_first_on_the_demo() {
    let demo = crate::common::demo::Demo::start();
    let socket = demo.data_dir.path().join("admin.sock");
    let tui = Tmux::dashboard(demo.data_dir.path(), &[("ALPENGLOW_ADMIN_SOCKET", socket.to_str().unwrap())]);
    tui.wait_for("connected · Odoo 19");

    // Each screen's footer names its keys: one scheme everywhere.
    let footers = [
        ("2", "Enter/e edit or flip · / search · ? help · q quit"),
        ("3", "a add · Enter/e edit · d remove · / search · ? help · q quit"),
        ("4", "a add · d revoke · r show revoked · o OAuth · / search · ? help · q quit"),
        ("5", "↵ detail · [ ] page · t time · f filter · l live · x export · ? help · q quit"),
        ("6", "d end session · / search · ? help · q quit"),
        ("1", "m MCP on/off · s r c l n w go to · ? help · q quit"),
    ];
    for (tab, footer) in footers {
        tui.keys(&[tab]);
        tui.wait_until(footer, |s| s.lines().last().is_some_and(|l| l.contains(footer)));
    }
    // Home's quick action for the audit log is `l`: `a` is add everywhere.
    // (Had `a` opened the log, `l` would have turned its live tail on.)
    tui.keys(&["a", "l"]);
    let screen = tui.wait_for("[5:Audit]");
    assert!(!screen.contains("Audit log (live)"), "a stayed on Home, l opened the log: {screen}");
    tui.keys(&["1"]);
    tui.wait_for("[1:Home]");
    // `/` searches on Sessions too, and Esc clears the search before leaving.
    tui.keys(&["6", "/"]);
    tui.wait_for("type to search · Enter keep · Esc close");
    tui.type_text("nothing-like-this");
    tui.keys(&["Enter"]);
    tui.wait_for("No session matches the search.");
    tui.keys(&["Escape"]);
    tui.wait_gone("No session matches the search.");
    tui.wait_for("[6:Sessions]");
    tui.keys(&["Escape"]);
    tui.wait_for("[1:Home]");

    // MCP off from Home asks first; n keeps it on, y turns it off.
    tui.keys(&["m"]);
    tui.wait_for("Turn MCP access off?");
    tui.keys(&["n"]);
    tui.wait_for("MCP access unchanged");
    tui.wait_for("ON  (m: turn off)");
    tui.keys(&["m", "y"]);
    tui.wait_for("OFF (m: turn on)");
    tui.keys(&["m"]);
    tui.wait_for("ON  (m: turn off)");

    // Ctrl-S saves a form while a field is still being typed in.
    tui.keys(&["3", "a"]);
    tui.wait_for("1/2: pick models");
    tui.keys(&["/"]);
    tui.type_text("product.category");
    tui.keys(&["Enter", "Space", "Enter"]);
    tui.wait_for("Add Resources: product.category");
    tui.keys(&["Enter"]);
    tui.wait_for("type · Enter/Tab/Esc done · Ctrl-S save");
    tui.type_text("1");
    tui.keys(&["C-s"]);
    tui.wait_for("added product.category");
    let listed = cli_socket(&socket, &["resources", "list"]);
    assert!(listed.lines().any(|l| l.contains("product.category") && l.contains(" 1 ")), "{listed}");
}

/// `alpenglow ARGS` through the daemon on `socket`.
fn cli_socket(socket: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .env("ALPENGLOW_ADMIN_SOCKET", socket)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_audit_browser_pages_past_the_newest_200_and_shows_an_entry_whole() {
    let demo = crate::common::demo::Demo::start();
    let addr = demo.addr().parse().unwrap();
    let key = demo.key("admin");
    for _ in 0..230 {
        let answer = crate::common::http::alpenglow_rpc(addr, &key, "alpenglow_list_models", serde_json::json!({}));
        assert_eq!(answer.status, 200, "{}", answer.text());
    }
    let socket = demo.data_dir.path().join("admin.sock");
    let tui =
        Tmux::dashboard_sized(demo.data_dir.path(), &[("ALPENGLOW_ADMIN_SOCKET", socket.to_str().unwrap())], 80, 24);
    tui.wait_for("connected · Odoo 19");
    tui.keys(&["5"]);
    // "N of M" over the whole log: the 230 calls and the demo's own entries.
    let line = tui.line_with("· page 1 (1–200) · ] older");
    let total: usize = line
        .split("entry 1 of ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(total >= 230, "{line}");
    tui.keys(&["]"]);
    tui.wait_for(&format!("entry 201 of {total} · page 2 (201–"));
    tui.keys(&["G"]);
    let screen = tui.wait_for(&format!("page 2 (201–{total}) · [ newer"));
    assert!(screen.contains("list_models"), "{screen}");
    // The entry's detail, full screen and scrollable at 80x24.
    tui.keys(&["Enter"]);
    tui.wait_for("Detail (full screen");
    let top = tui.line_with("Detail (full screen");
    assert!(top.contains("lines 1–"), "{top}");
    tui.keys(&["PageDown"]);
    let scrolled = tui.line_with("Detail (full screen");
    assert!(scrolled.contains("lines ") && !scrolled.contains("lines 1–"), "{scrolled}");
    tui.keys(&["Escape"]);
    tui.wait_gone("Detail (full screen");
    tui.keys(&["["]);
    tui.wait_for("· page 1 (1–200)");
}

#[test]
fn field_names_are_typed_when_odoo_cannot_list_them() {
    // A fresh serve: no Odoo configured, no service key, so no field list.
    let root = tempfile::tempdir().unwrap();
    let serve = Serve::start(root.path(), CONFIG);
    let socket = serve.data_dir.join("admin.sock");
    cli_socket(&socket, &["resources", "add", "res.partner"]);
    let tui = dashboard(&serve);
    tui.keys(&["3"]);
    tui.wait_for("res.partner");
    tui.keys(&["Enter"]);
    tui.wait_for("Field Policy");
    // Field Policy: all -> allowlist -> denylist; then the Fields row.
    tui.keys(&["j", "j", "j", "j", "j", "j", "Enter", "Enter", "j", "Enter"]);
    tui.wait_for("Odoo's field list is not available: type the field names");
    tui.type_text("email,phone");
    // Saved while the row is still being typed in.
    tui.keys(&["C-s"]);
    tui.wait_gone("Field Policy");
    let listed = cli_socket(&socket, &["--json", "resources", "list"]);
    let resources: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(resources[0]["field_policy"], "denylist", "{resources}");
    assert_eq!(resources[0]["fields"], serde_json::json!(["email", "phone"]), "{resources}");
}
