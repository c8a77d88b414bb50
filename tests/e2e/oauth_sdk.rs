//! Remote connectors end to end: the official MCP Python SDK's OAuth client
//! (`mcp==2.3.0`, tests/clients/python/oauth_client.py) against Alpenglow's
//! authorization server: discovery from the 401, registration by DCR and
//! by a client metadata document served here over HTTPS on loopback, the
//! consent form submitted as a browser would, the code exchange with PKCE,
//! tools/list and tools/call as the signed-in user (the sandbox's own count
//! of calls per user says who), a refresh, and revocation taking effect.
//! Then the real `alpenglow demo` at debug log level: no token, code or
//! Odoo key appears in clear in the data directory, the log or the audit
//! export.

use crate::common::clients;
use crate::common::oauth::{self as flow, Options, REDIRECT};
use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};

/// Runs the SDK script; its output after checking it passed every check.
fn run_script(url: &str, login: &str, key: &str, metadata_url: Option<&str>, env: &[(&str, &str)]) -> String {
    clients::ensure();
    let script = clients::path("python/oauth_client.py");
    let mut command = Command::new(clients::path("python/.venv2/bin/python"));
    command.arg(&script).args([url, login, key]).args(metadata_url).current_dir(script.parent().unwrap());
    for (k, v) in env {
        command.env(k, v);
    }
    let out: Output = command.output().expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the OAuth client failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(!stdout.contains("FAIL "), "{stdout}");
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.ends_with(" passed, 0 failed") && !summary.starts_with("0 "), "{stdout}");
    eprintln!("{stdout}");
    stdout
}

/// The tokens and codes the script saw.
fn secrets(output: &str) -> Vec<String> {
    let secrets: Vec<String> = output.lines().filter_map(|l| l.strip_prefix("SECRET ")).map(str::to_string).collect();
    assert!(secrets.len() >= 5, "a code and two token pairs: {secrets:?}");
    secrets
}

/// Every file under `dir`, read as bytes, searched for `needle`.
fn found_in_files(dir: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            hits.extend(found_in_files(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            hits.push(path.display().to_string());
        }
    }
    hits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_oauth_with_registration_acts_as_the_person_who_signed_in() {
    let s = flow::start(Options::default()).await;
    let (sales_uid, login, key) = s.user("sales");
    let (admin_uid, _, _) = s.user("admin");
    let (as_sales, as_admin) = (s.sandbox.calls_as(sales_uid), s.sandbox.calls_as(admin_uid));
    let url = s.resource();
    let (login2, key2) = (login.clone(), key.clone());
    let output = tokio::task::spawn_blocking(move || run_script(&url, &login2, &key2, None, &[])).await.unwrap();
    assert!(output.contains("NEGOTIATED 2026-07-28"), "{output}");
    assert!(s.sandbox.calls_as(sales_uid) > as_sales, "the sandbox saw the signed-in user");
    assert_eq!(s.sandbox.calls_as(admin_uid), as_admin, "and nobody else");
    // The grant is the sales user's own credential's, and its key is erased.
    let grants = alpenglow::oauth::Grants::new(s.admin.store().clone()).list(None).unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].uid, sales_uid);
    assert!(!grants[0].is_active() && grants[0].sealed_key.is_none(), "revoked by the client, key erased");
    // Nothing the client saw is in the data directory in clear.
    s.admin.store().flush().unwrap();
    for secret in secrets(&output).iter().chain([&key]) {
        assert_eq!(found_in_files(s.dir.path(), secret), Vec::<String>::new(), "a secret in clear");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_oauth_with_a_client_metadata_document() {
    let dir = tempfile::tempdir().unwrap();
    let host = flow::MetadataHost::start(dir.path()).await;
    let s = flow::start(Options { fetch_ca: Some(host.ca_file.clone()), ..Options::default() }).await;
    let document_url = host.url("/oauth/alpenglow-e2e.json");
    host.put(
        "/oauth/alpenglow-e2e.json",
        &json!({
            "client_id": document_url,
            "client_name": "Alpenglow CIMD end-to-end",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }),
    );
    // The loopback host is allowlisted as an admin would.
    s.admin.set_setting("oauth_client_hosts", "claude.ai, 127.0.0.1").unwrap();
    let (sales_uid, login, key) = s.user("sales");
    let before = s.sandbox.calls_as(sales_uid);
    let url = s.resource();
    let metadata_url = document_url.clone();
    let output =
        tokio::task::spawn_blocking(move || run_script(&url, &login, &key, Some(&metadata_url), &[])).await.unwrap();
    assert!(host.hits() >= 1, "the document was fetched");
    assert!(s.sandbox.calls_as(sales_uid) > before);
    let grants = alpenglow::oauth::Grants::new(s.admin.store().clone()).list(None).unwrap();
    assert_eq!(grants[0].client_id, document_url);
    assert_eq!(grants[0].client_name, "Alpenglow CIMD end-to-end");
    assert!(output.contains("PASS oauth the client_id is the metadata document URL"));
    // No registration was made.
    assert_eq!(s.admin.oauth_clients().unwrap(), vec![]);
}

#[test]
fn oauth_secrets_never_appear_in_clear_in_the_data_directory_log_or_audit() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let cli = |args: &[&str]| {
        let out =
            Command::new(env!("CARGO_BIN_EXE_alpenglow")).arg("--data-dir").arg(&data).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    cli(&["settings", "set", "oauth_enabled", "on"]);
    let log = root.path().join("demo.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .arg("--data-dir")
        .arg(&data)
        .args(["--log-level", "debug", "demo", "--listen", "127.0.0.1:0", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    let demo: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = demo["mcp_url"].as_str().unwrap().to_string();
    let key = demo["keys"]["sales"].as_str().unwrap().to_string();
    let output = run_script(&url, "sales", &key, None, &[]);
    // The admin's view, through the daemon's socket: the client revoked its grant.
    let grants: serde_json::Value =
        serde_json::from_slice(&cli(&["--json", "oauth", "grants", "--all"]).stdout).unwrap();
    assert_eq!(grants.as_array().unwrap().len(), 1, "{grants}");
    assert_eq!(grants[0]["status"], "revoked");
    assert_eq!(grants[0]["login"], "sales");
    assert_eq!(grants[0]["key_kept"], false);
    let text = String::from_utf8_lossy(&cli(&["oauth", "grants", "--all"]).stdout).into_owned();
    assert!(
        text.contains("Alpenglow OAuth end-to-end") && text.contains("odoo.read odoo.write odoo.execute"),
        "{text}"
    );
    let _ = child.kill();
    let _ = child.wait();
    // And on the store directly once the daemon is gone.
    let clients: serde_json::Value = serde_json::from_slice(&cli(&["--json", "oauth", "clients"]).stdout).unwrap();
    assert_eq!(clients[0]["name"], "Alpenglow OAuth end-to-end");
    let again = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .arg("--data-dir")
        .arg(&data)
        .args(["oauth", "revoke", &grants[0]["id"].to_string()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "refused input");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already revoked"));
    let export = cli(&["audit", "export", "--format", "jsonl"]);
    let export = String::from_utf8_lossy(&export.stdout).into_owned();
    assert!(export.contains("oauth.authorize") && export.contains("oauth.refresh") && export.contains("oauth.revoke"));
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.contains("oauth"), "the log has the OAuth events");
    for secret in secrets(&output).iter().chain([&key]) {
        assert!(!log_text.contains(secret.as_str()), "a secret in the log");
        assert!(!export.contains(secret.as_str()), "a secret in the audit export");
        assert_eq!(found_in_files(&data, secret), Vec::<String>::new(), "a secret in clear in the data directory");
    }
}
