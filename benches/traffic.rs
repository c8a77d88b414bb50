//! The cost of rate limiting, the audit log and its cleanup:
//! `cargo bench --bench traffic` (set `TRAFFIC_BENCH_ENTRIES` to change the
//! 1,000,000 entries of the query and cleanup figures; `TRAFFIC_BENCH=append`
//! runs only the audit append figures, `limiter` or `query` only theirs).
//! Prints one line per measurement.

use alpenglow::audit::{AuditEntry, AuditLog, AuditQuery, Order, Outcome, now_micros};
use alpenglow::limits::{Budget, Limiter, Subject};
use alpenglow::store::Store;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn line(name: &str, total: Duration, n: u64) {
    let per = total / n.max(1) as u32;
    let rate = n as f64 / total.as_secs_f64();
    println!("{name:<64} {per:>11.2?} each  {rate:>12.0}/s  ({n} in {total:.2?})");
}

fn entry(i: u64, time_us: i64) -> AuditEntry {
    let mut e = AuditEntry::new(
        if i.is_multiple_of(3) { "rest" } else { "jsonrpc" },
        format!("10.0.{}.{}", i % 7, i % 250),
        "alpenglow_search",
    );
    e.time_us = time_us;
    e.credential_id = Some(i % 20);
    e.credential_label = Some(format!("Claude Desktop - user {}", i % 20));
    e.uid = Some((i % 20) as i64 + 2);
    e.login = Some(format!("user{}", i % 20));
    e.model = Some(["res.partner", "sale.order", "product.product", "account.move"][(i % 4) as usize].into());
    e.record_ids = vec![i as i64 % 1000, 7, 9];
    e.domain = Some(r#"[["is_company","=",true],["name","ilike","acme"]]"#.into());
    e.fields = Some("name,email,phone".into());
    e.outcome = if i.is_multiple_of(97) { Outcome::Denied } else { Outcome::Ok };
    e.records_returned = Some(20);
    e.duration_us = 3_000 + i % 1000;
    e
}

fn bench_limiter() {
    let limiter = Limiter::new(None);
    let n = 2_000_000u64;
    let start = Instant::now();
    for _ in 0..n {
        black_box(limiter.acquire(&Subject::Credential(1), Budget::General, 100_000));
    }
    line("rate limit: acquire, one hot key (window full of 600 buckets)", start.elapsed(), n);

    let start = Instant::now();
    for i in 0..n {
        black_box(limiter.acquire(&Subject::User((i % 10_000) as i64), Budget::General, 300));
    }
    line("rate limit: acquire, 10,000 keys", start.elapsed(), n);

    let limiter = Arc::new(Limiter::new(None));
    let start = Instant::now();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let limiter = limiter.clone();
            std::thread::spawn(move || {
                for i in 0..n / 4 {
                    black_box(limiter.acquire(&Subject::User((i % 64 + t * 64) as i64), Budget::General, 100_000));
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    line("rate limit: acquire, 4 threads x 64 keys", start.elapsed(), n);

    // An address flood: a new client IP every millisecond, so about 60,000
    // are live in any minute; the shards sweep out the rest as they grow.
    let limiter = Limiter::new(None);
    let flood = 1_000_000u64;
    let start = Instant::now();
    for i in 0..flood {
        let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i as u32);
        black_box(limiter.acquire_at(&Subject::Ip(ip.into()), Budget::General, 300, 1_000_000_000 + i));
    }
    line("rate limit: acquire, a new IP every ms (1 M addresses)", start.elapsed(), flood);
    println!("rate limit: windows held after that flood: {} (60,000 live)", limiter.len());

    let dir = tempfile::tempdir().unwrap();
    let limiter = Limiter::new(Some(Store::open(dir.path()).unwrap()));
    for i in 0..10_000 {
        limiter.acquire(&Subject::User(i), Budget::General, 300);
    }
    let start = Instant::now();
    let written = limiter.persist().unwrap();
    line("rate limit: write-behind of changed windows", start.elapsed(), written as u64);
}

fn bench_append() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(Store::open(dir.path()).unwrap());
    let n = 100_000u64;
    let start = Instant::now();
    for i in 0..n {
        log.append(entry(i, 0)).unwrap();
    }
    line("audit: append, no flush (entry + 2 index keys)", start.elapsed(), n);

    let n = 500u64;
    let start = Instant::now();
    for i in 0..n {
        log.append_durable(entry(i, 0)).unwrap();
    }
    line("audit: durable append, 1 writer (one flush each)", start.elapsed(), n);

    for writers in [8u64, 64] {
        let per_writer = 100;
        let start = Instant::now();
        let threads: Vec<_> = (0..writers)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..per_writer {
                        log.append_durable(entry(t * 1000 + i, 0)).unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        line(
            &format!("audit: durable append, {writers} writers (group commit)"),
            start.elapsed(),
            writers * per_writer,
        );
    }
}

fn bench_query_and_cleanup(total: u64) {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(Store::open(dir.path()).unwrap());
    // Spread over the last 60 days, oldest first, as the gateway writes them.
    let span_us = 60 * 86_400_000_000i64;
    let start_us = now_micros() - span_us;
    let start = Instant::now();
    for i in 0..total {
        log.append(entry(i, start_us + (i as i64) * (span_us / total as i64))).unwrap();
    }
    line(&format!("audit: fill {total} entries (append, no flush)"), start.elapsed(), total);

    let cases: Vec<(&str, AuditQuery)> = vec![
        ("first page, newest 50, no filter", AuditQuery::default()),
        ("first page, credential 7 (index)", AuditQuery { credential_id: Some(7), ..Default::default() }),
        ("first page, model sale.order (index)", AuditQuery { model: Some("sale.order".into()), ..Default::default() }),
        ("outcome denied, 50 of ~1% (scan)", AuditQuery { outcome: Some(Outcome::Denied), ..Default::default() }),
        ("text 'user 13', 50", AuditQuery { text: Some("user 13".into()), ..Default::default() }),
        (
            "one day 30 days ago, 1000 per page",
            AuditQuery {
                from_us: Some(now_micros() - 30 * 86_400_000_000),
                to_us: Some(now_micros() - 29 * 86_400_000_000),
                limit: Some(1000),
                order: Order::OldestFirst,
                ..Default::default()
            },
        ),
        ("no match (tool execute): full scan", AuditQuery { tool: Some("execute".into()), ..Default::default() }),
    ];
    for (name, q) in cases {
        let runs = if name.contains("full scan") { 1 } else { 20 };
        let start = Instant::now();
        let mut found = 0;
        for _ in 0..runs {
            found = log.query(&q).unwrap().entries.len();
        }
        line(&format!("audit query over {total}: {name} -> {found}"), start.elapsed(), runs);
    }

    // The dashboard's "entry N of M": asked with every page and live refresh.
    let third_page = {
        let first = log.query(&AuditQuery { limit: Some(200), ..Default::default() }).unwrap();
        log.query(&AuditQuery { limit: Some(200), cursor: first.next_cursor, ..Default::default() })
            .unwrap()
            .next_cursor
    };
    let counts: Vec<(&str, AuditQuery)> = vec![
        ("no filter (hash chain seq)", AuditQuery::default()),
        ("no filter, third page (seq)", AuditQuery { cursor: third_page, ..Default::default() }),
        (
            "one day 30 days ago (seq)",
            AuditQuery {
                from_us: Some(now_micros() - 30 * 86_400_000_000),
                to_us: Some(now_micros() - 29 * 86_400_000_000),
                ..Default::default()
            },
        ),
        ("credential 7 (index keys)", AuditQuery { credential_id: Some(7), ..Default::default() }),
        ("outcome denied (scan, budget)", AuditQuery { outcome: Some(Outcome::Denied), ..Default::default() }),
    ];
    for (name, q) in counts {
        let runs = if name.contains("budget") { 3 } else { 50 };
        let start = Instant::now();
        let mut counted = Default::default();
        for _ in 0..runs {
            counted = log.count(&q).unwrap();
        }
        line(&format!("audit count over {total}: {name} -> {counted:?}"), start.elapsed(), runs);
    }

    let start = Instant::now();
    let mut cursor = None;
    let mut exported = 0u64;
    loop {
        let page = log
            .query(&AuditQuery { limit: Some(1000), cursor, order: Order::OldestFirst, ..Default::default() })
            .unwrap();
        exported += page.entries.len() as u64;
        for e in &page.entries {
            black_box(e.to_json().to_string());
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    line("audit: export every entry as JSON lines (pages of 1000)", start.elapsed(), exported);

    // Retention signs a prune checkpoint: the daemon's key, made here.
    let keys = tempfile::tempdir().unwrap();
    let (signer, _) = alpenglow::audit::signing::load_or_create(&keys.path().join("audit-signing.key")).unwrap();
    log.set_signer(Arc::new(signer));
    let start = Instant::now();
    let deleted = log.delete_before(now_micros() - 30 * 86_400_000_000).unwrap();
    line(
        &format!("audit: retention cleanup, {deleted} of {total} older than 30 days"),
        start.elapsed(),
        deleted as u64,
    );
    let start = Instant::now();
    let deleted = log.delete_before(now_micros() + 1).unwrap();
    line(&format!("audit: cleanup of the remaining {deleted}"), start.elapsed(), deleted as u64);
}

fn main() {
    let total: u64 = std::env::var("TRAFFIC_BENCH_ENTRIES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let only = std::env::var("TRAFFIC_BENCH").unwrap_or_default();
    let wanted = |part: &str| only.is_empty() || only == part;
    if wanted("limiter") {
        bench_limiter();
    }
    if wanted("append") {
        bench_append();
    }
    if wanted("query") {
        bench_query_and_cleanup(total);
    }
}
