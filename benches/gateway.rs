//! What the gateway adds to an Odoo call: `cargo bench --bench gateway`.
//!
//! One run, one process: the sandbox (Odoo 19, JSON-2) and the gateway with
//! its faces on loopback, each over real HTTP/1.1 keep-alive connections
//! from a client runtime of its own. For search, read, aggregate and create
//! it measures the same work twice, through the gateway's direct JSON-RPC
//! face and straight to the sandbox's JSON-2, at 1 and at 64 connections,
//! and prints latency (p50, p99), throughput, the p50 overhead and the
//! throughput ratio. Plus the MCP 2026-07-28 stateless `tools/call` at 16
//! connections. The audit log is on (the default), so each gateway call
//! includes its durable entry.
//!
//! `ALPENGLOW_BENCH_SECONDS` sets each measurement's length (default 3).

#[path = "../tests/common/inproc.rs"]
mod inproc;

use alpenglow::config::Scope;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One kind of request, sent again and again.
struct Workload {
    name: &'static str,
    addr: SocketAddr,
    path: String,
    headers: Vec<(&'static str, String)>,
    /// The body of the n-th request (creates need distinct names).
    body: Arc<dyn Fn(u64) -> Vec<u8> + Send + Sync>,
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

/// `connections` clients, each sending its next request when the last
/// answer is in, for `seconds()` (after a few unmeasured requests, so caches
/// such as the verified key and Odoo's field lists are warm). Every answer must be 200 with a JSON body
/// that is not an error, or the bench stops: a fast refusal is no figure.
async fn run(workload: &Workload, connections: usize) -> Figures {
    let deadline = Instant::now() + seconds();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (addr, path, headers, body) =
            (workload.addr, workload.path.clone(), workload.headers.clone(), workload.body.clone());
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
            tokio::spawn(conn);
            let mut latencies = Vec::new();
            let mut n = (c as u64) << 32;
            let first_measured = n + 4;
            while Instant::now() < deadline {
                n += 1;
                let mut request =
                    Request::post(path.as_str()).header("Host", "bench").header("Content-Type", "application/json");
                for (k, v) in &headers {
                    request = request.header(*k, v.as_str());
                }
                let request = request.body(Full::new(Bytes::from(body(n)))).unwrap();
                let started = Instant::now();
                let response = sender.send_request(request).await.unwrap();
                let status = response.status();
                let bytes = response.into_body().collect().await.unwrap().to_bytes();
                if n > first_measured {
                    latencies.push(started.elapsed());
                }
                let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                assert!(
                    status == 200
                        && answer.get("error").is_none_or(Value::is_null)
                        && answer["result"]["isError"] != true,
                    "{path}: {status} {}",
                    String::from_utf8_lossy(&bytes)
                );
            }
            latencies
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    all.sort();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Figures { p50: at(0.5), p99: at(0.99), per_second: all.len() as f64 / elapsed.as_secs_f64() }
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
    println!("gateway vs sandbox direct, {:?} per measurement, audit on", seconds());
    for (through, straight) in &pairs {
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

    // The MCP face, stateless 2026-07-28 (no session, one POST per call).
    let mcp = Workload {
        name: "MCP 2026-07-28 tools/call search",
        addr: gateway,
        path: "/alpenglow/mcp".into(),
        headers: vec![
            ("Authorization", bearer.clone()),
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
    };
    print(mcp.name, 16, &client.block_on(run(&mcp, 16)));
    drop(setup);
}
