//! Backup while serving, restore into a fresh directory: the settings,
//! resources and credentials come back (a credential made before the backup
//! still authenticates, a revoked one stays revoked), every request
//! acknowledged before the backup has its audit entry; restore refuses
//! while a daemon serves the directory, and refuses a newer format.

use crate::common::demo_at;
use crate::common::http;

use demo_at::{DemoAt, cli, cli_ok, export, logged_markers};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

fn search(addr: SocketAddr, key: &str, marker: &str) -> http::HttpResponse {
    let auth = format!("Bearer {key}");
    http::post_json(
        addr,
        "/alpenglow/mcp",
        &[("Authorization", auth.as_str())],
        &json!({"jsonrpc": "2.0", "id": 1, "method": "alpenglow_search",
            "params": {"model": "res.partner", "domain": [["name", "=", marker]], "limit": 1}}),
    )
}

fn credentials(dir: &Path) -> Vec<Value> {
    let list: Value = serde_json::from_str(&cli_ok(dir, &["credentials", "list", "--json"])).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| json!({"id": c["id"], "label": c["label"], "status": c["status"], "prefix": c["key_prefix"]}))
        .collect()
}

fn setting(dir: &Path, key: &str) -> Value {
    let shown: Value = serde_json::from_str(&cli_ok(dir, &["settings", "show", "--json"])).unwrap();
    shown["settings"].as_array().unwrap().iter().find(|s| s["key"] == key).unwrap()["value"].clone()
}

#[test]
fn backup_while_serving_then_restore_into_a_fresh_directory() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    cli_ok(&dir, &["settings", "set", "require_credential", "on"]);
    cli_ok(&dir, &["settings", "set", "requests_per_minute", "100000"]);
    let mut demo = DemoAt::start(&dir, "original");
    let (addr, admin, readonly) = (demo.addr, demo.key("admin"), demo.key("readonly"));

    // Changes through the running daemon's socket.
    cli_ok(&dir, &["settings", "set", "max_search_limit", "2345"]);
    let readonly_id = credentials(&dir).iter().find(|c| c["label"] == "Demo readonly").unwrap()["id"].clone();
    cli_ok(&dir, &["credentials", "revoke", &readonly_id.to_string()]);
    assert_eq!(search(addr, &readonly, "x").status, 401);
    let before: Vec<String> = (0..5).map(|i| format!("before-backup-{i}")).collect();
    for marker in &before {
        assert_eq!(search(addr, &admin, marker).status, 200);
    }

    // The backup runs while clients keep calling.
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let load = {
        let (stop, answered, admin) = (stop.clone(), answered.clone(), admin.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                search(addr, &admin, &format!("during-{n}"));
                answered.fetch_add(1, Ordering::SeqCst);
            }
            n
        })
    };
    while answered.load(Ordering::SeqCst) < 3 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let file = root.path().join("alpenglow-backup.json");
    let out: Value =
        serde_json::from_str(&cli_ok(&dir, &["backup", file.to_str().unwrap(), "--with-audit", "--json"])).unwrap();
    stop.store(true, Ordering::SeqCst);
    assert!(load.join().unwrap() > 0);
    assert_eq!(out["credentials"], 3);
    assert!(out["audit_entries"].as_u64().unwrap() >= 6, "{out}");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&admin) && !text.contains(&readonly), "a key in the backup");
    let original_credentials = credentials(&dir);
    demo.signal(libc::SIGTERM);
    demo.child.wait().unwrap();

    // Restore into a fresh directory, no daemon.
    let fresh = root.path().join("fresh");
    let restored: Value =
        serde_json::from_str(&cli_ok(&fresh, &["restore", file.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!((restored["credentials"].as_u64(), restored["with_audit"].as_bool()), (Some(3), Some(true)));
    assert_eq!(credentials(&fresh), original_credentials);
    assert_eq!(setting(&fresh, "max_search_limit"), 2345);
    assert_eq!(setting(&fresh, "require_credential"), true);
    let logged = logged_markers(&fresh);
    for marker in &before {
        assert!(logged.contains(marker), "{marker} acknowledged before the backup is not in the restored audit log");
    }

    // Served again: the demo finds its credentials and creates none; the
    // admin key authenticates through the restored hash, the revoked key stays refused.
    let again = DemoAt::start(&fresh, "restored");
    assert_eq!(credentials(&fresh), original_credentials);
    assert_eq!(search(again.addr, &admin, "after-restore").status, 200);
    assert_eq!(search(again.addr, &readonly, "after-restore").status, 401);
    let admin_id = original_credentials.iter().find(|c| c["label"] == "Demo admin").unwrap()["id"].clone();
    let entry = export(&fresh)
        .into_iter()
        .find(|e| e["domain"].as_str().is_some_and(|d| d.contains("after-restore")) && e["outcome"] == "ok")
        .unwrap();
    assert_eq!(entry["credential_id"], admin_id);

    // Restore refuses while a daemon serves the directory.
    let refused = cli(&fresh, &["restore", file.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("stop it first"));
    drop(again);

    // A file from a newer release is refused with what to do.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut header: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(header["alpenglow_backup"], 2, "the first line is the header");
    header["alpenglow_backup"] = json!(99);
    header["alpenglow_version"] = json!("9.9.9");
    lines[0] = header.to_string();
    let newer_file = root.path().join("newer.json");
    std::fs::write(&newer_file, lines.join("\n")).unwrap();
    let other = root.path().join("other");
    let refused = cli(&other, &["restore", newer_file.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("format 99") && message.contains("9.9.9") && message.contains("upgrade"), "{message}");

    // A file cut short (the closing counts line lost) is refused, and the
    // directory it was restored into keeps its own configuration.
    cli_ok(&other, &["settings", "set", "max_search_limit", "1234"]);
    let cut_file = root.path().join("cut.json");
    std::fs::write(&cut_file, text.lines().take(text.lines().count() - 1).collect::<Vec<_>>().join("\n")).unwrap();
    let refused = cli(&other, &["restore", cut_file.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("the backup is incomplete"), "{message}");
    assert_eq!(setting(&other, "max_search_limit"), 1234);
}
