//! The admin CLI against a real store in a temp dir, through the real binary.

use crate::common::cli;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const KEY: &str = "5f3c9a7e1b2d4f6a8c0e1f2a3b4c5d6e7f809a1b";

fn alpenglow(dir: &Path, args: &[&str]) -> Output {
    alpenglow_with_stdin(dir, args, "")
}

fn alpenglow_with_stdin(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alpenglow"));
    command.arg("--data-dir").arg(dir).args(args).env_remove("ALPENGLOW_CONFIG").current_dir(dir.parent().unwrap());
    cli::run_with_stdin(&mut command, stdin)
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = alpenglow(dir, &all);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

fn setting(dir: &Path, key: &str) -> Value {
    let shown = ok_json(dir, &["settings", "show"]);
    shown["settings"].as_array().unwrap().iter().find(|s| s["key"] == key).unwrap()["value"].clone()
}

fn stderr_line(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(text.trim_end().lines().count(), 1, "one-line message expected, got {text:?}");
    text.trim_end().to_string()
}

#[test]
fn bad_input_gives_exit_2_one_line_and_stores_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    ok_json(&dir, &["resources", "add", "res.partner"]);
    let cases: &[(&[&str], &str)] = &[
        (&["settings", "set", "max_records_per_request", "5"], "from 10 to 10,000"),
        (&["settings", "set", "max_records_per_request", "10001"], "from 10 to 10,000"),
        (&["settings", "set", "max_search_limit", "99"], "from 100 to 50,000"),
        (&["settings", "set", "max_search_limit", "50001"], "from 100 to 50,000"),
        (&["settings", "set", "requests_per_minute", "0"], "from 1 to 100,000"),
        (&["settings", "set", "aggregation_per_minute", "100001"], "from 1 to 100,000"),
        (&["settings", "set", "log_retention_days", "3651"], "from 1 to 3,650"),
        (&["settings", "set", "log_retention_days", "thirty"], "log_retention_days must be"),
        (&["settings", "set", "enable_mcp", "perhaps"], "enable_mcp must be on or off"),
        (&["settings", "set", "odoo_protocol", "soap"], "one of auto, json2, jsonrpc, xmlrpc"),
        (&["settings", "set", "odoo_url", "odoo.local"], "http:// or https://"),
        (&["settings", "set", "no_such_setting", "1"], "unknown setting"),
        (&["settings", "set", "enable_mcp"], "required"),
        (&["resources", "add", "Res.Partner"], "not an Odoo model name"),
        (&["resources", "add", "res.partner"], "already registered for all companies"),
        (&["resources", "add", "res.country", "--company", "abc"], "invalid value 'abc'"),
        (&["resources", "add", "res.country", "--ops", "read,fly"], "unknown operation"),
        (&["resources", "add", "res.country", "--filter", "[('active', '=')]"], "record filter"),
        (&["resources", "add", "res.country", "--filter", "[('a', '~', 1)]"], "unknown operator"),
        (&["resources", "add", "res.country", "--execute", "_private"], "private"),
        (&["resources", "add", "res.country", "--execute", "sudo"], "bypass"),
        (&["resources", "add", "res.country", "--allow-fields", ""], "at least one"),
        (&["resources", "add", "res.country", "--allow-fields", "a", "--deny-fields", "b"], "cannot be used with"),
        (&["resources", "edit", "999"], "no resource with id 999"),
        (&["resources", "remove", "sale.order"], "no resource for model"),
        (&["credentials", "revoke", "12"], "no credential with id 12"),
        (&["credentials", "revoke", "x"], "invalid value 'x'"),
        (&["credentials", "create", "--label", "a", "--user-id", "2", "--login", "admin"], "required"),
        (
            &["credentials", "create", "--label", "a", "--user-id", "-1", "--login", "admin", "--key-stdin"],
            "unexpected argument",
        ),
        (
            &[
                "credentials",
                "create",
                "--label",
                "a",
                "--user-id",
                "2",
                "--login",
                "x",
                "--key-stdin",
                "--scope",
                "root",
            ],
            "allowed: full, read-only",
        ),
        (
            &[
                "credentials",
                "create",
                "--label",
                "a",
                "--user-id",
                "2",
                "--login",
                "x",
                "--key-stdin",
                "--expires",
                "1/2/2027",
            ],
            "YYYY-MM-DD",
        ),
        (
            &[
                "credentials",
                "create",
                "--label",
                "a",
                "--user-id",
                "2",
                "--login",
                "x",
                "--key-stdin",
                "--expires",
                "2001-01-01",
            ],
            "in the past",
        ),
        (&["frobnicate"], "unrecognized subcommand"),
    ];
    for (args, expected) in cases {
        let out = alpenglow_with_stdin(&dir, args, &format!("{KEY}\n"));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let line = stderr_line(&out);
        assert!(line.starts_with("alpenglow: ") && line.contains(expected), "{args:?}: {line}");
    }
    // A short key on stdin is refused too.
    let out = alpenglow_with_stdin(
        &dir,
        &["credentials", "create", "--label", "a", "--user-id", "2", "--login", "x", "--key-stdin"],
        "short\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_line(&out).contains("16 to 256"));

    // Nothing was stored by any refused command.
    assert_eq!(setting(&dir, "max_records_per_request"), 500);
    assert_eq!(setting(&dir, "log_retention_days"), 30);
    assert_eq!(setting(&dir, "enable_mcp"), false);
    let resources = ok_json(&dir, &["resources", "list"]);
    assert_eq!(resources.as_array().unwrap().len(), 1);
    assert_eq!(ok_json(&dir, &["credentials", "list"]).as_array().unwrap().len(), 0);
}

#[test]
fn settings_survive_the_process_and_show_their_source() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    assert_eq!(ok_json(&dir, &["settings", "set", "max_search_limit", "2000"])["value"], 2000);
    ok_json(&dir, &["settings", "set", "enable_mcp", "on"]);
    let shown = ok_json(&dir, &["settings", "show"]);
    let limit = shown["settings"].as_array().unwrap().iter().find(|s| s["key"] == "max_search_limit").unwrap();
    assert_eq!(limit["value"], 2000);
    assert_eq!(limit["source"], "stored");
    assert_eq!(limit["default"], 1000);
    assert_eq!(setting(&dir, "enable_mcp"), true);
    assert!(shown["warnings"][0].as_str().unwrap().contains("require_credential is off"));
}

#[test]
fn resources_are_unique_per_company_and_bulk_add_is_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    ok_json(&dir, &["settings", "set", "default_read_only", "on"]);
    let added =
        ok_json(&dir, &["resources", "add", "res.partner", "sale.order", "--ops", "all", "--deny-fields", "email"]);
    assert_eq!(added.as_array().unwrap().len(), 2);
    assert_eq!(added[0]["read_only"], true, "a new resource takes Default Read-Only");
    assert_eq!(added[0]["effective_operations"], serde_json::json!(["read"]));
    // Same model, another company: allowed.
    let other =
        ok_json(&dir, &["resources", "add", "res.partner", "--company", "2", "--writable", "--ops", "read,write"]);
    assert_eq!(other[0]["company_id"], 2);
    assert_eq!(other[0]["effective_operations"], serde_json::json!(["read", "write"]));
    // A batch with one taken model adds nothing.
    let out = alpenglow(&dir, &["resources", "add", "product.product", "res.partner", "--company", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_line(&out).contains("already registered for company 2"));
    let models: Vec<String> = ok_json(&dir, &["resources", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["model"].as_str().unwrap().to_string())
        .collect();
    assert!(!models.contains(&"product.product".to_string()), "{models:?}");
    // Edit: by model name is ambiguous now, by id works; moving onto a taken pair is refused.
    let out = alpenglow(&dir, &["resources", "edit", "res.partner", "--read-only"]);
    assert!(stderr_line(&out).contains("registered for 2 companies"));
    let id = other[0]["id"].to_string();
    let out = alpenglow(&dir, &["resources", "edit", &id, "--all-companies"]);
    assert!(stderr_line(&out).contains("already registered for all companies"));
    let edited = ok_json(
        &dir,
        &["resources", "edit", &id, "--filter", "[('customer_rank', '>', 0)]", "--execute", "name_search"],
    );
    assert_eq!(edited[0]["record_filter"], "[('customer_rank', '>', 0)]");
    assert_eq!(edited[0]["execute_methods"], serde_json::json!(["name_search"]));
    // Remove frees the pair.
    ok_json(&dir, &["resources", "remove", &id]);
    ok_json(&dir, &["resources", "add", "res.partner", "--company", "2"]);
}

fn files_contain(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            hits.extend(files_contain(&path, needle));
        } else {
            let bytes = std::fs::read(&path).unwrap();
            if bytes.windows(needle.len()).any(|w| w == needle) {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

#[test]
fn credential_keys_are_hashed_and_revocation_is_permanent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let create =
        ["credentials", "create", "--label", "Claude - Ann", "--user-id", "6", "--login", "ann", "--key-stdin"];
    let out =
        alpenglow_with_stdin(&dir, &[&create[..], &["--json", "--scope", "read-only"]].concat(), &format!("{KEY}\n"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["scope"], "read-only");
    assert_eq!(created["status"], "active");
    assert_eq!(created["key_prefix"], &KEY[..8]);
    assert!(created.get("key_hash").is_none(), "views never carry the hash");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(KEY));

    // The same key twice is refused.
    let again = alpenglow_with_stdin(&dir, &create, &format!("{KEY}\n"));
    assert!(stderr_line(&again).contains("already has a credential"));

    // Key from an environment variable works too.
    let other_key = "ffffeeee".repeat(5);
    let out = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .args(["--data-dir", dir.to_str().unwrap(), "credentials", "create", "--label", "b", "--user-id", "7"])
        .args(["--login", "bob", "--key-env", "TEST_KEY", "--company", "1", "--expires", "2099-12-31"])
        .env("TEST_KEY", &other_key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let id = created["id"].to_string();
    let revoked = ok_json(&dir, &["credentials", "revoke", &id]);
    assert_eq!(revoked["status"], "revoked");
    let twice = alpenglow(&dir, &["credentials", "revoke", &id]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(stderr_line(&twice).contains("already revoked"));
    let listed = ok_json(&dir, &["credentials", "list"]);
    assert_eq!(listed[0]["status"], "revoked");
    assert_eq!(listed[0]["revoked_at"], revoked["revoked_at"]);
    assert_eq!(listed[1]["company_id"], 1);

    // The clear keys are nowhere in the data directory.
    assert_eq!(files_contain(&dir, KEY.as_bytes()), Vec::<String>::new());
    assert_eq!(files_contain(&dir, other_key.as_bytes()), Vec::<String>::new());
    assert!(!files_contain(&dir, b"$argon2id$").is_empty(), "the hash is stored");
}

#[test]
fn a_second_process_gets_a_clear_error_naming_the_directory_and_holder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut server = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_alpenglow"))
            .args(["--data-dir", dir.to_str().unwrap(), "serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(server.0.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("serving on"), "{first}");

    // With the daemon's admin socket the CLI would go through it; pointed at
    // a socket nobody answers, it opens the store itself and meets the lock.
    let out = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .arg("--data-dir")
        .arg(&dir)
        .args(["settings", "show"])
        .env("ALPENGLOW_ADMIN_SOCKET", tmp.path().join("nobody.sock"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line = stderr_line(&out);
    assert!(line.contains(&dir.display().to_string()), "{line}");
    assert!(line.contains(&format!("pid {}", server.0.id())), "{line}");
    assert!(line.contains("alpenglow serve"), "{line}");

    server.0.kill().unwrap();
    server.0.wait().unwrap();
    // Once the holder is gone, even by SIGKILL, the directory opens again.
    let out = alpenglow(&dir, &["settings", "show"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Kills a child process when the test ends, even by panic, so no server
/// outlives its test.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_report_piped_into_a_reader_that_left_ends_without_a_panic() {
    use std::os::unix::process::ExitStatusExt;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    assert!(alpenglow(&dir, &["settings", "set", "requests_per_minute", "50"]).status.success());
    for args in [&["settings", "show", "--json"][..], &["audit", "export", "--format", "jsonl"], &["resources", "list"]]
    {
        // The reader is gone before the command writes (as with `| head`
        // once it has its lines): every write meets a closed pipe.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
            .arg("--data-dir")
            .arg(&dir)
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert!(
            out.status.signal() == Some(libc::SIGPIPE) || out.status.success(),
            "{args:?} ended with {:?}",
            out.status
        );
    }
    // The store is untouched by the ended reports.
    assert_eq!(setting(&dir, "requests_per_minute"), 50);
}
