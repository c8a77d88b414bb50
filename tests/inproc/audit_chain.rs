//! The audit log's hash chain and signed checkpoints against tampering done
//! the way an intruder with the data directory would: entries edited,
//! deleted, moved, cut off, garbled, checkpoints forged, all through the
//! store's own API on a real store in a temp directory. `verify` must name
//! the first broken sequence each time, and pass on an untouched log and
//! after retention pruned it.

use alpenglow::audit::signing::Signer;
use alpenglow::audit::{AuditEntry, AuditLog, CheckpointKind, Start, Verification, now_micros};
use alpenglow::store::Store;
use std::sync::Arc;

fn signer() -> Arc<Signer> {
    Arc::new(Signer::parse("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz").unwrap())
}

/// A log of `n` entries (seq 1..=n), the first ones `days_old` days back.
fn log_of(n: u64, days_old: i64) -> (tempfile::TempDir, Store, AuditLog) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let log = AuditLog::new(store.clone());
    log.set_signer(signer());
    for i in 0..n {
        let mut e = AuditEntry::new("jsonrpc", "10.0.0.7".into(), "alpenglow_read");
        e.time_us = now_micros() - days_old * 86_400_000_000 + i as i64 * 1_000;
        e.model = Some("res.partner".into());
        e.record_ids = vec![i as i64];
        e.credential_id = Some(1);
        log.append(e).unwrap();
    }
    (dir, store, log)
}

fn verify(log: &AuditLog) -> Verification {
    log.verify(log.verifier().as_ref(), Start::Default).unwrap()
}

/// The store key (entry id) and entry of `seq`.
fn at(store: &Store, seq: u64) -> (u64, AuditEntry) {
    let table = store.table::<AuditEntry>().unwrap();
    table.range_u64(0, u64::MAX, false).map(Result::unwrap).find(|(_, e)| e.seq == seq).unwrap()
}

fn broken_at(v: &Verification) -> u64 {
    assert!(!v.ok, "verified, but should not: {}", v.summary);
    v.broken.as_ref().unwrap().seq
}

#[test]
fn an_untouched_log_verifies_with_its_checkpoints() {
    let (_dir, _store, log) = log_of(20, 0);
    let c = log.checkpoint(CheckpointKind::Periodic).unwrap().expect("a checkpoint of seq 20");
    assert_eq!(c.seq, 20);
    assert!(log.checkpoint(CheckpointKind::Periodic).unwrap().is_none(), "nothing new: no second checkpoint");
    let v = verify(&log);
    assert!(v.ok, "{}", v.summary);
    assert_eq!((v.entries, v.first_seq, v.last_seq, v.checkpoints), (20, Some(1), Some(20), 1));
    assert!(v.summary.starts_with("verified 20 entries from seq 1 to 20"), "{}", v.summary);
    assert_eq!(log.last_verification().unwrap(), v);
}

#[test]
fn an_altered_entry_is_named_by_its_sequence() {
    let (_dir, store, log) = log_of(12, 0);
    let (id, mut entry) = at(&store, 7);
    entry.record_ids = vec![4242];
    store.table::<AuditEntry>().unwrap().insert(&id, &entry).unwrap();
    let v = verify(&log);
    assert_eq!(broken_at(&v), 7, "{}", v.summary);
    assert!(v.summary.contains("altered"), "{}", v.summary);
    assert_eq!(v.broken.unwrap().time.unwrap(), alpenglow::audit::rfc3339(entry.time_us));
}

#[test]
fn an_altered_entry_with_its_hash_recomputed_breaks_the_next_link() {
    let (_dir, store, log) = log_of(12, 0);
    let (id, mut entry) = at(&store, 7);
    entry.login = Some("someone else".into());
    entry.hash = alpenglow::audit::chain::hash_of(&entry);
    store.table::<AuditEntry>().unwrap().insert(&id, &entry).unwrap();
    let v = verify(&log);
    assert_eq!(broken_at(&v), 8, "{}", v.summary);
    assert!(v.summary.contains("does not link to seq 7"), "{}", v.summary);
}

#[test]
fn an_entry_deleted_in_the_middle_is_named() {
    let (_dir, store, log) = log_of(12, 0);
    let (id, _) = at(&store, 5);
    assert!(store.table::<AuditEntry>().unwrap().remove(&id).unwrap());
    let v = verify(&log);
    assert_eq!(broken_at(&v), 5, "{}", v.summary);
    assert!(v.summary.contains("seq 5 is missing"), "{}", v.summary);
}

#[test]
fn entries_swapped_in_place_are_named() {
    let (_dir, store, log) = log_of(12, 0);
    let ((id4, e4), (id5, e5)) = (at(&store, 4), at(&store, 5));
    let table = store.table::<AuditEntry>().unwrap();
    table.insert(&id4, &e5).unwrap();
    table.insert(&id5, &e4).unwrap();
    let v = verify(&log);
    assert_eq!(broken_at(&v), 4, "{}", v.summary);
    assert!(v.summary.contains("reordered"), "{}", v.summary);
}

#[test]
fn an_entry_that_no_longer_reads_is_named() {
    let (_dir, store, log) = log_of(12, 0);
    let (id, _) = at(&store, 3);
    store.insert_raw("audit", &[(id.to_be_bytes().to_vec(), vec![2, 0xff, 0xff, 0xff])]).unwrap();
    let v = verify(&log);
    assert_eq!(broken_at(&v), 3, "{}", v.summary);
    assert!(v.summary.contains("cannot be read"), "{}", v.summary);
}

#[test]
fn a_tail_cut_after_a_checkpoint_is_named() {
    let (_dir, store, log) = log_of(15, 0);
    log.checkpoint(CheckpointKind::Shutdown).unwrap().unwrap();
    let table = store.table::<AuditEntry>().unwrap();
    for seq in 11..=15 {
        table.remove(&at(&store, seq).0).unwrap();
    }
    let v = verify(&log);
    assert_eq!(broken_at(&v), 11, "{}", v.summary);
    assert!(v.summary.contains("entries 11 to 15 are missing"), "{}", v.summary);
    // A fresh handle appends after seq 10, as the store holds it: a new
    // seq 11 cannot hide that 12 to 15 are gone.
    let again = AuditLog::new(store.clone());
    again.set_signer(signer());
    again.append(AuditEntry::new("rest", "::1".into(), "alpenglow_search")).unwrap();
    let v = verify(&again);
    assert_eq!(broken_at(&v), 12, "{}", v.summary);
    assert!(v.summary.contains("covers up to seq 15"), "{}", v.summary);
}

#[test]
fn a_checkpoint_with_a_bad_signature_is_reported() {
    let (_dir, store, log) = log_of(9, 0);
    log.checkpoint(CheckpointKind::Periodic).unwrap().unwrap();
    let stored = store.tree_page("audit_checkpoints", None, 10).unwrap();
    assert_eq!(stored.len(), 1);
    let (key, mut value) = stored[0].clone();
    // One base64 character of the signature, changed in place.
    let at = value.windows(3).position(|w| w == "\u{2014}".as_bytes()).unwrap() + 40;
    value[at] = if value[at] == b'A' { b'B' } else { b'A' };
    store.insert_raw("audit_checkpoints", &[(key, value)]).unwrap();
    let v = verify(&log);
    assert_eq!(broken_at(&v), 9, "{}", v.summary);
    assert!(v.summary.contains("signature does not verify"), "{}", v.summary);
}

#[test]
fn a_checkpoint_forged_with_another_key_is_reported() {
    let (_dir, store, log) = log_of(9, 0);
    let keys = tempfile::tempdir().unwrap();
    let (other, made) = alpenglow::audit::signing::load_or_create(&keys.path().join("other.key")).unwrap();
    assert!(made);
    let forger = AuditLog::new(store.clone());
    forger.set_signer(Arc::new(other));
    forger.checkpoint(CheckpointKind::Periodic).unwrap().unwrap();
    let v = verify(&log);
    assert_eq!(broken_at(&v), 9, "{}", v.summary);
    assert!(v.summary.contains("no signature by the key"), "{}", v.summary);
}

#[test]
fn after_a_prune_verification_starts_at_the_prune_checkpoint() {
    // 30 entries 40 days old, then 5 new ones.
    let (_dir, store, log) = log_of(30, 40);
    log.checkpoint(CheckpointKind::Periodic).unwrap().unwrap();
    for _ in 0..5 {
        log.append(AuditEntry::new("mcp", "::1".into(), "alpenglow_search")).unwrap();
    }
    assert_eq!(log.delete_before(now_micros() - 30 * 86_400_000_000).unwrap(), 30);
    let v = verify(&log);
    assert!(v.ok, "{}", v.summary);
    assert_eq!((v.entries, v.first_seq, v.last_seq), (5, Some(31), Some(35)));
    assert!(v.start.starts_with("prune checkpoint at seq 30"), "{}", v.start);
    let checkpoints = store.tree_page("audit_checkpoints", None, 10).unwrap();
    assert_eq!(checkpoints.len(), 1, "the checkpoint below the prune one went with its entries");

    // Deleting the first entry kept is still seen, by its sequence.
    store.table::<AuditEntry>().unwrap().remove(&at(&store, 31).0).unwrap();
    assert_eq!(broken_at(&verify(&log)), 31);
}

#[test]
fn everything_pruned_the_chain_goes_on_from_the_prune_checkpoint() {
    let (_dir, store, log) = log_of(10, 40);
    assert_eq!(log.delete_before(now_micros()).unwrap(), 10);
    let reopened = AuditLog::new(store.clone());
    reopened.set_signer(signer());
    reopened.append(AuditEntry::new("rest", "::1".into(), "alpenglow_search")).unwrap();
    assert_eq!(reopened.chain_head().unwrap().0, 11);
    let v = verify(&reopened);
    assert!(v.ok && v.first_seq == Some(11), "{}", v.summary);
}

#[test]
fn without_the_key_nothing_chained_is_pruned() {
    let (_dir, store, _log) = log_of(10, 40);
    let keyless = AuditLog::new(store);
    let e = keyless.delete_before(now_micros()).unwrap_err();
    assert!(e.contains("signing key"), "{e}");
    assert_eq!(keyless.len().unwrap(), 10);
}

#[test]
fn verification_may_start_from_a_checkpoint_kept_elsewhere() {
    let (_dir, store, log) = log_of(10, 0);
    let kept = log.checkpoint(CheckpointKind::Periodic).unwrap().unwrap();
    for _ in 0..3 {
        log.append(AuditEntry::new("rest", "::1".into(), "alpenglow_search")).unwrap();
    }
    let v = log.verify(log.verifier().as_ref(), Start::Note(kept.note.clone())).unwrap();
    assert!(v.ok && v.first_seq == Some(11) && v.entries == 3, "{}", v.summary);
    let v = log.verify(log.verifier().as_ref(), Start::Seq(10)).unwrap();
    assert!(v.ok && v.entries == 3, "{}", v.summary);
    assert!(log.verify(log.verifier().as_ref(), Start::Seq(3)).unwrap_err().contains("no stored checkpoint"));
    let forged = kept.note.replace("\n10\n", "\n11\n");
    assert!(log.verify(log.verifier().as_ref(), Start::Note(forged)).unwrap_err().contains("signature"));

    // The entry at the kept checkpoint changed, hash and all: seen from there.
    let (id, mut entry) = at(&store, 10);
    entry.tool = "alpenglow_delete".into();
    entry.hash = alpenglow::audit::chain::hash_of(&entry);
    store.table::<AuditEntry>().unwrap().insert(&id, &entry).unwrap();
    let v = log.verify(log.verifier().as_ref(), Start::Note(kept.note)).unwrap();
    assert_eq!(broken_at(&v), 10, "{}", v.summary);
}
