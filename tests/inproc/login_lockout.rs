//! The login lockout over real HTTP on loopback: each test's clients connect
//! from their own 127.0.0.x address, so one test's lockout cannot touch
//! another's. Ten failed keys lock an IP on every face (JSON-RPC, REST,
//! MCP), a good key included, until the cool-down ends; other IPs go on;
//! revoked and expired credentials count; a burst cannot pass the limit;
//! behind a trusted proxy the forwarded client is locked, not the proxy;
//! the audit log has every attempt and no key; a burst of good keys from
//! one address is verified once per key and never locked out.

use crate::common::http;
use crate::common::inproc;

use alpenglow::audit::{AuditEntry, AuditQuery};
use alpenglow::config::{Credential, Scope};
use inproc::{Setup, setup};
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy)]
enum Face {
    JsonRpc,
    Rest,
    Mcp,
}

const FACES: [Face; 3] = [Face::JsonRpc, Face::Rest, Face::Mcp];

fn loopback(n: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, n])
}

/// A well-formed key that is nobody's.
fn bad_key(i: usize) -> String {
    format!("{:040x}", 0xbad0_0000_u64 + i as u64)
}

/// One authenticated call on `face` from `from`, with extra headers.
async fn call_with(
    addr: SocketAddr,
    from: IpAddr,
    face: Face,
    key: &str,
    extra: &[(&str, &str)],
) -> http::HttpResponse {
    let auth = format!("Bearer {key}");
    let mut headers = vec![("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    headers.extend_from_slice(extra);
    let (method, path, body) = match face {
        Face::JsonRpc => {
            ("POST", "/alpenglow/mcp", json!({"jsonrpc": "2.0", "id": 1, "method": "alpenglow_list_models"}))
        }
        Face::Rest => ("GET", "/alpenglow/api/models", Value::Null),
        Face::Mcp => {
            headers.push(("Accept", "application/json, text/event-stream"));
            let params = json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}});
            ("POST", "/alpenglow/mcp", json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}))
        }
    };
    let body = if body.is_null() { String::new() } else { body.to_string() };
    http::request_from(from, addr, method, path, &headers, body.as_bytes()).await.expect("HTTP request")
}

async fn call(addr: SocketAddr, from: IpAddr, face: Face, key: &str) -> http::HttpResponse {
    call_with(addr, from, face, key, &[]).await
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A lockout refusal on `face`: 429, Retry-After within the cool-down, the
/// reset time, and the face's rate-limit error saying why.
fn assert_locked(r: &http::HttpResponse, face: Face, cooldown_secs: u64) {
    assert_eq!(r.status, 429, "{face:?}: {}", r.text());
    let retry: u64 = r.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=cooldown_secs).contains(&retry), "{face:?}: retry {retry}");
    let reset: u64 = r.header("x-ratelimit-reset").expect("X-RateLimit-Reset").parse().unwrap();
    assert!((unix_now()..=unix_now() + cooldown_secs + 1).contains(&reset), "{face:?}: reset {reset}");
    let body = r.json();
    let (code, message) = (&body["error"]["code"], body["error"]["message"].as_str().unwrap());
    match face {
        Face::JsonRpc => assert_eq!(code, -32005),
        Face::Rest => assert_eq!(code, "rate_limited"),
        Face::Mcp => assert_eq!(code, -31005),
    }
    assert!(message.contains("locked out") && message.contains(&format!("retry in {retry} s")), "{message}");
    assert_rate_headers(r, face);
}

/// Every 429 says, in the `RateLimit-*` headers, that nothing remains and
/// when to come back.
fn assert_rate_headers(r: &http::HttpResponse, face: Face) {
    let header = |name: &str| -> u64 {
        r.header(name).unwrap_or_else(|| panic!("{face:?}: a 429 without {name}")).parse().unwrap()
    };
    assert!(header("ratelimit-limit") >= 1, "{face:?}");
    assert_eq!(header("ratelimit-remaining"), 0, "{face:?}");
    assert!(header("ratelimit-reset") >= 1, "{face:?}");
}

fn audit_from(s: &Setup, ip: IpAddr) -> Vec<AuditEntry> {
    let page = s.admin.audit_query(&AuditQuery { limit: Some(10_000), ..Default::default() }).unwrap();
    page.entries.into_iter().filter(|e| e.client_ip == ip.to_string()).collect()
}

/// Every byte of the data directory, for "no key stored anywhere".
fn data_dir_bytes(s: &Setup) -> Vec<u8> {
    s.admin.store().flush().unwrap();
    let mut all = Vec::new();
    let mut dirs = vec![s.dir.path().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                all.extend(std::fs::read(path).unwrap_or_default());
            }
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eleven_bad_keys_lock_the_ip_on_every_face_until_the_cooldown_ends() {
    let s = setup().await;
    s.credential("admin", Scope::Full, None);
    s.admin.set_setting("lockout_cooldown_seconds", "3").unwrap();
    let addr = s.serve(Vec::new()).await;
    let good = s.sandbox.user("admin").unwrap().key;
    let (attacker, neighbour) = (loopback(2), loopback(3));

    // The good key works from there, and is now verified (cached).
    assert_eq!(call(addr, attacker, Face::JsonRpc, &good).await.status, 200);
    // Ten bad keys, over the three faces: ten 401s; the tenth locks the IP.
    for i in 0..10 {
        let face = FACES[i % 3];
        let r = call(addr, attacker, face, &bad_key(i)).await;
        assert_eq!(r.status, 401, "attempt {i} on {face:?}: {}", r.text());
    }
    let locked_at = Instant::now();

    // The eleventh bad key and the good one, on every face: 429 until the
    // cool-down ends, and not one Odoo call spent on them.
    let odoo_calls = s.sandbox.total_calls();
    for face in FACES {
        assert_locked(&call(addr, attacker, face, &bad_key(10)).await, face, 3);
        assert_locked(&call(addr, attacker, face, &good).await, face, 3);
    }
    assert_eq!(s.sandbox.total_calls(), odoo_calls, "a locked-out IP costs Odoo nothing");

    // Another address is not touched: its bad key is its own first failure,
    // its good key passes.
    assert_eq!(call(addr, neighbour, Face::Rest, &bad_key(11)).await.status, 401);
    assert_eq!(call(addr, neighbour, Face::JsonRpc, &good).await.status, 200);

    // The cool-down ends: the good key passes again on every face.
    tokio::time::sleep((locked_at + Duration::from_millis(3_100)).saturating_duration_since(Instant::now())).await;
    for face in FACES {
        let r = call(addr, attacker, face, &good).await;
        assert_eq!(r.status, 200, "{face:?} after the cool-down: {}", r.text());
    }

    // Every attempt is audited, with its outcome and IP and without the key.
    let entries = audit_from(&s, attacker);
    let count = |outcome: &str| entries.iter().filter(|e| e.outcome.name() == outcome).count();
    assert_eq!(count("unauthenticated"), 10, "{entries:#?}");
    assert_eq!(count("rate_limited"), 6, "{entries:#?}");
    let refused = entries.iter().find(|e| e.outcome.name() == "rate_limited").unwrap();
    assert!(refused.error.as_deref().unwrap().contains("locked out"), "{refused:?}");
    let bytes = data_dir_bytes(&s);
    for key in (0..12).map(bad_key).chain([good]) {
        assert!(!contains(&bytes, &key), "a key was stored in the data directory");
        assert!(!format!("{entries:?}").contains(&key));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_and_expired_credentials_count_as_failed_keys() {
    let s = setup().await;
    s.admin.set_setting("lockout_max_failures", "4").unwrap();
    let addr = s.serve(Vec::new()).await;
    let from = loopback(4);
    let revoked = s.credential("sales", Scope::Full, None);
    let expired = s.credential("viewer", Scope::Full, None);
    s.credential("admin", Scope::Full, None);
    let (sales, viewer) = (s.sandbox.user("sales").unwrap().key, s.sandbox.user("viewer").unwrap().key);
    // Both work first (so both keys are verified and cached).
    assert_eq!(call(addr, from, Face::JsonRpc, &sales).await.status, 200);
    assert_eq!(call(addr, from, Face::Rest, &viewer).await.status, 200);

    s.admin.revoke_credential(revoked).unwrap();
    let yesterday = alpenglow::admin::AdminService::today().previous_day();
    s.admin.store().table::<Credential>().unwrap().update(&expired, |c| c.expires_on = yesterday).unwrap();
    for (key, why) in [(&sales, "revoked"), (&viewer, "expired"), (&sales, "revoked"), (&viewer, "expired")] {
        let r = call(addr, from, Face::JsonRpc, key).await;
        assert_eq!(r.status, 401, "{}", r.text());
        assert!(r.text().contains(why), "{}", r.text());
    }
    // Four failures: locked, even for the admin's good key.
    let admin = s.sandbox.user("admin").unwrap().key;
    assert_locked(&call(addr, from, Face::Mcp, &admin).await, Face::Mcp, 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_bad_keys_gets_no_more_than_the_limit_verified() {
    let s = setup().await;
    let addr = s.serve(Vec::new()).await;
    let from = loopback(5);
    let tasks: Vec<_> = (0..40)
        .map(|i| tokio::spawn(async move { call(addr, from, FACES[i % 3], &bad_key(100 + i)).await.status }))
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let unauthenticated = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((unauthenticated, refused), (10, 30), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_forwarded_client_is_locked_not_the_proxy() {
    let s = setup().await;
    s.admin.set_setting("lockout_max_failures", "3").unwrap();
    let proxy = loopback(6);
    let addr = s.serve(vec![proxy]).await;
    let good = s.sandbox.user("admin").unwrap().key;
    let attacker = [("X-Forwarded-For", "198.51.100.1")];
    let customer = [("X-Forwarded-For", "198.51.100.2")];
    for i in 0..3 {
        assert_eq!(call_with(addr, proxy, Face::Rest, &bad_key(200 + i), &attacker).await.status, 401);
    }
    assert_locked(&call_with(addr, proxy, Face::Rest, &good, &attacker).await, Face::Rest, 300);
    // The same proxy, another client: not locked.
    assert_eq!(call_with(addr, proxy, Face::Rest, &good, &customer).await.status, 200);
    // A peer that is not a trusted proxy cannot pick its address by header:
    // its forged header is ignored, and it is judged by its own address.
    assert_eq!(call_with(addr, loopback(7), Face::Rest, &good, &attacker).await.status, 200);
    let entries = audit_from(&s, "198.51.100.1".parse().unwrap());
    assert_eq!(entries.len(), 4, "{entries:#?}");
}

/// 64 concurrent first requests from one address, with three good keys
/// nobody has verified yet, and a lockout limit of 2: each key is verified
/// once (the others wait for that verdict), none is refused by the lockout
/// (nothing failed), and any 429 is the rate limit, with its headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_concurrent_first_requests_with_good_keys_all_pass() {
    let s = setup().await;
    s.admin.set_setting("lockout_max_failures", "2").unwrap();
    let keys: Vec<String> = ["admin", "sales", "viewer"]
        .into_iter()
        .map(|role| {
            s.credential(role, Scope::Full, None);
            s.sandbox.user(role).unwrap().key
        })
        .collect();
    let addr = s.serve(Vec::new()).await;
    let from = loopback(8);
    let verifications = s.sandbox.calls("res.users", "context_get");
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(64));
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let (key, barrier) = (keys[i % 3].clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                (FACES[i % 3], call(addr, from, FACES[i % 3], &key).await)
            })
        })
        .collect();
    for task in tasks {
        let (face, r) = task.await.unwrap();
        match r.status {
            200 => {}
            429 => {
                assert!(!r.text().contains("locked out"), "{face:?}: a good key locked out: {}", r.text());
                assert_rate_headers(&r, face);
            }
            other => panic!("{face:?}: {other} {}", r.text()),
        }
    }
    assert_eq!(
        s.sandbox.calls("res.users", "context_get") - verifications,
        3,
        "each key verified once, however many asked at the same time"
    );
}
