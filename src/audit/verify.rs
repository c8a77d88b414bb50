//! `audit verify`: recomputes the chain from where verification starts (the
//! latest prune checkpoint, a checkpoint named with `--from`, or the first
//! entry), checks every checkpoint's signature, and that every checkpoint's
//! hash is the hash of the entry at its sequence. Reports the first broken
//! link (sequence, time, what is wrong) or how many entries it verified.

use super::chain::{GENESIS, Hash, hash_of, hex};
use super::checkpoint::{Checkpoint, CheckpointKind};
use super::signing::Verifier;
use super::{AuditEntry, AuditLog, rfc3339};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where verification starts.
#[derive(Debug, Clone)]
pub enum Start {
    /// The latest prune checkpoint, else the first entry.
    Default,
    /// A stored checkpoint, by its sequence.
    Seq(u64),
    /// A checkpoint note from elsewhere (a file, the journal).
    Note(String),
}

/// The first broken link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Broken {
    pub seq: u64,
    /// RFC 3339, of the entry (or checkpoint) where it broke, when known.
    pub time: Option<String>,
    pub reason: String,
}

/// The result of one verification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Verification {
    /// When it ran (RFC 3339).
    pub checked_at: String,
    pub ok: bool,
    /// Entries whose hash and link were checked.
    pub entries: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// Checkpoints whose signature was checked.
    pub checkpoints: u64,
    /// Where it started: `the first entry`, `prune checkpoint at seq 42`, ...
    pub start: String,
    pub broken: Option<Broken>,
    /// One line for people.
    pub summary: String,
}

impl AuditLog {
    /// Verifies the chain and the checkpoints with `verifier`, and keeps the
    /// result as the last verification. Walks every entry: blocking.
    /// Without a verifier only a log with no checkpoint can be verified.
    pub fn verify(&self, verifier: Option<&Verifier>, start: Start) -> Result<Verification, String> {
        let result = verify(self, verifier, start)?;
        *self.inner.last_verification.lock().unwrap_or_else(|e| e.into_inner()) = Some(result.clone());
        Ok(result)
    }

    /// The result of the last verification this process ran.
    pub fn last_verification(&self) -> Option<Verification> {
        self.inner.last_verification.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The first problem found keeps its place: the smallest sequence wins.
fn note(broken: &mut Option<Broken>, found: Broken) {
    if broken.as_ref().is_none_or(|b| found.seq < b.seq) {
        *broken = Some(found);
    }
}

fn verify(log: &AuditLog, verifier: Option<&Verifier>, start: Start) -> Result<Verification, String> {
    let store = log.store();
    let mut broken: Option<Broken> = None;
    let mut signed: BTreeMap<u64, Checkpoint> = BTreeMap::new();
    let mut checkpoints = 0;
    let stored = Checkpoint::all(store).map_err(|e| e.to_string())?;
    let verifier = match verifier {
        Some(verifier) => verifier,
        None if stored.is_empty() && matches!(start, Start::Default) => {
            return Ok(walk(log, broken, signed, checkpoints, Start::Default));
        }
        None => return Err(NO_VERIFIER.into()),
    };
    for (key, read) in stored {
        let seq = key >> 2;
        checkpoints += 1;
        match read.and_then(|c| c.check_signature(verifier).map(|()| c)) {
            // One per sequence: the prune checkpoint, where there is one.
            Ok(c) if c.seq == seq && c.kind == CheckpointKind::Prune => {
                signed.insert(c.seq, c);
            }
            Ok(c) if c.seq == seq => {
                signed.entry(c.seq).or_insert(c);
            }
            Ok(c) => note(
                &mut broken,
                Broken {
                    seq,
                    time: Some(c.time()),
                    reason: format!("the checkpoint stored at seq {seq} is signed for seq {}", c.seq),
                },
            ),
            Err(e) => note(&mut broken, Broken { seq, time: None, reason: format!("checkpoint at seq {seq}: {e}") }),
        }
    }

    if let Start::Note(text) = &start {
        let c = Checkpoint::parse(text).map_err(|e| format!("--from: {e}"))?;
        c.check_signature(verifier).map_err(|e| format!("--from: {e}"))?;
        checkpoints += 1;
        signed.entry(c.seq).or_insert(c);
    }
    if let Start::Seq(seq) = start
        && !signed.contains_key(&seq)
    {
        return Err(format!("there is no stored checkpoint with a good signature at seq {seq} to start from"));
    }
    Ok(walk(log, broken, signed, checkpoints, start))
}

const NO_VERIFIER: &str =
    "no audit signing key (nor its .pub) is loaded, so the checkpoints' signatures cannot be checked";

/// The walk over the entries, from where `start` says.
fn walk(
    log: &AuditLog,
    mut broken: Option<Broken>,
    signed: BTreeMap<u64, Checkpoint>,
    checkpoints: u64,
    start: Start,
) -> Verification {
    let store = log.store();
    // Where the chain is taken as given: (seq, hash) and how it was chosen.
    let (from_seq, from_hash, start_text): (u64, Hash, String) = match start {
        Start::Default => match signed.values().rev().find(|c| c.kind == CheckpointKind::Prune) {
            Some(c) => (c.seq, c.hash, format!("prune checkpoint at seq {} ({})", c.seq, c.time())),
            None => (0, GENESIS, "the first entry".into()),
        },
        Start::Seq(_) | Start::Note(_) => {
            let seq = match &start {
                Start::Seq(seq) => *seq,
                Start::Note(text) => Checkpoint::parse(text).map(|c| c.seq).unwrap_or(0),
                Start::Default => 0,
            };
            match signed.get(&seq) {
                Some(c) => (c.seq, c.hash, format!("the checkpoint at seq {seq} ({})", c.time())),
                None => {
                    let reason = format!("no stored checkpoint with a good signature at seq {seq} to start from");
                    note(&mut broken, Broken { seq, time: None, reason });
                    (u64::MAX - 1, GENESIS, format!("seq {seq}"))
                }
            }
        }
    };

    let entries = match store.table::<AuditEntry>() {
        Ok(entries) => entries,
        Err(e) => {
            let reason = format!("the audit log cannot be read: {e}");
            note(&mut broken, Broken { seq: from_seq + 1, time: None, reason });
            return finish(broken, 0, None, from_seq, from_hash, checkpoints, start_text);
        }
    };
    let (mut prev_seq, mut prev_hash) = (from_seq, from_hash);
    let mut prev_time: Option<String> = None;
    let (mut count, mut first_seq, mut seen_chained) = (0u64, None, false);
    let mut chain_broken = false;
    for item in entries.range_u64(0, u64::MAX, false) {
        let expected = prev_seq + 1;
        let (key, entry) = match item {
            Ok(pair) => pair,
            Err(e) => {
                let reason = format!("an entry after seq {prev_seq} cannot be read: {e}");
                note(&mut broken, Broken { seq: expected, time: prev_time.clone(), reason });
                chain_broken = true;
                break;
            }
        };
        if !entry.chained() {
            if seen_chained {
                let reason = format!("entry {key} has no place in the chain (seq 0) after seq {prev_seq}");
                note(&mut broken, Broken { seq: expected, time: Some(entry_time(&entry)), reason });
                chain_broken = true;
                break;
            }
            continue; // written before the chain existed
        }
        seen_chained = true;
        if entry.seq < expected {
            if entry.seq == from_seq && entry.hash != from_hash && from_seq > 0 {
                let reason =
                    format!("seq {from_seq} does not have the hash of the checkpoint verification starts from");
                note(&mut broken, Broken { seq: from_seq, time: Some(entry_time(&entry)), reason });
                chain_broken = true;
                break;
            }
            if entry.seq <= from_seq {
                continue; // before where verification starts
            }
        }
        let reason = if entry.id != key {
            Some(format!("the entry stored under id {key} says it is id {} (moved or reordered)", entry.id))
        } else if entry.seq > expected {
            Some(if expected + 1 == entry.seq {
                format!("seq {expected} is missing (the next entry is seq {})", entry.seq)
            } else {
                format!("seqs {expected} to {} are missing", entry.seq - 1)
            })
        } else if entry.seq < expected {
            Some(format!("seq {} comes after seq {prev_seq} (reordered)", entry.seq))
        } else if hash_of(&entry) != entry.hash {
            Some(format!("seq {expected} was altered: its content does not hash to its stored hash"))
        } else if entry.prev_hash != prev_hash {
            Some(format!("seq {expected} does not link to seq {prev_seq} (prev_hash differs)"))
        } else {
            signed
                .get(&expected)
                .filter(|c| c.hash != entry.hash)
                .map(|c| format!("seq {expected} differs from the {} checkpoint signed at {}", c.kind.name(), c.time()))
        };
        if let Some(reason) = reason {
            let time = if entry.seq > expected {
                prev_time.clone().or(Some(entry_time(&entry)))
            } else {
                Some(entry_time(&entry))
            };
            note(&mut broken, Broken { seq: expected, time, reason });
            chain_broken = true;
            break;
        }
        first_seq.get_or_insert(entry.seq);
        count += 1;
        prev_seq = entry.seq;
        prev_hash = entry.hash;
        prev_time = Some(entry_time(&entry));
    }
    if !chain_broken && let Some((&seq, c)) = signed.range(prev_seq + 1..).next() {
        let reason = format!(
            "the log ends at seq {prev_seq} but the {} checkpoint of {} covers up to seq {seq}: entries {} to {seq} are missing",
            c.kind.name(),
            c.time(),
            prev_seq + 1
        );
        note(&mut broken, Broken { seq: prev_seq + 1, time: Some(c.time()), reason });
    }

    finish(broken, count, first_seq, prev_seq, prev_hash, checkpoints, start_text)
}

fn finish(
    broken: Option<Broken>,
    count: u64,
    first_seq: Option<u64>,
    prev_seq: u64,
    prev_hash: Hash,
    checkpoints: u64,
    start_text: String,
) -> Verification {
    let summary = match &broken {
        Some(b) => format!(
            "broken at seq {}{}: {}",
            b.seq,
            b.time.as_deref().map(|t| format!(" ({t})")).unwrap_or_default(),
            b.reason
        ),
        None if count == 0 => {
            format!("verified 0 entries (from {start_text}); {checkpoints} checkpoint signatures good")
        }
        None => format!(
            "verified {count} entries from seq {} to {prev_seq} (from {start_text}); {checkpoints} checkpoint signatures good; head {}",
            first_seq.unwrap_or(0),
            hex(&prev_hash)
        ),
    };
    Verification {
        checked_at: rfc3339(super::now_micros()),
        ok: broken.is_none(),
        entries: count,
        first_seq,
        last_seq: first_seq.map(|_| prev_seq),
        checkpoints,
        start: start_text,
        broken,
        summary,
    }
}

fn entry_time(entry: &AuditEntry) -> String {
    rfc3339(entry.time_us)
}
