//! The data directory on a small tmpfs that fills up under a write load:
//! no create is acknowledged without a durable audit entry, a call that
//! cannot be audited is refused before it reaches Odoo, `/healthz` and
//! `doctor` say "store cannot write", and once space is back the daemon
//! writes again by itself (sled keeps its first I/O error: it must be
//! reopened). Needs `mount` (root); skipped with a message otherwise.

use crate::common::demo_at::{DemoAt, cli, cli_ok, export};
use crate::common::http;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A tmpfs of a few MiB, unmounted when dropped.
struct SmallFs {
    path: PathBuf,
}

impl SmallFs {
    fn mount(path: &Path, mib: u32) -> Result<SmallFs, String> {
        std::fs::create_dir_all(path).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m,mode=0700"), "tmpfs"])
            .arg(path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(SmallFs { path: path.to_path_buf() })
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// Writes `path` until the filesystem is full; returns the bytes written.
fn fill(path: &Path) -> u64 {
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    let mut written = 0u64;
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => break,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    // The last partial page too.
    while file.write(&[0u8; 512]).is_ok_and(|n| n > 0) {}
    written
}

/// How the gateway answered one create.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    /// A success: ids acknowledged.
    Acked(Vec<i64>),
    /// Refused before reaching Odoo (-32008).
    RefusedBefore,
    /// Carried out by Odoo but withheld, its audit entry lost (-32008).
    Withheld,
}

fn create(addr: SocketAddr, key: &str, name: &str) -> Answer {
    let response =
        http::alpenglow_rpc(addr, key, "alpenglow_create", json!({"model": "res.partner", "values": {"name": name}}));
    let body = response.json();
    if let Some(ids) = body["result"]["ids"].as_array() {
        return Answer::Acked(ids.iter().map(|i| i.as_i64().unwrap()).collect());
    }
    let (code, message) = (body["error"]["code"].as_i64(), body["error"]["message"].as_str().unwrap_or_default());
    assert_eq!(code, Some(-32008), "an unexpected answer while the disk fills: {body}");
    assert!(message.contains("store cannot write") || message.contains("could not be written"), "{message}");
    if message.contains("refused before reaching Odoo") {
        Answer::RefusedBefore
    } else {
        assert!(message.contains("was carried out by Odoo") && message.contains("withheld"), "{message}");
        Answer::Withheld
    }
}

fn health(addr: SocketAddr) -> (u16, Value) {
    let r = http::request(addr, "GET", "/healthz", &[], b"").unwrap();
    (r.status, r.json())
}

#[test]
fn a_full_disk_refuses_what_it_cannot_audit_and_recovers_by_itself() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let fs = match SmallFs::mount(&dir, 16) {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!(
                "SKIPPED a_full_disk_refuses_what_it_cannot_audit_and_recovers_by_itself: cannot mount a tmpfs here ({why}); it needs root"
            );
            return;
        }
    };
    for (key, value) in [("requests_per_minute", "100000"), ("writes_per_minute", "100000")] {
        cli_ok(&dir, &["settings", "set", key, value]);
    }
    let mut demo = DemoAt::start(&dir, "disk-full");
    let (addr, key) = (demo.addr, demo.key("admin"));
    assert_eq!(create(addr, &key, "full-warmup"), Answer::Acked(vec![201]));

    // Four clients create partners while the disk fills, and go on a while after.
    let answers = Arc::new(Mutex::new(Vec::<(String, Answer)>::new()));
    let full = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|t| {
            let (answers, full, key) = (answers.clone(), full.clone(), key.clone());
            std::thread::spawn(move || {
                let mut after_full = 0;
                for i in 0..2000 {
                    let name = format!("full-{t}-{i}");
                    let answer = create(addr, &key, &name);
                    answers.lock().unwrap().push((name, answer));
                    if full.load(Ordering::SeqCst) {
                        after_full += 1;
                        if after_full == 15 {
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    let filler = fs.path.join("filler");
    fill(&filler);
    full.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    let answers = answers.lock().unwrap().clone();
    let refused = answers.iter().filter(|(_, a)| *a == Answer::RefusedBefore).count();
    assert!(refused > 0, "nothing was refused while the disk was full: {answers:?}");

    // Said where an operator looks.
    let (status, body) = health(addr);
    assert_eq!(status, 503, "{body}");
    assert!(body["store"].as_str().unwrap().starts_with("store cannot write"), "{body}");
    let doctor = cli(&dir, &["doctor"]);
    let text = String::from_utf8_lossy(&doctor.stdout);
    assert!(!doctor.status.success() && text.contains("store cannot write"), "{text}");

    // Space comes back: the daemon writes again without a restart.
    std::fs::remove_file(&filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while health(addr).0 != 200 {
        assert!(Instant::now() < deadline, "the store did not recover: {:?}", health(addr));
        std::thread::sleep(Duration::from_millis(50));
    }
    let Answer::Acked(after) = create(addr, &key, "full-after") else { panic!("a create after recovery failed") };

    // Odoo's ground truth: what each answer said happened, happened.
    let search = http::alpenglow_rpc(
        addr,
        &key,
        "alpenglow_search",
        json!({"model": "res.partner", "domain": [["name", "=like", "full-%"]], "fields": ["name"], "limit": 10000}),
    );
    let in_odoo: BTreeSet<String> = search.json()["result"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    for (name, answer) in &answers {
        match answer {
            Answer::Acked(_) | Answer::Withheld => {
                assert!(in_odoo.contains(name), "{name} ({answer:?}) is not in Odoo")
            }
            Answer::RefusedBefore => assert!(!in_odoo.contains(name), "{name} was refused but reached Odoo"),
        }
    }

    // After kill -9, every acknowledged create has its entry.
    demo.kill9();
    let audited: BTreeSet<i64> = export(&dir)
        .iter()
        .filter(|e| e["tool"] == "alpenglow_create" && e["outcome"] == "ok")
        .flat_map(|e| e["ids"].as_array().cloned().unwrap_or_default())
        .filter_map(|id| id.as_i64())
        .collect();
    let acked: Vec<i64> = answers
        .iter()
        .filter_map(|(_, a)| match a {
            Answer::Acked(ids) => Some(ids.clone()),
            _ => None,
        })
        .flatten()
        .chain(after)
        .collect();
    let lost: Vec<&i64> = acked.iter().filter(|id| !audited.contains(id)).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged creates have no audit entry: {lost:?}", lost.len(), acked.len());
    drop(fs);
}

/// MCP `initialize` (which stores and flushes a session, audited or not).
fn initialize(addr: SocketAddr, key: &str) -> http::HttpResponse {
    let auth = format!("Bearer {key}");
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "disk", "version": "1"}}});
    http::post_json(
        addr,
        "/alpenglow/mcp",
        &[("Authorization", &auth), ("Accept", "application/json, text/event-stream")],
        &body,
    )
}

#[test]
fn a_store_whose_write_failed_writes_again_once_space_is_back() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let fs = match SmallFs::mount(&dir, 16) {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!(
                "SKIPPED a_store_whose_write_failed_writes_again_once_space_is_back: cannot mount a tmpfs here ({why}); it needs root"
            );
            return;
        }
    };
    let demo = DemoAt::start(&dir, "disk-wedge");
    let (addr, key) = (demo.addr, demo.key("admin"));
    let filler = fs.path.join("filler");
    fill(&filler);

    // Sessions are written whatever the audit: sled's own write fails, and
    // sled keeps that error for every later write of the same handle.
    let failed = (0..3000).map(|_| initialize(addr, &key)).find(|r| r.status != 200).expect("a session write fails");
    assert_eq!(failed.status, 503, "{}", failed.text());
    assert!(failed.text().contains("store cannot write (No space left on device)"), "{}", failed.text());
    let refused = cli(&dir, &["settings", "set", "session_timeout_minutes", "45"]);
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && message.contains("store cannot write"), "{message}");
    let (status, body) = health(addr);
    assert_eq!((status, body["store"].as_str()), (503, Some("store cannot write: No space left on device")), "{body}");

    std::fs::remove_file(&filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while health(addr).0 != 200 {
        assert!(Instant::now() < deadline, "the store did not recover: {:?}", health(addr));
        std::thread::sleep(Duration::from_millis(50));
    }
    cli_ok(&dir, &["settings", "set", "session_timeout_minutes", "45"]);
    assert_eq!(initialize(addr, &key).status, 200);
    assert_eq!(create(addr, &key, "after-recovery"), Answer::Acked(vec![201]));
    let shown: Value = serde_json::from_str(&cli_ok(&dir, &["settings", "show", "--json"])).unwrap();
    let timeout = shown["settings"].as_array().unwrap().iter().find(|s| s["key"] == "session_timeout_minutes").unwrap();
    assert_eq!(timeout["value"], 45);
    let audited = export(&dir);
    assert!(audited.iter().any(|e| e["tool"] == "alpenglow_create" && e["ids"] == json!([201])), "{audited:?}");
    drop(demo);
    drop(fs);
}

/// The race the refusal cannot see: calls pass the check while the disk has
/// room, Odoo carries them out (the sandbox answers slowly), and the disk
/// fills before their audit entries are written. Each is then answered
/// as withheld (what Odoo did, no success), never acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_success_whose_audit_entry_is_lost_is_withheld() {
    use alpenglow::admin::AdminService;
    use alpenglow::config::ResourceDraft;
    use alpenglow::gateway::{Gateway, UpstreamSlot};
    use alpenglow::sandbox::{OdooVersion, SandboxOptions};

    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let fs = match SmallFs::mount(&dir, 16) {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!(
                "SKIPPED a_success_whose_audit_entry_is_lost_is_withheld: cannot mount a tmpfs here ({why}); it needs root"
            );
            return;
        }
    };
    let sandbox = alpenglow::sandbox::start(SandboxOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        version: OdooVersion::V19,
        database: "demo".into(),
        delay: Duration::from_millis(300),
    })
    .await
    .unwrap();
    let admin = AdminService::new(alpenglow::store::Store::open(&dir).unwrap(), Default::default());
    admin.set_setting("enable_mcp", "on").unwrap();
    admin.set_setting("writes_per_minute", "1000").unwrap();
    let mut partners = ResourceDraft::new("res.partner", false);
    partners.operations = alpenglow::config::Operations::ALL;
    admin.add_resources(vec![partners]).unwrap();
    let gateway =
        Gateway::new(admin.rooms().clone(), UpstreamSlot::pinned(crate::common::inproc::client(&sandbox).await));
    let network = alpenglow::faces::NetworkConfig::default();
    let state = alpenglow::faces::FaceState { gateway, live: alpenglow::faces::LiveConfig::new(network) };
    let listener = alpenglow::faces::Listener::bind("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(listener.serve(std::future::pending()));
    let key = sandbox.user("admin").unwrap().key;
    let warm = {
        let key = key.clone();
        tokio::task::spawn_blocking(move || create(addr, &key, "race-warmup"))
    };
    assert!(matches!(warm.await.unwrap(), Answer::Acked(_)));

    let racing: Vec<_> = (0..30)
        .map(|i| {
            let key = key.clone();
            tokio::task::spawn_blocking(move || create(addr, &key, &format!("race-{i}")))
        })
        .collect();
    // Every create has reached Odoo (counted on arrival, answered 300 ms later).
    let deadline = Instant::now() + Duration::from_secs(20);
    while sandbox.calls("res.partner", "create") < 31 {
        assert!(Instant::now() < deadline, "the creates did not reach the sandbox");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let filler = fs.path.join("filler");
    tokio::task::spawn_blocking(move || fill(&filler)).await.unwrap();
    let mut answers = Vec::new();
    for task in racing {
        answers.push(task.await.unwrap());
    }
    let withheld = answers.iter().filter(|a| **a == Answer::Withheld).count();
    assert!(withheld > 0, "no audit write failed, so the race was not run: {answers:?}");
    let acked: Vec<i64> = answers
        .iter()
        .filter_map(|a| match a {
            Answer::Acked(ids) => Some(ids.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(!answers.contains(&Answer::RefusedBefore), "{answers:?}");
    for id in acked {
        let entries = admin.audit_query(&Default::default()).unwrap().entries;
        assert!(entries.iter().any(|e| e.record_ids == vec![id]), "acknowledged id {id} has no audit entry");
    }
    drop(fs);
}
