//! Memory of the daemon: `cargo bench --bench memory`.
//!
//! Starts the real `alpenglow serve` (the bench profile's build) on a temp
//! data directory, pointed at a sandbox in this process (so the sandbox's
//! dataset is not counted), and reads its RSS from /proc: idle after start,
//! after a few tool calls (caches warm), then with `ALPENGLOW_BENCH_SESSIONS`
//! (default 1,000) legacy MCP sessions open (2025-06-18 `initialize`, its
//! `Mcp-Session-Id`, `notifications/initialized`), and the peak. Targets
//! (issue 16): idle under 30 MB, under 100 MB with 1,000 sessions.

#[path = "../tests/common/inproc.rs"]
mod inproc;
#[path = "../tests/common/serve.rs"]
mod serve;

#[path = "support/mod.rs"]
mod support;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;
use support::{load, rss};

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// One POST to the MCP endpoint on a connection of its own: (status, the
/// `Mcp-Session-Id` header if any, body).
fn post(addr: SocketAddr, headers: &[(&str, &str)], body: &Value) -> (u16, Option<String>, String) {
    let body = body.to_string();
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "POST /alpenglow/mcp HTTP/1.1\r\nHost: bench\r\nConnection: close\r\nContent-Type: application/json\r\n\
Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    stream.write_all(format!("{head}\r\n{body}").as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let session = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("mcp-session-id"))
        .map(|(_, v)| v.trim().to_string());
    (status, session, String::from_utf8_lossy(&raw[split + 4..]).to_string())
}

/// Opens one legacy session as a client does, and returns its id.
fn open_session(addr: SocketAddr, bearer: &str, n: usize) -> String {
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "memory-bench", "version": format!("{n}")}}});
    let (status, session, body) = post(addr, &[("Authorization", bearer)], &initialize);
    let session = session.unwrap_or_else(|| panic!("initialize: {status} {body}"));
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let headers = [("Authorization", bearer), ("Mcp-Session-Id", &session), ("MCP-Protocol-Version", "2025-06-18")];
    let (status, _, body) = post(addr, &headers, &initialized);
    assert_eq!(status, 202, "notifications/initialized: {body}");
    session
}

fn cli(serve: &serve::Serve, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .arg("--config")
        .arg(&serve.config)
        .arg("--data-dir")
        .arg(&serve.data_dir)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn main() {
    let sessions: usize = std::env::var("ALPENGLOW_BENCH_SESSIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let sandbox = runtime.block_on(inproc::start_sandbox());
    let bearer = format!("Bearer {}", sandbox.user("admin").unwrap().key);
    let root = tempfile::tempdir().unwrap();
    let config = format!(
        "listen = \"127.0.0.1:0\"\nadmin_socket = \"{}\"\n[odoo]\nurl = \"{}\"\ndatabase = \"{}\"\n",
        root.path().join("admin.sock").display(),
        sandbox.url(),
        sandbox.database()
    );
    let mut serve = serve::Serve::start(root.path(), &config);
    let pid = serve.child.id();
    let addr = serve.addr;
    // Through the daemon's admin socket, as an admin would.
    cli(&serve, &["settings", "set", "enable_mcp", "on"]);
    cli(&serve, &["settings", "set", "requests_per_minute", "100000"]);
    cli(&serve, &["resources", "add", "res.partner"]);
    std::thread::sleep(Duration::from_secs(1));
    let (idle, _) = rss(pid);

    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "alpenglow_search",
        "arguments": {"model": "res.partner", "fields": ["name", "email"], "limit": 20},
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientCapabilities": {}}}});
    for _ in 0..20 {
        let (status, _, body) = post(
            addr,
            &[
                ("Authorization", &bearer),
                ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", "alpenglow_search"),
            ],
            &call,
        );
        assert!(status == 200 && !body.contains("\"isError\":true"), "tools/call: {status} {body}");
    }
    std::thread::sleep(Duration::from_millis(500));
    let (warm, _) = rss(pid);

    let threads = 8;
    let opened: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let bearer = bearer.as_str();
                scope.spawn(move || {
                    (t..sessions).step_by(threads).map(|n| open_session(addr, bearer, n)).collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    assert_eq!(opened.iter().collect::<std::collections::HashSet<_>>().len(), sessions, "distinct session ids");
    // The first session still answers: they are open, not replaced.
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let headers =
        [("Authorization", bearer.as_str()), ("Mcp-Session-Id", &opened[0]), ("MCP-Protocol-Version", "2025-06-18")];
    let (status, _, body) = post(addr, &headers, &list);
    assert!(status == 200 && body.contains("alpenglow_search"), "tools/list in the first session: {status} {body}");
    std::thread::sleep(Duration::from_secs(1));
    let (with_sessions, peak) = rss(pid);

    println!("alpenglow serve (bench profile), load average {}", load());
    println!("idle after start                 RSS {:>7.1} MiB", mib(idle));
    println!("after 20 tools/call (warm)       RSS {:>7.1} MiB", mib(warm));
    println!("with {sessions:>5} legacy MCP sessions RSS {:>7.1} MiB  (peak {:.1} MiB)", mib(with_sessions), mib(peak));
    serve.signal(libc::SIGTERM);
    let _ = serve.child.wait();
    drop(sandbox);
}
