//! `alpenglow doctor` through the real binary: all green next to a running
//! demo (Odoo reachable with its version, clock compared); a broken config,
//! an open data directory, a wide-open socket, a secret in a world-readable
//! config and an unreachable Odoo each fail with what to do, exit 1.

use crate::common::demo_at;

use demo_at::DemoAt;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn doctor(dir: &Path, config: Option<&Path>) -> (Output, Vec<Value>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alpenglow"));
    command.arg("--data-dir").arg(dir).env_remove("ALPENGLOW_ADMIN_SOCKET");
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    let out = command.args(["doctor", "--json"]).output().unwrap();
    let findings = serde_json::from_slice::<Value>(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out, findings.as_array().unwrap().clone())
}

fn finding<'a>(findings: &'a [Value], check: &str) -> &'a Value {
    findings.iter().find(|f| f["check"] == check).unwrap_or_else(|| panic!("no {check} in {findings:?}"))
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_healthy_installation_passes_and_each_problem_is_named_with_its_fix() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let demo = DemoAt::start(&dir, "doctor");

    // The demo leaves Require Credential off: a warning, not a failure.
    let (out, findings) = doctor(&dir, None);
    assert!(out.status.success(), "{findings:#?}");
    let credentials = finding(&findings, "credentials");
    assert_eq!(credentials["status"], "warn", "{credentials}");
    assert!(credentials["message"].as_str().unwrap().contains("require_credential is off"), "{credentials}");
    let set = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .arg("--data-dir")
        .arg(&dir)
        .env_remove("ALPENGLOW_ADMIN_SOCKET")
        .args(["settings", "set", "require_credential", "on"])
        .output()
        .unwrap();
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    let (out, findings) = doctor(&dir, None);
    assert!(out.status.success(), "{findings:#?}");
    assert!(findings.iter().all(|f| f["status"] == "ok"), "{findings:#?}");
    assert!(finding(&findings, "odoo")["message"].as_str().unwrap().contains("Odoo 19.0"));
    assert!(finding(&findings, "clock")["message"].as_str().unwrap().contains("of Odoo's clock"));
    assert!(finding(&findings, "store")["message"].as_str().unwrap().contains("through the running daemon"));

    // Wrong permissions: the data directory open to others, the socket to everyone.
    chmod(&dir, 0o755);
    chmod(&dir.join("admin.sock"), 0o666);
    let (out, findings) = doctor(&dir, None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 checks failed"));
    let data = finding(&findings, "data directory");
    assert_eq!(data["status"], "fail");
    assert!(data["message"].as_str().unwrap().contains("mode 755"), "{data}");
    assert_eq!(data["fix"], format!("chmod 700 {}", dir.display()));
    let socket = finding(&findings, "admin socket");
    assert_eq!(socket["status"], "fail");
    assert!(socket["fix"].as_str().unwrap().starts_with("chmod 600"), "{socket}");
    chmod(&dir, 0o700);
    chmod(&dir.join("admin.sock"), 0o600);

    // An Odoo that answers but lacks the configured database (another
    // store, no daemon, pointed at the demo's sandbox).
    let sandbox_url = demo.sandbox_url.trim_end_matches('/');
    let elsewhere = root.path().join("elsewhere");
    let config = root.path().join("wrong-db.toml");
    std::fs::write(&config, format!("[odoo]\nurl = \"{sandbox_url}\"\ndatabase = \"nosuch\"\n")).unwrap();
    demo_at::cli_ok(&elsewhere, &["init"]);
    let (out, findings) = doctor(&elsewhere, Some(&config));
    assert_eq!(out.status.code(), Some(1), "{findings:#?}");
    let odoo = finding(&findings, "odoo");
    assert_eq!(odoo["status"], "fail", "{odoo}");
    assert!(odoo["message"].as_str().unwrap().contains("has no database \"nosuch\""), "{odoo}");
    drop(demo);

    // A config file that does not load: the key is named.
    let config = root.path().join("alpenglow.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nlog_levle = \"debug\"\n").unwrap();
    let (out, findings) = doctor(&dir, Some(&config));
    assert_eq!(out.status.code(), Some(1));
    let c = finding(&findings, "config");
    assert_eq!(c["status"], "fail");
    assert!(c["message"].as_str().unwrap().contains("log_levle"), "{c}");
    assert!(!c["fix"].as_str().unwrap().is_empty());

    // A secret in a world-readable config, and an Odoo that does not answer.
    std::fs::write(
        &config,
        "[odoo]\nurl = \"http://127.0.0.1:1\"\nservice_key = \"0123456789abcdef0123456789abcdef\"\n",
    )
    .unwrap();
    chmod(&config, 0o644);
    let (out, findings) = doctor(&dir, Some(&config));
    assert_eq!(out.status.code(), Some(1));
    let c = finding(&findings, "config");
    assert_eq!(c["status"], "fail");
    assert!(c["fix"].as_str().unwrap().starts_with("chmod 640"), "{c}");
    let odoo = finding(&findings, "odoo");
    assert_eq!(odoo["status"], "fail");
    assert!(odoo["message"].as_str().unwrap().contains("does not answer"), "{odoo}");
    assert!(!odoo["message"].as_str().unwrap().contains("127.0.0.1:1"), "the URL stays out: {odoo}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("0123456789abcdef0123456789abcdef"), "the service key was printed");
}

#[test]
fn with_oauth_on_doctor_checks_the_public_url_the_metadata_and_the_key_file() {
    let root = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let key_file = root.path().join("oauth.key");
    let config = |public_url: &str| {
        format!(
            "listen = \"127.0.0.1:{port}\"\npublic_url = \"{public_url}\"\noauth_key_file = \"{}\"\n",
            key_file.display()
        )
    };
    let serve = crate::common::serve::Serve::start(root.path(), &config(&format!("http://127.0.0.1:{port}")));
    let settings = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .arg("--config")
        .arg(&serve.config)
        .arg("--data-dir")
        .arg(&serve.data_dir)
        .args(["settings", "set", "oauth_enabled", "on"])
        .output()
        .unwrap();
    assert!(settings.status.success(), "{}", String::from_utf8_lossy(&settings.stderr));
    let (_, findings) = doctor(&serve.data_dir, Some(&serve.config));
    let oauth = finding(&findings, "oauth");
    assert_eq!(oauth["status"], "ok", "{oauth}");
    assert!(oauth["message"].as_str().unwrap().contains("made on the first sign-in"), "{oauth}");

    // The public name answers with someone else's metadata (nothing there).
    let elsewhere = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    serve.rewrite_config(&config(&format!("http://127.0.0.1:{elsewhere}")));
    let (out, findings) = doctor(&serve.data_dir, Some(&serve.config));
    assert_eq!(out.status.code(), Some(1));
    let oauth = finding(&findings, "oauth");
    assert_eq!(oauth["status"], "fail", "{oauth}");
    assert!(oauth["message"].as_str().unwrap().contains("not reachable"), "{oauth}");

    // Plain http on a public name.
    serve.rewrite_config(&config("http://alpenglow.example.com"));
    let (_, findings) = doctor(&serve.data_dir, Some(&serve.config));
    let oauth = finding(&findings, "oauth");
    assert_eq!(oauth["status"], "fail");
    assert!(oauth["message"].as_str().unwrap().contains("https"), "{oauth}");

    // A key file open to others.
    serve.rewrite_config(&config(&format!("http://127.0.0.1:{port}")));
    std::fs::write(&key_file, format!("{}\n", "ab".repeat(32))).unwrap();
    chmod(&key_file, 0o644);
    let (_, findings) = doctor(&serve.data_dir, Some(&serve.config));
    let oauth = finding(&findings, "oauth");
    assert_eq!(oauth["status"], "fail", "{oauth}");
    assert!(oauth["fix"].as_str().unwrap().starts_with("chmod 600"), "{oauth}");
}
