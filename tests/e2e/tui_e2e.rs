//! The real dashboard end to end: `alpenglow demo` runs, `alpenglow tui`
//! runs in tmux (send-keys, capture-pane), a resource and a credential are
//! made through the screens, and that credential is then used on the demo's
//! direct JSON-RPC endpoint. Needs tmux (`tests/setup.sh` installs it).

use crate::common::http;
use crate::common::{demo, tmux::Tmux};

use serde_json::json;

#[test]
fn a_resource_and_a_credential_made_in_the_dashboard_work_on_the_demo() {
    let demo = demo::Demo::start();
    let socket = demo.data_dir.path().join("admin.sock");
    let command = format!("env ALPENGLOW_ADMIN_SOCKET={} {} tui", socket.display(), env!("CARGO_BIN_EXE_alpenglow"));
    let tui = Tmux::start(&command);
    tui.wait_for("MCP access");
    tui.wait_for("connected · Odoo 19");
    // The dashboard asked for mouse reports (SGR) on the alternate screen.
    assert_eq!(
        (tui.flag("mouse_any_flag"), tui.flag("mouse_sgr_flag"), tui.flag("alternate_on")),
        ("1".into(), "1".into(), "1".into())
    );
    // The demo's sandbox database is named, not shown as "-".
    tui.wait_for(&format!("{} (database demo)", demo.sandbox_url));
    tui.wait_for(&demo.mcp_url);
    // The setup wizard's last step: this daemon's URL in the Claude Desktop
    // entry, which copied off the terminal's rows parses as it is.
    tui.keys(&["w", "s", "s", "s", "s", "s", "s", "s"]);
    tui.wait_for("Step 8 of 8");
    let screen = tui.wait_for("YOUR_ODOO_API_KEY\"]}}}");
    let rows: Vec<&str> = screen.lines().map(str::trim_end).collect();
    let first = rows.iter().position(|r| r.starts_with(r#"{"mcpServers""#)).expect(&screen);
    let last = first + rows[first..].iter().position(|r| r.ends_with("}}}")).expect(&screen);
    let copied: serde_json::Value = serde_json::from_str(&rows[first..=last].join("\n")).expect(&screen);
    assert_eq!(copied["mcpServers"]["alpenglow-odoo"]["args"][2], demo.base(), "{screen}");
    // `client-config` prints the same, and the other clients' forms, with the
    // URL the daemon reports.
    let printed = client_config(&socket, &["claude-desktop"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&printed).unwrap(), copied);
    let cursor: serde_json::Value = serde_json::from_str(&client_config(&socket, &["cursor"])).unwrap();
    assert_eq!(cursor["mcpServers"]["alpenglow-odoo"]["url"], demo.mcp_url);
    let code = client_config(&socket, &["claude-code", "--bridge", "builtin"]);
    assert!(
        code.starts_with(&format!("claude mcp add alpenglow-odoo -- alpenglow bridge --url {}", demo.base())),
        "{code}"
    );
    tui.keys(&["Escape"]);
    tui.wait_for("Quick actions");

    // Resources: the Add Resources wizard, model picked from Odoo's list.
    tui.keys(&["3"]);
    tui.wait_for("a add (wizard)");
    tui.keys(&["a"]);
    tui.wait_for("1/2: pick models");
    tui.keys(&["/"]);
    tui.type_text("product.category");
    tui.keys(&["Enter"]);
    tui.keys(&["Space"]);
    tui.keys(&["Enter"]);
    tui.wait_for("Add Resources: product.category");
    tui.keys(&["C-s"]);
    tui.wait_for("added product.category");

    // Credentials: the demo's sales credential is revoked (asked first), then
    // a new one is made for that user with the pasted key.
    // The mouse: the tab, then the row, are clicked; the keys go on working.
    tui.click("4:Credentials");
    tui.click("Demo sales");
    tui.keys(&["d"]);
    tui.wait_for("(Demo sales)? This is permanent");
    tui.keys(&["y"]);
    tui.wait_for("revoked credential");
    tui.keys(&["a"]);
    tui.wait_for("New credential");
    tui.keys(&["Enter"]);
    tui.wait_for("Sally Sales");
    tui.keys(&["/"]);
    tui.type_text("sales");
    tui.keys(&["Enter"]);
    tui.keys(&["Enter"]);
    tui.wait_for("sales (id 6)");
    tui.keys(&["j", "Enter"]);
    tui.type_text("Claude - TUI");
    tui.keys(&["Enter", "j", "Enter"]);
    tui.type_text(&demo.key("sales"));
    tui.keys(&["Enter"]);
    let screen = tui.screen();
    assert!(!screen.contains(&demo.key("sales")), "the key is masked:\n{screen}");
    tui.keys(&["C-s"]);
    tui.wait_for("created credential");
    let screen = tui.wait_for("Claude - TUI");
    println!("{screen}");

    // The credential works on the demo's direct JSON-RPC face and sees the new resource.
    let addr = demo.addr().parse().unwrap();
    let auth = format!("Bearer {}", demo.key("sales"));
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "alpenglow_list_models", "params": {}});
    let response = http::post_json(addr, "/alpenglow/mcp", &[("Authorization", &auth)], &body);
    assert_eq!(response.status, 200, "{}", response.text());
    let text = response.text();
    assert!(text.contains("product.category"), "{text}");

    // Audit export: to the path typed, saying where and how many; a path that
    // cannot be written is refused in the prompt.
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("audit.jsonl");
    tui.keys(&["5"]);
    tui.wait_for("list_models");
    tui.keys(&["x"]);
    tui.wait_for("Export the audit log");
    tui.keys(&["C-u"]);
    tui.type_text(&path.display().to_string());
    tui.keys(&["Enter"]);
    let screen = tui.wait_for("exported ");
    let written = std::fs::read_to_string(&path).unwrap();
    let count = written.lines().count();
    assert!(written.contains("alpenglow_list_models"), "{written}");
    // The dashboard's changes are in the admin trail, with the local user the
    // kernel reports behind the socket (this test's own uid) as their actor.
    let uid = unsafe { libc::getuid() };
    let admin: Vec<serde_json::Value> = written
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["face"] == "admin")
        .collect();
    for op in ["resources.add", "credentials.revoke", "credentials.create"] {
        let entry = admin.iter().find(|e| e["tool"] == op).unwrap_or_else(|| panic!("no {op} entry: {admin:#?}"));
        let actor = entry["actor"].as_str().unwrap_or_default();
        assert!(actor.contains(&format!("(uid {uid}, pid ")), "{op}: {actor}");
    }
    let noun = if count == 1 { "entry" } else { "entries" };
    assert!(screen.contains(&format!("exported {count} {noun} to {}", path.display())), "{screen}");
    tui.keys(&["x", "C-u"]);
    tui.type_text("/nonexistent-alpenglow-dir/audit.jsonl");
    tui.keys(&["Enter"]);
    tui.wait_for("! cannot write /nonexistent-alpenglow-dir/audit.jsonl");
    tui.keys(&["Escape"]);

    // Quitting gives the terminal back: no mouse reports, the main screen.
    tui.keys(&["q"]);
    tui.wait_for("dashboard exited with 0");
    assert_eq!(
        (tui.flag("mouse_any_flag"), tui.flag("mouse_sgr_flag"), tui.flag("alternate_on")),
        ("0".into(), "0".into(), "0".into())
    );
}

/// `alpenglow client-config ARGS` against the demo's daemon: its one line.
fn client_config(socket: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .env("ALPENGLOW_ADMIN_SOCKET", socket)
        .arg("client-config")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    text.trim_end().to_string()
}
