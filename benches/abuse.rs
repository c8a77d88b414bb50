//! Memory under abuse, through the real binary (`cargo bench --bench abuse`):
//! the demo's RSS before, its peak during, and after (1) a JSON-RPC batch of
//! 9,000 `tools/list` (the 491 KB body) and batches of 50, and
//! (2) a flood of 2,000 idle connections against the default cap of 1,024.
//! ALPENGLOW_BENCH_BIN measures another build's binary for comparison (one
//! from before `[http]` existed also needs ALPENGLOW_BENCH_NO_HTTP=1).

#[path = "support/mod.rs"]
mod support;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::rss;

fn bin() -> String {
    std::env::var("ALPENGLOW_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_alpenglow").to_string())
}

/// Resets the peak (VmHWM) to the current RSS, so each scenario has its own.
fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn post(addr: SocketAddr, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<(String, String)>, usize) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "POST /alpenglow/mcp HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    stream.write_all(format!("{head}\r\n").as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, raw.len() - split - 4)
}

struct Demo {
    child: Child,
    addr: SocketAddr,
    key: String,
}

fn start(root: &std::path::Path, config: &str) -> Demo {
    std::fs::create_dir_all(root).unwrap();
    let data = root.join("data");
    let file = root.join("alpenglow.toml");
    std::fs::write(&file, config).unwrap();
    for (k, v) in [("requests_per_minute", "100000"), ("max_output_chars", "10000000")] {
        let ok = Command::new(bin()).arg("--data-dir").arg(&data).args(["settings", "set", k, v]).output().unwrap();
        assert!(ok.status.success());
    }
    let mut child = Command::new(bin())
        .arg("--config")
        .arg(&file)
        .arg("--data-dir")
        .arg(&data)
        .args(["demo", "--listen", "127.0.0.1:0", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    let addr = v["mcp_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://")
        .trim_end_matches("/alpenglow/mcp")
        .parse()
        .unwrap();
    Demo { child, addr, key: v["keys"]["admin"].as_str().unwrap().to_string() }
}

fn report(what: &str, pid: u32, before: u64, took: Duration) {
    let (now, peak) = rss(pid);
    println!(
        "{what:<62} {took:>9.2?}  RSS before {:>6.1} MiB, peak {:>6.1} MiB, after {:>6.1} MiB",
        mib(before),
        mib(peak),
        mib(now)
    );
}

fn batches(root: &std::path::Path) {
    let demo = start(root, "");
    let (pid, addr) = (demo.child.id(), demo.addr);
    let auth = format!("Bearer {}", demo.key);
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}});
    let (_, headers, _) = post(addr, &[("Authorization", &auth)], init.to_string().as_bytes());
    let session = headers.iter().find(|(k, _)| k == "mcp-session-id").unwrap().1.clone();
    let batch = |n: usize| -> Vec<u8> {
        Value::Array((0..n).map(|i| json!({"jsonrpc": "2.0", "id": i + 1, "method": "tools/list"})).collect())
            .to_string()
            .into_bytes()
    };
    let headers = [("Authorization", auth.as_str()), ("Mcp-Session-Id", session.as_str())];
    post(addr, &headers, &batch(1)); // warm
    for (n, times) in [(9000, 1), (50, 1), (50, 100)] {
        let body = batch(n);
        reset_peak(pid);
        let before = rss(pid).0;
        let started = Instant::now();
        let mut answer = (0, 0);
        for _ in 0..times {
            let (status, _, len) = post(addr, &headers, &body);
            answer = (status, len);
        }
        let what = format!(
            "batch of {n} tools/list ({} KB) x{times}: HTTP {}, {} KB answer",
            body.len() / 1000,
            answer.0,
            answer.1 / 1000
        );
        report(&what, pid, before, started.elapsed());
    }
    drop(demo);
}

fn connections(root: &std::path::Path) {
    let config = if std::env::var_os("ALPENGLOW_BENCH_NO_HTTP").is_some() {
        ""
    } else {
        "[http]\nheader_read_timeout_seconds = 3\n"
    };
    let demo = start(root, config);
    let (pid, addr) = (demo.child.id(), demo.addr);
    reset_peak(pid);
    let before = rss(pid).0;
    let started = Instant::now();
    let held: Vec<TcpStream> = (0..2000).filter_map(|_| TcpStream::connect(addr).ok()).collect();
    let descriptors = || std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0);
    let most = (0..20).map(|_| {
        std::thread::sleep(Duration::from_millis(50));
        descriptors()
    });
    let most = most.max().unwrap_or(0);
    // The header timeout closes the idle ones; wait until the daemon is back to its own descriptors.
    let deadline = Instant::now() + Duration::from_secs(30);
    while descriptors() > 64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(held);
    let what = format!("2000 idle connections (cap 1024): at most {most} descriptors open");
    report(&what, pid, before, started.elapsed());
    drop(demo);
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn main() {
    // The client side holds 2,000 sockets too.
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit / setrlimit on our own process with a valid struct.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
    println!("binary: {}", bin());
    let root = tempfile::tempdir().unwrap();
    batches(&root.path().join("batches"));
    connections(&root.path().join("connections"));
}
