//! Audit log: ids ordered by time, queries by every filter with paging,
//! retention that deletes exactly the old entries, index keys with them.

use super::*;

fn entry(minutes_ago: i64, credential: Option<u64>, model: &str, outcome: Outcome) -> AuditEntry {
    let mut e = AuditEntry::new("jsonrpc", "127.0.0.1".into(), "alpenglow_search");
    e.time_us = now_micros() - minutes_ago * 60_000_000;
    e.credential_id = credential;
    e.credential_label = credential.map(|c| format!("label {c}"));
    e.model = Some(model.into());
    e.outcome = outcome;
    e
}

fn open() -> (tempfile::TempDir, AuditLog) {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(Store::open(dir.path()).unwrap());
    (dir, log)
}

#[test]
fn ids_are_unique_and_ordered_even_within_one_microsecond() {
    let (_dir, log) = open();
    let mut e = entry(0, None, "m", Outcome::Ok);
    e.time_us = 1_700_000_000_000_000;
    let a = log.append(e.clone()).unwrap();
    let b = log.append(e.clone()).unwrap();
    e.time_us -= 5_000_000; // the clock stepped back
    let c = log.append(e).unwrap();
    assert!(a < b && b < c, "{a} {b} {c}");
    assert_eq!(micros_of(a), 1_700_000_000_000_000);
}

#[test]
fn queries_filter_and_page() {
    let (_dir, log) = open();
    for i in 0..30 {
        let model = if i % 3 == 0 { "sale.order" } else { "res.partner" };
        let outcome = if i % 5 == 0 { Outcome::Denied } else { Outcome::Ok };
        log.append(entry(30 - i, Some((i % 2) as u64 + 1), model, outcome)).unwrap();
    }
    let all = log.query(&AuditQuery { limit: Some(100), ..Default::default() }).unwrap();
    assert_eq!(all.entries.len(), 30);
    assert!(all.entries.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!(all.next_cursor, None);

    let by_cred = log.query(&AuditQuery { credential_id: Some(2), limit: Some(100), ..Default::default() }).unwrap();
    assert_eq!(by_cred.entries.len(), 15);
    let by_model =
        log.query(&AuditQuery { model: Some("sale.order".into()), limit: Some(100), ..Default::default() }).unwrap();
    assert_eq!(by_model.entries.len(), 10);
    let denied = log.query(&AuditQuery { outcome: Some(Outcome::Denied), ..Default::default() }).unwrap();
    assert_eq!(denied.entries.len(), 6);
    let text = log.query(&AuditQuery { text: Some("LABEL 1".into()), limit: Some(100), ..Default::default() }).unwrap();
    assert_eq!(text.entries.len(), 15);
    let tool = log.query(&AuditQuery { tool: Some("search".into()), limit: Some(5), ..Default::default() }).unwrap();
    assert_eq!(tool.entries.len(), 5);
    let recent = log
        .query(&AuditQuery {
            from_us: Some(now_micros() - 10 * 60_000_000 - 30_000_000),
            limit: Some(100),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(recent.entries.len(), 10);

    // Paging both ways visits every entry once.
    for order in [Order::NewestFirst, Order::OldestFirst] {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = log.query(&AuditQuery { limit: Some(7), cursor, order, ..Default::default() }).unwrap();
            seen.extend(page.entries.iter().map(|e| e.id));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 30, "{order:?}");
    }
}

#[test]
fn retention_deletes_exactly_the_old_entries_and_their_index_keys() {
    let (_dir, log) = open();
    for i in 0..20 {
        log.append(entry(if i < 8 { 60 * 24 * 40 } else { 60 }, Some(7), "res.partner", Outcome::Ok)).unwrap();
    }
    let cutoff = now_micros() - 30 * 24 * 3_600_000_000;
    log.set_signer(test_signer());
    assert_eq!(log.delete_before(cutoff).unwrap(), 8);
    assert_eq!(log.len().unwrap(), 12);
    assert_eq!(log.delete_before(cutoff).unwrap(), 0);
    let store = log.store();
    assert_eq!(store.table::<ByCredential>().unwrap().len(), 12);
    assert_eq!(store.table::<ByModel>().unwrap().len(), 12);
}

#[test]
fn durable_append_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let log = AuditLog::new(Store::open(dir.path()).unwrap());
        log.append_durable(entry(0, Some(1), "res.partner", Outcome::Ok)).unwrap()
    };
    let log = AuditLog::new(Store::open(dir.path()).unwrap());
    assert_eq!(log.get(id).unwrap().unwrap().credential_id, Some(1));
    assert!(log.append(entry(0, None, "x", Outcome::Ok)).unwrap() > id);
}

fn test_signer() -> Arc<Signer> {
    Arc::new(Signer::parse("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz").unwrap())
}

#[test]
fn counts_cover_the_whole_filtered_log_and_place_the_page() {
    use super::query::{AuditCount, COUNT_BUDGET};
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(Store::open(dir.path()).unwrap());
    for i in 0..300u64 {
        let mut e =
            AuditEntry::new("mcp", "10.0.0.1".into(), if i % 3 == 0 { "alpenglow_search" } else { "alpenglow_read" });
        e.model = Some(format!("m{}", i % 2));
        log.append(e).unwrap();
    }
    let page = |q: &AuditQuery| log.query(q).unwrap();
    let count = |q: &AuditQuery| log.count(q).unwrap();
    let newest = AuditQuery { limit: Some(50), ..AuditQuery::default() };
    assert_eq!(count(&newest), AuditCount { total: 300, before: 0, exact: true });
    // The third page: 100 entries before it, whichever way it is counted.
    let mut q = newest.clone();
    for _ in 0..2 {
        q.cursor = page(&q).next_cursor;
    }
    assert_eq!(count(&q), AuditCount { total: 300, before: 100, exact: true });
    let oldest = AuditQuery { order: Order::OldestFirst, cursor: q.cursor, ..newest.clone() };
    assert_eq!(count(&oldest).before, 201, "oldest first: the cursor's entry and the 200 older ones");
    // Filtered: by the index (model), by scanning (tool).
    let model = AuditQuery { model: Some("m1".into()), ..newest.clone() };
    assert_eq!(count(&model), AuditCount { total: 150, before: 0, exact: true });
    let tool = AuditQuery {
        tool: Some("search".into()),
        cursor: page(&AuditQuery { tool: Some("search".into()), ..newest.clone() }).next_cursor,
        ..newest.clone()
    };
    assert_eq!(count(&tool), AuditCount { total: 100, before: 50, exact: true });
    // A time range: unfiltered counts agree with a scan.
    let ids: Vec<AuditEntry> =
        page(&AuditQuery { limit: Some(300), order: Order::OldestFirst, ..AuditQuery::default() }).entries;
    let to_us = ids[200].time_us;
    let before_time = AuditQuery { to_us: Some(to_us), ..newest.clone() };
    let expected = ids.iter().filter(|e| e.time_us < to_us).count() as u64;
    assert_eq!(count(&before_time).total, expected);
    assert_eq!(count(&AuditQuery { outcome: Some(Outcome::Ok), ..before_time }).total, expected);
    // A filtered count past its budget says so, with what it found so far.
    let search = AuditQuery { tool: Some("search".into()), ..newest };
    let partial = super::query::count_within(&log, &search, 120).unwrap();
    assert_eq!(partial, AuditCount { total: 40, before: 0, exact: false });
    assert_eq!(super::query::count_within(&log, &search, COUNT_BUDGET).unwrap().total, 100);
}
