//! The admin socket for real: a daemon's socket in a temp dir (protocol,
//! errors, mode, stale files), and the admin CLI run against a running
//! `alpenglow demo` giving the same output as against the store directly.

use crate::common::cli;
use crate::common::demo;

use alpenglow::admin::api::{CreateCredential, ErrorKind, GetStatus, RevokeCredential, SecretText};
use alpenglow::admin::{AdminContext, AdminService};
use alpenglow::admin_socket::AdminClient;
use alpenglow::admin_socket::server::{AdminSocket, SocketOptions};
use alpenglow::gateway::UpstreamSlot;
use alpenglow::store::Store;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const KEY: &str = "5f3c9a7e1b2d4f6a8c0e1f2a3b4c5d6e7f809a1b";

/// A daemon-side socket over a fresh store, served on a background runtime.
fn serve(dir: &Path) -> (tokio::runtime::Runtime, std::path::PathBuf) {
    let store = Store::open_for(&dir.join("data"), "test").unwrap();
    let admin = AdminService::new(store, Default::default());
    let path = dir.join("run/admin.sock");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let socket =
        runtime.block_on(async { AdminSocket::bind(&SocketOptions { path: path.clone(), group: None }) }).unwrap();
    runtime.spawn(socket.serve(AdminContext::new(admin, UpstreamSlot::default(), None, "test")));
    (runtime, path)
}

fn raw(path: &Path, lines: &[&str]) -> Vec<Value> {
    let mut stream = UnixStream::connect(path).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    lines
        .iter()
        .map(|line| {
            stream.write_all(format!("{line}\n").as_bytes()).unwrap();
            let mut answer = String::new();
            reader.read_line(&mut answer).unwrap();
            serde_json::from_str(&answer).unwrap()
        })
        .collect()
}

#[test]
fn protocol_answers_ok_or_a_typed_error_per_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (_rt, path) = serve(tmp.path());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let answers = raw(
        &path,
        &[
            r#"{"op": "ping"}"#,
            r#"{"op": "resources.add", "args": {"models": ["res.partner"], "patch": {"ops": "read,write"}}}"#,
            r#"{"op": "resources.add", "args": {"models": ["res.partner"]}}"#,
            r#"{"op": "resources.remove", "args": {"resource": "99"}}"#,
            r#"{"op": "settings.set", "args": {"key": "max_search_limit", "value": "99"}}"#,
            r#"{"op": "frobnicate"}"#,
            r#"not json"#,
            r#"{"args": {}}"#,
            r#"{"op": "odoo.models"}"#,
            r#"{"op": "odoo.status"}"#,
        ],
    );
    assert_eq!(answers[0]["ok"]["mode"], "test");
    assert_eq!(answers[1]["ok"][0]["effective_operations"], json!(["read", "write"]));
    let kinds: Vec<&str> = answers[2..9].iter().map(|a| a["error"]["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["conflict", "not_found", "invalid", "invalid", "invalid", "invalid", "failed"]);
    assert!(answers[4]["error"]["message"].as_str().unwrap().contains("from 100 to 50,000"));
    assert!(answers[8]["error"]["message"].as_str().unwrap().contains("no Odoo service key"));
    assert_eq!(answers[9]["ok"]["configured"], false);

    // The audit log and sessions of the admin service answer on the same socket.
    let traffic =
        raw(&path, &[r#"{"op": "audit.query", "args": {"limit": 5, "from": "1h"}}"#, r#"{"op": "sessions.list"}"#]);
    assert!(traffic[0]["ok"]["entries"].is_array(), "{}", traffic[0]);
    assert!(traffic[1]["ok"].is_array(), "{}", traffic[1]);

    // The typed client reads the same answers.
    let client = AdminClient::connect(&path).unwrap();
    let e = client.call(RevokeCredential { id: 7 }).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    let create = CreateCredential {
        label: "a".into(),
        user_id: 2,
        login: "admin".into(),
        key: SecretText(KEY.into()),
        ..CreateCredential::default()
    };
    let created = client.call(create).unwrap();
    assert_eq!(created.key_prefix, &KEY[..8]);
    assert!(!serde_json::to_string(&created).unwrap().contains(KEY));
}

#[test]
fn stale_sockets_are_replaced_and_live_ones_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (rt, path) = serve(tmp.path());
    // A second daemon on the same path is refused while the first answers.
    let second = rt.block_on(async { AdminSocket::bind(&SocketOptions { path: path.clone(), group: None }).err() });
    assert!(second.unwrap().contains("another alpenglow answers"));
    drop(rt);
    // A socket file nobody answers on (a daemon killed with -9) is taken over.
    let listener = std::os::unix::net::UnixListener::bind(tmp.path().join("stale.sock")).unwrap();
    drop(listener);
    let stale = tmp.path().join("stale.sock");
    assert!(stale.exists());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { AdminSocket::bind(&SocketOptions { path: stale.clone(), group: None }).unwrap() });
    // A regular file is never removed.
    let file = tmp.path().join("file.sock");
    std::fs::write(&file, "x").unwrap();
    let refused = rt.block_on(async { AdminSocket::bind(&SocketOptions { path: file.clone(), group: None }).err() });
    assert!(refused.unwrap().contains("is not a socket"));
}

fn alpenglow(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alpenglow"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("ALPENGLOW_CONFIG")
        .env_remove("ALPENGLOW_ADMIN_SOCKET");
    cli::run_with_stdin(&mut command, stdin)
}

/// Text with ids and timestamps that differ between two stores masked.
fn normalize(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_inclusive(|c: char| c.is_whitespace() || c == '"' || c == ',') {
        let core = word.trim_end_matches(|c: char| c.is_whitespace() || c == '"' || c == ',');
        if core.len() >= 10 && core.as_bytes()[4] == b'-' && core.starts_with("20") {
            out.push_str(&word.replace(core, "DATE"));
        } else {
            out.push_str(word);
        }
    }
    out
}

#[test]
fn the_admin_cli_gives_the_same_answers_through_a_running_demo() {
    let demo = demo::Demo::start();
    let live = demo.data_dir.path().to_path_buf();
    assert!(live.join("admin.sock").exists());
    // The same commands on a stopped copy: the demo's state, opened directly.
    let tmp = tempfile::tempdir().unwrap();
    let direct = tmp.path().join("data");
    let seed = alpenglow(
        &direct,
        &[
            "resources",
            "add",
            "res.partner",
            "res.partner.category",
            "res.country",
            "res.company",
            "product.product",
            "sale.order",
            "sale.order.line",
        ],
        "",
    );
    assert!(seed.status.success());
    // The demo's own credential for the sales key is revoked, so the key can
    // be registered again (and is checked against the demo's sandbox).
    let listed: Value =
        serde_json::from_slice(&alpenglow(&live, &["credentials", "list", "--json"], "").stdout).unwrap();
    let sales = listed.as_array().unwrap().iter().find(|c| c["login"] == "sales").unwrap()["id"].to_string();
    assert!(alpenglow(&live, &["credentials", "revoke", &sales], "").status.success());
    let commands: &[(&[&str], &str)] = &[
        (&["settings", "set", "max_search_limit", "2000"], ""),
        (&["settings", "set", "max_search_limit", "99"], ""),
        (&["settings", "set", "enable_mcp", "on"], ""),
        (&["resources", "add", "res.users", "--ops", "read,write", "--deny-fields", "email"], ""),
        (&["resources", "add", "res.users"], ""),
        (&["resources", "edit", "res.users", "--filter", "[('active', '=')]"], ""),
        (&["resources", "edit", "res.users", "--filter", "[('active', '=', True)]", "--json"], ""),
        (&["resources", "remove", "res.users"], ""),
        (&["resources", "remove", "res.users"], ""),
        (
            // The sandbox's own key of its user 6, which the demo checks against it.
            &["credentials", "create", "--label", "Ann", "--user-id", "6", "--login", "sales", "--key-stdin", "--json"],
            "18e62e8fbcb97395abd671f722a26e4285e5ff62\n",
        ),
        (
            &["credentials", "create", "--label", "Ann", "--user-id", "6", "--login", "sales", "--key-stdin"],
            "18e62e8fbcb97395abd671f722a26e4285e5ff62\n",
        ),
        (&["credentials", "create", "--label", "x", "--user-id", "6", "--login", "ann", "--key-stdin"], "short\n"),
        (&["credentials", "revoke", "999"], ""),
        (&["settings", "show"], ""),
    ];
    for (args, stdin) in commands {
        let through_socket = alpenglow(&live, args, stdin);
        let on_store = alpenglow(&direct, args, stdin);
        assert_eq!(through_socket.status.code(), on_store.status.code(), "{args:?}");
        let texts = |o: &Output| {
            (normalize(&String::from_utf8_lossy(&o.stdout)), String::from_utf8_lossy(&o.stderr).to_string())
        };
        let (socket_out, socket_err) = texts(&through_socket);
        let (store_out, store_err) = texts(&on_store);
        // Ids differ (the demo made credentials first); the rest is identical.
        // Wider ids widen a column: compare words.
        let strip_ids = |s: &str| mask_numbers(s).split_whitespace().collect::<Vec<_>>().join(" ");
        let json_ids = |s: &str| {
            serde_json::from_str::<Value>(s.trim()).ok().map(|v| {
                let items = match v {
                    Value::Array(items) => items,
                    one => vec![one],
                };
                items
                    .into_iter()
                    .map(|mut item| {
                        if let Some(o) = item.as_object_mut() {
                            o.remove("id");
                        }
                        item
                    })
                    .collect::<Vec<_>>()
            })
        };
        if let (Some(a), Some(b)) = (json_ids(&socket_out), json_ids(&store_out)) {
            assert_eq!(a, b, "{args:?}");
        } else {
            assert_eq!(strip_ids(&socket_out), strip_ids(&store_out), "{args:?}");
        }
        assert_eq!(mask_numbers(&socket_err), mask_numbers(&store_err), "{args:?}");
    }
    // The key went over the socket and into a hash, never into a file or a log.
    let listed = alpenglow(&live, &["credentials", "list", "--json"], "");
    assert!(String::from_utf8_lossy(&listed.stdout).contains("\"label\":\"Ann\""));
    for entry in walk(&live) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(!bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()), "{}", entry.display());
    }
}

/// Runs of digits as `#`: ids differ between the two stores.
fn mask_numbers(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !out.ends_with('#') {
                out.push('#');
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.is_file() {
            out.push(path);
        }
    }
    out
}

#[test]
fn with_a_daemon_the_cli_goes_through_its_socket_and_without_one_names_the_holder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut server = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .args(["--data-dir", dir.to_str().unwrap(), "serve", "--listen", "127.0.0.1:0"])
        .env_remove("ALPENGLOW_ADMIN_SOCKET")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("serving on") && first.contains("admin_socket="), "{first}");
    let through = alpenglow(&dir, &["settings", "set", "max_search_limit", "2000"], "");
    assert!(through.status.success(), "{}", String::from_utf8_lossy(&through.stderr));
    // A socket nobody answers on: the store is opened directly, and the lock names its holder.
    let out = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .args(["--data-dir", dir.to_str().unwrap(), "settings", "show"])
        .env("ALPENGLOW_ADMIN_SOCKET", tmp.path().join("nobody.sock"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(line.contains(&format!("pid {}", server.id())) && line.contains("alpenglow serve"), "{line}");
    server.kill().unwrap();
    server.wait().unwrap();
    // The daemon is gone (SIGKILL left its socket file): the CLI opens the store itself.
    let after = alpenglow(&dir, &["settings", "show", "--json"], "");
    assert!(after.status.success(), "{}", String::from_utf8_lossy(&after.stderr));
    assert!(String::from_utf8_lossy(&after.stdout).contains("\"value\":2000"));
}

#[test]
fn the_demo_reports_its_sandbox_database_version_connection_and_mcp_url() {
    let demo = demo::Demo::start();
    let client = AdminClient::connect(&demo.data_dir.path().join("admin.sock")).unwrap();
    let status = client.call(GetStatus {}).unwrap();
    let odoo = &status.odoo;
    assert!(odoo.configured, "{status:?}");
    assert!(odoo.connected, "{status:?}");
    assert_eq!(odoo.url.as_deref(), Some(demo.sandbox_url.as_str()), "{status:?}");
    // The demo pins its sandbox without storing it in the settings: the status still names it.
    assert_eq!(odoo.database.as_deref(), Some("demo"), "{status:?}");
    assert!(odoo.version.as_deref().is_some_and(|v| v.starts_with("19.0")), "{status:?}");
    assert_eq!(odoo.protocol.as_deref(), Some("json2"), "{status:?}");
    // Where MCP clients connect: the address the demo listens on.
    let gateway = status.gateway.as_ref().expect("the demo listens");
    assert_eq!(gateway.mcp_url, demo.mcp_url, "{status:?}");
    assert_eq!(gateway.url, demo.base(), "{status:?}");
}
