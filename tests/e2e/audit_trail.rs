//! The admin trail and the chain end to end: the real binary as demo daemon
//! and CLI. Changes made with no daemon and through the daemon's socket are
//! audited with their actor (the kernel's word for the socket's peer), the
//! shutdown leaves a signed checkpoint, `audit verify` passes, the signing
//! key stays in its 0600 file (never in the store, the export or the log),
//! and the README's Python re-verifies the export and catches an edit.

use crate::common::demo_at::{DemoAt, cli, cli_ok, export};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn changes(entry: &Value) -> Value {
    serde_json::from_str(entry["changes"].as_str().expect("changes")).unwrap()
}

/// Every file under `dir`, read whole.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_bytes(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.extend(bytes);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The Python the README shows, as it shows it.
fn readme_python(root: &Path) -> std::path::PathBuf {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let marker = "<!-- audit-verify-python -->\n```python\n";
    let start = readme.find(marker).expect("the README's snippet") + marker.len();
    let end = start + readme[start..].find("```").unwrap();
    let path = root.join("verify_export.py");
    std::fs::write(&path, &readme[start..end]).unwrap();
    path
}

#[test]
fn admin_actions_carry_their_actor_and_the_chain_verifies() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };

    cli_ok(&dir, &["settings", "set", "requests_per_minute", "1234"]);
    let mut demo = DemoAt::start(&dir, "audit-trail");
    cli_ok(&dir, &["settings", "set", "max_search_limit", "2345"]);
    let refused = cli(&dir, &["settings", "set", "max_search_limit", "7"]);
    assert!(!refused.status.success());
    let credentials: Value = serde_json::from_str(&cli_ok(&dir, &["credentials", "list", "--json"])).unwrap();
    let id = credentials[0]["id"].as_u64().unwrap().to_string();
    cli_ok(&dir, &["credentials", "revoke", &id]);
    demo.signal(libc::SIGTERM);
    assert!(demo.child.wait().unwrap().success());

    let entries = export(&dir);
    let admin: Vec<&Value> = entries.iter().filter(|e| e["face"] == "admin").collect();
    assert_eq!(admin.len(), 4, "{admin:#?}");
    let (offline, online, refused, revoked) = (admin[0], admin[1], admin[2], admin[3]);

    let no_daemon = offline["actor"].as_str().unwrap();
    assert!(no_daemon.starts_with("cli, no daemon (") && no_daemon.ends_with(&format!("uid {uid})")), "{no_daemon}");
    assert_eq!(offline["tool"], "settings.set");
    let c = changes(offline);
    assert_eq!(
        (c["target"].as_str(), c["old"].as_u64(), c["new"].as_u64()),
        (Some("requests_per_minute"), Some(300), Some(1234))
    );

    // Through the socket: the CLI process, as the kernel names it.
    for entry in [online, refused, revoked] {
        let actor = entry["actor"].as_str().unwrap();
        assert!(actor.contains(&format!("(uid {uid}, pid ")), "{actor}");
        assert!(!actor.starts_with("cli, no daemon"), "{actor}");
    }
    assert_eq!((changes(online)["old"].as_u64(), changes(online)["new"].as_u64()), (Some(1000), Some(2345)));
    assert_eq!((refused["outcome"].as_str(), refused["error"].is_string()), (Some("invalid"), true));
    let c = changes(revoked);
    assert_eq!(revoked["tool"], "credentials.revoke");
    assert_eq!((c["old"]["status"].as_str(), c["new"]["status"].as_str()), (Some("active"), Some("revoked")), "{c}");

    // Every entry chained, the shutdown checkpoint signed and logged.
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=entries.len() as u64).collect::<Vec<_>>());
    let verified = cli_ok(&dir, &["audit", "verify"]);
    assert!(
        verified.starts_with(&format!("verified {} entries from seq 1 to {}", seqs.len(), seqs.len()))
            && verified.contains("1 checkpoint signatures good"),
        "{verified}"
    );
    let stderr = std::fs::read_to_string(&demo.stderr).unwrap();
    assert!(stderr.contains(&format!("audit checkpoint shutdown at seq {}", seqs.len())), "{stderr}");

    // The key: 0600, outside the store, nowhere else.
    let key_file = dir.join("audit-signing.key");
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    let key = std::fs::read_to_string(&key_file).unwrap();
    let secret = key.trim().splitn(5, '+').nth(4).unwrap().to_string();
    assert!(secret.len() > 40, "{key}");
    let export_text = cli_ok(&dir, &["audit", "export", "--format", "jsonl"]);
    assert!(!contains(&all_bytes(&dir.join("db")), &secret), "the signing key is in the store");
    assert!(!export_text.contains(&secret) && !stderr.contains(&secret), "the signing key leaked");
    assert!(std::fs::read_to_string(dir.join("audit-signing.pub")).unwrap().contains("/alpenglow-audit+"));

    // The README's Python re-verifies the export, and catches an edit.
    let script = readme_python(root.path());
    let file = root.path().join("export.jsonl");
    std::fs::write(&file, &export_text).unwrap();
    let run = |file: &Path| Command::new("python3").arg(&script).arg(file).output().expect("python3 runs");
    let out = run(&file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let last = entries.last().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(said.trim(), format!("verified up to seq {}, head {}", last["seq"], last["hash"].as_str().unwrap()));
    let edited = export_text.replacen("\"tool\":\"settings.set\"", "\"tool\":\"settings.show\"", 1);
    std::fs::write(&file, edited).unwrap();
    let out = run(&file);
    assert!(!out.status.success());
    let complaint = String::from_utf8_lossy(&out.stderr).to_string();
    let first_admin_seq = offline["seq"].as_u64().unwrap();
    assert!(complaint.contains(&format!("seq {first_admin_seq} was altered")), "{complaint}");
}
