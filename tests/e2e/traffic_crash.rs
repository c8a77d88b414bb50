//! The crash test: `alpenglow demo` under load from eight clients is killed
//! with SIGKILL; then, with no daemon, `alpenglow audit export` on the same
//! data directory shows an entry for every request a client saw answered,
//! and the configuration is intact.

use crate::common::demo_at;
use crate::common::http;

use demo_at::{DemoAt, cli_ok, logged_markers};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn every_acknowledged_request_survives_kill_9() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    cli_ok(&dir, &["settings", "set", "requests_per_minute", "100000"]);
    cli_ok(&dir, &["settings", "set", "max_search_limit", "2345"]);
    let mut demo = DemoAt::start(&dir, "crash");
    let (addr, key) = (demo.addr, demo.key("admin"));

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|t| {
            let (acked, stop, key) = (acked.clone(), stop.clone(), key.clone());
            std::thread::spawn(move || {
                let auth = format!("Bearer {key}");
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let marker = format!("ack-{t}-{n}");
                    let body = json!({"jsonrpc": "2.0", "id": n, "method": "alpenglow_search",
                        "params": {"model": "res.partner", "domain": [["name", "=", marker]], "limit": 1}});
                    let sent = http::request_with_timeout(
                        addr,
                        "POST",
                        "/alpenglow/mcp",
                        &[("Authorization", auth.as_str()), ("Content-Type", "application/json")],
                        body.to_string().as_bytes(),
                        Duration::from_secs(5),
                    );
                    // Acknowledged: a complete answer with a result.
                    if let Ok(r) = sent
                        && r.status == 200
                        && serde_json::from_slice::<Value>(&r.body).is_ok_and(|v| v["result"].is_object())
                    {
                        acked.lock().unwrap().push(marker);
                    }
                }
            })
        })
        .collect();
    // Kill once there is load enough to mean something, mid-stream.
    let loaded = std::time::Instant::now();
    while acked.lock().unwrap().len() < 40 {
        assert!(loaded.elapsed() < Duration::from_secs(60), "no load after 60 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    demo.kill9();
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 20, "too little load to mean anything: {}", acked.len());

    let logged = logged_markers(&dir);
    let missing: Vec<&String> = acked.iter().filter(|m| !logged.contains(*m)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged requests have no audit entry: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(10)]
    );
    eprintln!("{} acknowledged requests, all audited ({} entries)", acked.len(), logged.len());

    // The hash chain survived the kill: no gap, no half-written link.
    let verified = cli_ok(&dir, &["audit", "verify"]);
    assert!(verified.starts_with("verified "), "{verified}");

    // Configuration intact.
    let settings: Value = serde_json::from_str(&cli_ok(&dir, &["settings", "show", "--json"])).unwrap();
    let value_of =
        |key: &str| settings["settings"].as_array().unwrap().iter().find(|s| s["key"] == key).unwrap()["value"].clone();
    assert_eq!(value_of("max_search_limit"), 2345);
    assert_eq!(value_of("enable_mcp"), true);
    let resources: Value = serde_json::from_str(&cli_ok(&dir, &["resources", "list", "--json"])).unwrap();
    assert!(resources.as_array().unwrap().len() >= 3);
    let credentials: Value = serde_json::from_str(&cli_ok(&dir, &["credentials", "list", "--json"])).unwrap();
    assert_eq!(credentials.as_array().unwrap().len(), 3);
}
