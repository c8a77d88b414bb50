//! What the gateway adds to an Odoo call: `cargo bench --bench gateway`.
//!
//! One run, one process: the sandbox (Odoo 19, JSON-2) and the gateway with
//! its faces on loopback, each over real HTTP/1.1 keep-alive connections
//! from a client runtime of its own. For search, read, aggregate and create
//! it measures the same work twice, through the gateway's direct JSON-RPC
//! face and straight to the sandbox's JSON-2, at 1 and at 64 connections,
//! and prints latency (p50, p99), throughput, the p50 overhead and the
//! throughput ratio. Plus the MCP 2026-07-28 stateless `tools/call` at 16
//! connections and, when `ALPENGLOW_BENCH_MCP_SERVER_ODOO` names a Python
//! with `mcp_server_odoo` installed (`benches/mcp-server-odoo.sh` makes one
//! and runs this), the same search through mcp-server-odoo's `tools/call`
//! (streamable HTTP, one session per connection, YOLO read mode over
//! JSON-2) on the same sandbox at 16 connections, and the ratio. The audit
//! log is on (the default), so each gateway call includes its durable entry.
//! The load average is printed with the figures: the machine is shared.
//!
//! `ALPENGLOW_BENCH_SECONDS` sets each measurement's length (default 3).

#[path = "../tests/common/inproc.rs"]
mod inproc;

#[path = "support/mod.rs"]
mod support;
use alpenglow::config::Scope;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::load;

/// One kind of request, sent again and again.
struct Workload {
    name: &'static str,
    addr: SocketAddr,
    path: String,
    headers: Vec<(&'static str, String)>,
    /// The body of the n-th request (creates need distinct names).
    body: Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>,
    /// MCP sessions, one per connection (connection c sends `sessions[c]`
    /// as `Mcp-Session-Id`); empty for stateless requests.
    sessions: Vec<String>,
}

struct Figures {
    p50: Duration,
    p99: Duration,
    per_second: f64,
}

fn seconds() -> Duration {
    let s = std::env::var("ALPENGLOW_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    Duration::from_secs_f64(s)
}

/// How many requests each connection sends before measuring, so caches
/// such as the verified key and Odoo's field lists are warm.
const WARM_UP: u64 = 4;

/// `connections` clients, each sending its next request when the last
/// answer is in, for `seconds()`, all starting together once every
/// connection has sent its [`WARM_UP`] requests. Every answer must be 200
/// with a JSON body that is not an error, or the bench stops: a fast
/// refusal is no figure.
async fn run(workload: &Workload, connections: usize) -> Figures {
    let ready = Arc::new(tokio::sync::Barrier::new(connections + 1));
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (addr, path, mut headers, body) =
            (workload.addr, workload.path.clone(), workload.headers.clone(), workload.body.clone());
        if !workload.sessions.is_empty() {
            headers.push(("Mcp-Session-Id", workload.sessions[c % workload.sessions.len()].clone()));
        }
        let ready = ready.clone();
        // As a client writes it: mcp-server-odoo checks it (DNS rebinding).
        let host = addr.to_string();
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
            tokio::spawn(conn);
            let mut n = (c as u64) << 32;
            let mut send = async |n: u64| {
                let mut request =
                    Request::post(path.as_str()).header("Host", &host).header("Content-Type", "application/json");
                for (k, v) in &headers {
                    request = request.header(*k, v.as_str());
                }
                let request = request.body(Full::new(Bytes::from(body(n)))).unwrap();
                let started = Instant::now();
                let response = sender.send_request(request).await.unwrap();
                let status = response.status();
                let bytes = response.into_body().collect().await.unwrap().to_bytes();
                let took = started.elapsed();
                let answer = parse_answer(&bytes);
                assert!(
                    status == 200
                        && answer.get("error").is_none_or(Value::is_null)
                        && answer["result"]["isError"] != true,
                    "{path}: {status} {}",
                    String::from_utf8_lossy(&bytes)
                );
                took
            };
            for _ in 0..WARM_UP {
                n += 1;
                send(n).await;
            }
            ready.wait().await;
            let deadline = Instant::now() + seconds();
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                n += 1;
                latencies.push(send(n).await);
            }
            latencies
        }));
    }
    ready.wait().await;
    let started = Instant::now();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    assert!(!all.is_empty(), "{}: no answer measured in {:?}", workload.name, seconds());
    all.sort();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Figures { p50: at(0.5), p99: at(0.99), per_second: all.len() as f64 / elapsed.as_secs_f64() }
}

/// A JSON answer, or the data of a one-event SSE answer.
fn parse_answer(bytes: &[u8]) -> Value {
    let text = String::from_utf8_lossy(bytes);
    let json = match text.lines().find_map(|l| l.strip_prefix("data:")) {
        Some(data) if text.starts_with("event:") || text.starts_with("data:") => data.trim().to_string(),
        _ => text.to_string(),
    };
    serde_json::from_str(&json).unwrap_or(Value::Null)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn print(name: &str, connections: usize, f: &Figures) {
    println!(
        "{name:<34} {connections:>3} conn  p50 {:>7.3} ms  p99 {:>7.3} ms  {:>8.0} req/s",
        ms(f.p50),
        ms(f.p99),
        f.per_second
    );
}

fn main() {
    let server = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (setup, gateway) = server.block_on(async {
        let s = inproc::setup().await;
        for (key, value) in
            [("requests_per_minute", "100000"), ("writes_per_minute", "100000"), ("aggregation_per_minute", "100000")]
        {
            s.admin.set_setting(key, value).unwrap();
        }
        s.edit_resource("res.partner", |d| d.operations = alpenglow::config::Operations::ALL);
        s.credential("admin", Scope::Full, None);
        let gateway = s.serve(Vec::new()).await;
        (s, gateway)
    });
    let sandbox: SocketAddr = setup.sandbox.url().trim_start_matches("http://").parse().unwrap();
    let key = setup.sandbox.user("admin").unwrap().key;
    let bearer = format!("Bearer {key}");
    let db = setup.sandbox.database().to_string();

    let via_gateway = |name: &'static str, method: &'static str, params: Value| Workload {
        name,
        addr: gateway,
        path: "/alpenglow/mcp".into(),
        headers: vec![("Authorization", bearer.clone())],
        body: Arc::new(move |n| {
            let mut params = params.clone();
            if let Some(values) = params.get_mut("values") {
                values["name"] = json!(format!("Bench {n}"));
            }
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string().into_bytes()
        }),
        sessions: Vec::new(),
    };
    let direct = |name: &'static str, method: &'static str, args: Value| Workload {
        name,
        addr: sandbox,
        path: format!("/json/2/res.partner/{method}"),
        headers: vec![("Authorization", bearer.clone()), ("X-Odoo-Database", db.clone())],
        body: Arc::new(move |n| {
            let mut args = args.clone();
            if let Some(vals) = args.get_mut("vals_list") {
                vals[0]["name"] = json!(format!("Bench {n}"));
            }
            args.to_string().into_bytes()
        }),
        sessions: Vec::new(),
    };
    let companies = json!([["is_company", "=", true]]);
    let ids: Vec<i64> = (1..=20).collect();
    let pairs = [
        (
            via_gateway(
                "search 20 companies (gateway)",
                "alpenglow_search",
                json!({"model": "res.partner", "domain": companies, "fields": ["name", "email"], "limit": 20}),
            ),
            direct(
                "search_read (sandbox direct)",
                "search_read",
                json!({"domain": companies, "fields": ["name", "email"], "limit": 20}),
            ),
        ),
        (
            via_gateway(
                "read 20 ids (gateway)",
                "alpenglow_read",
                json!({"model": "res.partner", "ids": ids, "fields": ["name", "email"]}),
            ),
            direct("read (sandbox direct)", "read", json!({"ids": ids, "fields": ["name", "email"]})),
        ),
        (
            via_gateway(
                "aggregate by country (gateway)",
                "alpenglow_aggregate",
                json!({"model": "res.partner", "operation": "group_by", "groupby": "country_id"}),
            ),
            direct(
                "formatted_read_group (direct)",
                "formatted_read_group",
                json!({"domain": [], "groupby": ["country_id"], "aggregates": ["__count"]}),
            ),
        ),
        (
            via_gateway("create (gateway)", "alpenglow_create", json!({"model": "res.partner", "values": {}})),
            direct("create (sandbox direct)", "create", json!({"vals_list": [{}]})),
        ),
    ];

    let client = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!("gateway vs sandbox direct, {:?} per measurement, audit on, load average {}", seconds(), load());
    // Creates last: the partners they add would slow every later search.
    let (creates, reads) = pairs.split_last().unwrap();
    for (through, straight) in reads {
        compare(&client, through, straight);
    }
    mcp_calls(&client, gateway, &bearer, &setup, &key, &db);
    compare(&client, &creates.0, &creates.1);
    println!("load average at the end: {}", load());
    drop(setup);
}

/// One operation through the gateway and straight to the sandbox, at 1 and
/// 64 connections, one after the other, with the overhead and the ratio.
fn compare(client: &tokio::runtime::Runtime, through: &Workload, straight: &Workload) {
    for connections in [1, 64] {
        let g = client.block_on(run(through, connections));
        let d = client.block_on(run(straight, connections));
        print(through.name, connections, &g);
        print(straight.name, connections, &d);
        println!(
            "{:<34} {connections:>3} conn  overhead p50 {:+.3} ms  throughput ratio {:.2}x",
            "",
            ms(g.p50) - ms(d.p50),
            g.per_second / d.per_second
        );
    }
}

/// The MCP face, stateless 2026-07-28 (no session, one POST per call), at
/// 16 connections, then mcp-server-odoo's when it is installed.
fn mcp_calls(
    client: &tokio::runtime::Runtime,
    gateway: SocketAddr,
    bearer: &str,
    setup: &inproc::Setup,
    key: &str,
    db: &str,
) {
    let mcp = Workload {
        name: "MCP 2026-07-28 tools/call search",
        addr: gateway,
        path: "/alpenglow/mcp".into(),
        headers: vec![
            ("Authorization", bearer.to_string()),
            ("Accept", "application/json, text/event-stream".into()),
            ("MCP-Protocol-Version", "2026-07-28".into()),
            ("Mcp-Method", "tools/call".into()),
            ("Mcp-Name", "alpenglow_search".into()),
        ],
        body: Arc::new(|_| {
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
                "name": "alpenglow_search",
                "arguments": {"model": "res.partner", "domain": [["is_company", "=", true]], "fields": ["name", "email"], "limit": 20},
                "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                          "io.modelcontextprotocol/clientCapabilities": {}}}})
            .to_string()
            .into_bytes()
        }),
        sessions: Vec::new(),
    };
    let ours = client.block_on(run(&mcp, 16));
    print(mcp.name, 16, &ours);
    if let Ok(python) = std::env::var("ALPENGLOW_BENCH_MCP_SERVER_ODOO") {
        let theirs = mcp_server_odoo(client, &python, &setup.sandbox.url(), key, db);
        println!(
            "{:<34}  16 conn  Alpenglow stateless / mcp-server-odoo: {:.1}x its calls/s",
            "",
            ours.per_second / theirs.per_second
        );
    }
}

/// mcp-server-odoo (`python -m mcp_server_odoo`, streamable HTTP) on a free
/// port against the same sandbox, 16 sessions, the same search as
/// `search_records`; stopped afterwards.
fn mcp_server_odoo(client: &tokio::runtime::Runtime, python: &str, odoo_url: &str, key: &str, db: &str) -> Figures {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = std::process::Command::new(python)
        .args(["-m", "mcp_server_odoo"])
        .env("ODOO_URL", odoo_url)
        .env("ODOO_API_KEY", key)
        .env("ODOO_DB", db)
        .env("ODOO_YOLO", "read")
        .env("ODOO_MCP_TRANSPORT", "streamable-http")
        .env("ODOO_MCP_HOST", "127.0.0.1")
        .env("ODOO_MCP_PORT", port.to_string())
        .env("ODOO_MCP_LOG_LEVEL", "WARNING")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("mcp-server-odoo starts");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "mcp-server-odoo did not listen on {addr}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let headers: Vec<(&'static str, String)> =
        vec![("Accept", "application/json, text/event-stream".into()), ("MCP-Protocol-Version", "2025-06-18".into())];
    let sessions = client.block_on(async {
        let mut sessions = Vec::new();
        for n in 0..16 {
            sessions.push(open_session(addr, n).await);
        }
        sessions
    });
    let workload = Workload {
        name: "mcp-server-odoo 0.9 tools/call",
        addr,
        path: "/mcp".into(),
        headers,
        body: Arc::new(|_| {
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
                "name": "search_records",
                "arguments": {"model": "res.partner", "domain": [["is_company", "=", true]], "fields": ["name", "email"], "limit": 20}}})
            .to_string()
            .into_bytes()
        }),
        sessions,
    };
    let figures = client.block_on(run(&workload, 16));
    print(workload.name, 16, &figures);
    let _ = child.kill();
    let _ = child.wait();
    figures
}

/// A legacy MCP session on mcp-server-odoo: initialize, then initialized.
async fn open_session(addr: SocketAddr, n: usize) -> String {
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": n.to_string()}}});
    let (status, session) = post_once(addr, initialize, None).await;
    let session = session.unwrap_or_else(|| panic!("initialize answered {status} without a session id"));
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(post_once(addr, initialized, Some(&session)).await.0, 202);
    session
}

/// One POST to `/mcp` on a connection of its own: the status and the
/// `Mcp-Session-Id` answered, if any.
async fn post_once(addr: SocketAddr, body: Value, session: Option<&str>) -> (u16, Option<String>) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let mut request = Request::post("/mcp")
        .header("Host", addr.to_string())
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2025-06-18");
    if let Some(session) = session {
        request = request.header("Mcp-Session-Id", session);
    }
    let response = sender.send_request(request.body(Full::new(Bytes::from(body.to_string()))).unwrap()).await.unwrap();
    let session = response.headers().get("mcp-session-id").map(|v| v.to_str().unwrap().to_string());
    let status = response.status().as_u16();
    response.into_body().collect().await.unwrap();
    (status, session)
}
