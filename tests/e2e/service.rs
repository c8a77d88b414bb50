//! Running as a service: SIGTERM drains under load (in-flight requests are
//! answered, the process exits in bounded time, every acknowledged request
//! has its audit entry), SIGHUP reloads the config file (live fields apply,
//! the others are named as needing a restart, a broken file is refused),
//! `/healthz` and `/metrics` after real traffic, the metrics token.

use crate::common::demo_at;
use crate::common::http;
use crate::common::serve;

use demo_at::{DemoAt, cli_ok, logged_markers};
use serde_json::{Value, json};
use serve::Serve;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn search(addr: SocketAddr, key: &str, marker: &str) -> std::io::Result<http::HttpResponse> {
    let auth = format!("Bearer {key}");
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "alpenglow_search",
        "params": {"model": "res.partner", "domain": [["name", "=", marker]], "limit": 1}});
    http::request_with_timeout(
        addr,
        "POST",
        "/alpenglow/mcp",
        &[("Authorization", auth.as_str()), ("Content-Type", "application/json")],
        body.to_string().as_bytes(),
        Duration::from_secs(15),
    )
}

fn acknowledged(r: &std::io::Result<http::HttpResponse>) -> bool {
    r.as_ref().is_ok_and(|r| {
        r.status == 200 && serde_json::from_slice::<Value>(&r.body).is_ok_and(|v| v["result"].is_object())
    })
}

struct Sent {
    marker: String,
    started: Instant,
    ended: Instant,
    ok: bool,
}

#[test]
fn sigterm_drains_in_flight_requests_and_loses_no_acknowledged_audit_entry() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    cli_ok(&dir, &["settings", "set", "requests_per_minute", "100000"]);
    // Every Odoo answer takes 250 ms (a search makes several calls): at any
    // moment each client has a request in flight.
    let mut demo = DemoAt::start_with(&dir, "drain", &["--sandbox-delay-ms", "250", "--log-format", "json"]);
    let (addr, key) = (demo.addr, demo.key("admin"));

    let sent = Arc::new(Mutex::new(Vec::<Sent>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    // When each client's current request started (None between requests).
    let current = Arc::new(Mutex::new([None::<Instant>; 8]));
    let clients: Vec<_> = (0..8)
        .map(|t| {
            let (sent, stop, key, current) = (sent.clone(), stop.clone(), key.clone(), current.clone());
            std::thread::spawn(move || {
                // Staggered starts keep the clients out of step, so at the
                // signal some requests have been in flight for a while (in
                // step, all of them could start just before it).
                std::thread::sleep(Duration::from_millis(70 * t));
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let marker = format!("drain-{t}-{n}");
                    let started = Instant::now();
                    current.lock().unwrap()[t as usize] = Some(started);
                    let answer = search(addr, &key, &marker);
                    current.lock().unwrap()[t as usize] = None;
                    let ok = acknowledged(&answer);
                    sent.lock().unwrap().push(Sent { marker, started, ended: Instant::now(), ok });
                    if answer.is_err() {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            })
        })
        .collect();
    // Signal once the clients have seen answers and some request has been in
    // flight for a while (so it was surely accepted before the signal).
    let loaded = Instant::now();
    let long_in_flight = || current.lock().unwrap().iter().flatten().any(|s| s.elapsed() > Duration::from_millis(200));
    while sent.lock().unwrap().iter().filter(|s| s.ok).count() < 16 || !long_in_flight() {
        assert!(loaded.elapsed() < Duration::from_secs(60), "no load after 60 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    let signalled = Instant::now();
    demo.signal(libc::SIGTERM);
    let status = loop {
        if let Some(status) = demo.child.try_wait().unwrap() {
            break status;
        }
        assert!(signalled.elapsed() < Duration::from_secs(15), "still running 15 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    };
    let exit_after = signalled.elapsed();
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    assert!(status.success(), "exit status {status}");
    assert!(exit_after < Duration::from_secs(11), "the drain is bounded by 10 s; took {exit_after:?}");

    let sent = std::mem::take(&mut *sent.lock().unwrap());
    // Requests sent 150 ms or more before the signal were accepted and in
    // flight (each takes at least 250 ms; the margin leaves room for a
    // loaded machine to accept them): every one of them was answered.
    let in_flight: Vec<&Sent> =
        sent.iter().filter(|s| s.started + Duration::from_millis(150) < signalled && s.ended > signalled).collect();
    let around: Vec<String> = sent
        .iter()
        .filter(|s| s.ended + Duration::from_secs(1) > signalled)
        .map(|s| {
            format!(
                "{} started {}ms before, ended {:?} ok={}",
                s.marker,
                signalled.saturating_duration_since(s.started).as_millis(),
                s.ended
                    .checked_duration_since(signalled)
                    .map(|d| format!("+{}ms", d.as_millis()))
                    .unwrap_or_else(|| "before".into()),
                s.ok
            )
        })
        .collect();
    assert!(!in_flight.is_empty(), "no request was in flight at the signal: {around:#?}");
    let cut: Vec<&String> = in_flight.iter().filter(|s| !s.ok).map(|s| &s.marker).collect();
    assert!(cut.is_empty(), "in-flight requests cut off by the shutdown: {cut:?}");
    // And nothing was answered after the process was gone.
    let acked: Vec<&Sent> = sent.iter().filter(|s| s.ok).collect();
    assert!(acked.len() >= 12, "too little load to mean anything: {}", acked.len());

    // After the restart (here: the store opened by the CLI), each acknowledged request has its entry.
    let logged = logged_markers(&dir);
    let missing: Vec<&String> = acked.iter().map(|s| &s.marker).filter(|m| !logged.contains(*m)).collect();
    assert!(missing.is_empty(), "{} acknowledged requests have no audit entry: {missing:?}", missing.len());

    let log = std::fs::read_to_string(&demo.stderr).unwrap();
    let events: Vec<Value> = log.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let drained = events.iter().find(|e| e["message"] == "drained").unwrap_or_else(|| panic!("no drain event: {log}"));
    assert!(drained["connections"].as_u64().unwrap() >= in_flight.len() as u64);
    eprintln!(
        "{} acknowledged, {} in flight at SIGTERM and answered, exit after {exit_after:?}",
        acked.len(),
        in_flight.len()
    );
}

fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> http::HttpResponse {
    http::request(addr, "GET", path, headers, b"").unwrap()
}

fn mcp_with_origin(addr: SocketAddr, origin: &str) -> http::HttpResponse {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    http::request(
        addr,
        "POST",
        "/alpenglow/mcp",
        &[("Origin", origin), ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")],
        body.to_string().as_bytes(),
    )
    .unwrap()
}

#[test]
fn sighup_reloads_the_live_fields_and_names_those_needing_a_restart() {
    let root = tempfile::tempdir().unwrap();
    cli_ok(&root.path().join("data"), &["settings", "set", "enable_mcp", "on"]);
    let first = "listen = \"127.0.0.1:0\"\nlog_level = \"info\"\npublic_url = \"https://ai.example.com/\"\n";
    let mut serve = Serve::start(root.path(), first);
    let addr = serve.addr;
    let origin = "https://app.example.com";

    // Behind a proxy, the dashboard shows the public URL, not the listener's.
    let admin = alpenglow::admin_socket::AdminClient::connect(&serve.data_dir.join("admin.sock")).unwrap();
    let status = admin.call(alpenglow::admin::api::GetStatus {}).unwrap();
    let gateway = status.gateway.expect("the daemon listens");
    assert_eq!(gateway.mcp_url, "https://ai.example.com/alpenglow/mcp");

    // Before: metrics open, the origin refused, no per-request debug events.
    assert_eq!(get(addr, "/metrics", &[]).status, 200);
    let refused = mcp_with_origin(addr, origin);
    assert_eq!(refused.status, 403);
    assert!(refused.text().contains("is not allowed"), "{}", refused.text());
    assert!(!serve.logs().iter().any(|e| e["message"] == "request"));

    serve.rewrite_config(&format!(
        "listen = \"127.0.0.1:1\"\nlog_level = \"debug\"\nallowed_origins = [\"{origin}\"]\nmetrics_token = \"metrics-token-123\"\n"
    ));
    serve.signal(libc::SIGHUP);
    let reloaded = serve.wait_for_log(|e| e["message"] == "SIGHUP: configuration reloaded");
    assert_eq!(reloaded["applied"], "log_level, allowed_origins, metrics_token");
    let warning = serve.wait_for_log(|e| e["needs_restart"].is_string());
    assert_eq!(warning["needs_restart"], "listen, public_url");
    assert_eq!(warning["level"], "WARN");

    // After: still on the old address; the origin passes (401: no key), metrics need the token.
    let allowed = mcp_with_origin(addr, origin);
    assert_eq!(allowed.status, 401, "{}", allowed.text());
    assert_eq!(get(addr, "/metrics", &[]).status, 401);
    assert_eq!(get(addr, "/metrics", &[("Authorization", "Bearer wrong")]).status, 401);
    assert_eq!(get(addr, "/metrics", &[("Authorization", "Bearer metrics-token-123")]).status, 200);
    serve.wait_for_log(|e| e["message"] == "request" && e["level"] == "DEBUG");

    // A broken file is refused and the running config stays.
    serve.rewrite_config("nonsense = 1\n");
    serve.signal(libc::SIGHUP);
    let error = serve.wait_for_log(|e| e["message"].as_str().is_some_and(|m| m.contains("not reloaded")));
    assert!(error["error"].as_str().unwrap().contains("nonsense"), "{error}");
    assert_eq!(get(addr, "/metrics", &[]).status, 401);
    assert_eq!(serve.child.try_wait().unwrap(), None, "SIGHUP must not stop the daemon");
}

#[test]
fn healthz_and_metrics_after_traffic() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let demo = DemoAt::start(&dir, "health");
    let (addr, admin, readonly) = (demo.addr, demo.key("admin"), demo.key("readonly"));
    for i in 0..3 {
        assert!(acknowledged(&search(addr, &admin, &format!("m{i}"))));
    }
    let denied = http::post_json(
        addr,
        "/alpenglow/mcp",
        &[("Authorization", &format!("Bearer {readonly}"))],
        &json!({"jsonrpc": "2.0", "id": 1, "method": "alpenglow_delete", "params": {"model": "res.partner", "ids": [1]}}),
    );
    assert_eq!(denied.json()["error"]["code"], -32002);
    assert_eq!(search(addr, "not-a-real-key-123456", "x").unwrap().status, 401);
    let rest = get(addr, "/alpenglow/api/models", &[("Authorization", &format!("Bearer {admin}"))]);
    assert_eq!(rest.status, 200);

    let health = get(addr, "/healthz", &[]);
    assert_eq!(health.status, 200);
    let h = health.json();
    assert_eq!(
        (h["status"].as_str(), h["process"].as_str(), h["store"].as_str()),
        (Some("ok"), Some("up"), Some("open"))
    );
    assert_eq!(h["odoo"]["reachable"], true, "{h}");
    assert!(h["odoo"]["version"].as_str().unwrap().starts_with("19."), "{h}");
    assert_eq!(h["odoo"]["protocol"], "json2");
    assert!(!health.text().contains(&admin) && !health.text().contains("http://"), "{h}");

    let metrics = get(addr, "/metrics", &[]);
    assert_eq!(metrics.status, 200);
    assert!(metrics.header("content-type").unwrap().starts_with("application/openmetrics-text"));
    let text = metrics.text();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(value(r#"alpenglow_requests_total{face="jsonrpc",tool="alpenglow_search",outcome="ok"}"#), 3.0);
    assert_eq!(value(r#"alpenglow_requests_total{face="jsonrpc",tool="alpenglow_delete",outcome="denied"}"#), 1.0);
    assert_eq!(
        value(r#"alpenglow_requests_total{face="jsonrpc",tool="alpenglow_search",outcome="unauthenticated"}"#),
        1.0
    );
    assert_eq!(value(r#"alpenglow_requests_total{face="rest",tool="alpenglow_list_models",outcome="ok"}"#), 1.0);
    assert_eq!(value(r#"alpenglow_request_duration_seconds_count{face="jsonrpc",tool="alpenglow_search"}"#), 4.0);
    assert!(value("alpenglow_upstream_request_duration_seconds_count") >= 3.0);
    assert!(value("alpenglow_audit_entries_total") >= 6.0);
    assert!(value("alpenglow_active_sessions") >= 1.0);
    assert!(!text.contains(&admin) && !text.contains(&readonly));

    // A job run through the daemon's socket is counted.
    cli_ok(&dir, &["jobs", "run", "session-cleanup"]);
    let text = get(addr, "/metrics", &[]).text();
    assert!(text.contains(r#"alpenglow_job_runs_total{job="session-cleanup",result="ok"} 1"#), "{text}");
}

#[test]
fn healthz_answers_fast_when_odoo_is_down() {
    let root = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens, the connection is refused.
    let serve = Serve::start(root.path(), "listen = \"127.0.0.1:0\"\n[odoo]\nurl = \"http://127.0.0.1:1\"\n");
    let started = Instant::now();
    let health = get(serve.addr, "/healthz", &[]);
    assert!(started.elapsed() < Duration::from_secs(4), "healthz took {:?}", started.elapsed());
    assert_eq!(health.status, 200);
    let h = health.json();
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!((h["process"].as_str(), h["store"].as_str()), (Some("up"), Some("open")));
    assert_eq!(h["odoo"]["configured"], true);
    assert_eq!(h["odoo"]["reachable"], false);
    assert!(h["odoo"]["error"].as_str().unwrap().contains("reach"), "{h}");
    // The second probe is answered from the last check.
    let again = get(serve.addr, "/healthz", &[]).json();
    assert_eq!(again["odoo"]["reachable"], false);
}
