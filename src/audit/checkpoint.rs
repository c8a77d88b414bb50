//! Signed checkpoints: the chain's head (sequence, hash, time) as a
//! C2SP signed note (c2sp.org/tlog-checkpoint, c2sp.org/signed-note), so
//! standard tooling reads them:
//!
//! ```text
//! host/alpenglow-audit          origin: the key's name
//! 1234                          the last entry's seq (the "tree size")
//! q1w2...=                      its hash, base64 (a chain head, not a Merkle root)
//! time 2026-05-01T10:00:00Z     extension lines
//! kind periodic                 periodic | shutdown | prune
//!
//! — host/alpenglow-audit <base64(key ID || Ed25519 signature)>
//! ```
//!
//! Written every `audit_checkpoint_minutes`, at shutdown, and before the
//! retention cleanup deletes entries (a prune checkpoint at the last entry it
//! deletes, where verification then starts). Kept in the `audit_checkpoints`
//! tree (the key stays outside the store) and written to the log, so a copy
//! leaves the box.

use super::chain::Hash;
use super::signing::{Signer, Verifier};
use super::{AuditLog, now_micros};
use crate::store::{Record, Store, StoreResult};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Why a checkpoint was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckpointKind {
    Periodic,
    Shutdown,
    /// Before retention deleted every entry up to its sequence.
    Prune,
}

impl CheckpointKind {
    pub fn name(self) -> &'static str {
        match self {
            CheckpointKind::Periodic => "periodic",
            CheckpointKind::Shutdown => "shutdown",
            CheckpointKind::Prune => "prune",
        }
    }

    fn parse(name: &str) -> Option<CheckpointKind> {
        [CheckpointKind::Periodic, CheckpointKind::Shutdown, CheckpointKind::Prune]
            .into_iter()
            .find(|k| k.name() == name)
    }

    /// The low bits of the store key: checkpoints of one sequence sort by kind.
    fn code(self) -> u64 {
        match self {
            CheckpointKind::Periodic => 0,
            CheckpointKind::Shutdown => 1,
            CheckpointKind::Prune => 2,
        }
    }
}

/// A checkpoint as stored: the signed note's text, nothing else, so every
/// field a verifier trusts is under the signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredCheckpoint {
    note: String,
}

impl Record for StoredCheckpoint {
    const TREE: &'static str = "audit_checkpoints";
    const KIND: &'static str = "audit checkpoint";
    const VERSION: u8 = 1;
}

/// A checkpoint read from its note (signature not checked here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub seq: u64,
    pub hash: Hash,
    pub time_us: i64,
    pub kind: CheckpointKind,
    /// The whole signed note.
    pub note: String,
}

/// What is wrong with a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("not a checkpoint note: {0}")]
    Malformed(String),
    #[error("no signature by the key {0} (signed by another key, or not signed)")]
    UnknownKey(String),
    #[error("the signature does not verify with the key {0}")]
    BadSignature(String),
}

impl Checkpoint {
    /// The store key: `seq << 2 | kind`.
    pub(super) fn key(&self) -> u64 {
        (self.seq << 2) | self.kind.code()
    }

    /// Makes and signs a checkpoint of (`seq`, `hash`) at `time_us`.
    pub fn sign(signer: &Signer, seq: u64, hash: &Hash, time_us: i64, kind: CheckpointKind) -> Checkpoint {
        let time = OffsetDateTime::from_unix_timestamp_nanos(i128::from(time_us) * 1_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .replace_nanosecond(0)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let text = format!(
            "{}\n{seq}\n{}\ntime {}\nkind {}\n",
            signer.name(),
            STANDARD.encode(hash),
            time.format(&Rfc3339).unwrap_or_default(),
            kind.name()
        );
        let note = format!("{text}\n{}", signer.signature_line(&text));
        Checkpoint {
            origin: signer.name().into(),
            seq,
            hash: *hash,
            time_us: time.unix_timestamp() * 1_000_000,
            kind,
            note,
        }
    }

    /// Reads a note (as stored, or as copied from the log or a file).
    pub fn parse(note: &str) -> Result<Checkpoint, ChainError> {
        let bad = |why: &str| ChainError::Malformed(why.into());
        let (text, _) = note.split_once("\n\n").ok_or_else(|| bad("no blank line before the signatures"))?;
        let mut lines = text.lines();
        let origin = lines.next().filter(|l| !l.is_empty()).ok_or_else(|| bad("no origin line"))?;
        let seq = lines.next().and_then(|l| l.parse().ok()).ok_or_else(|| bad("the second line is not a sequence"))?;
        let hash: Hash = lines
            .next()
            .and_then(|l| STANDARD.decode(l).ok())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("the third line is not a base64 SHA-256 hash"))?;
        let (mut time_us, mut kind) = (None, None);
        for line in lines {
            match line.split_once(' ') {
                Some(("time", t)) => {
                    time_us = OffsetDateTime::parse(t, &Rfc3339).ok().map(|t| t.unix_timestamp() * 1_000_000)
                }
                Some(("kind", k)) => kind = CheckpointKind::parse(k),
                _ => {}
            }
        }
        Ok(Checkpoint {
            origin: origin.into(),
            seq,
            hash,
            time_us: time_us.ok_or_else(|| bad("no time line"))?,
            kind: kind.ok_or_else(|| bad("no kind line (periodic, shutdown or prune)"))?,
            note: note.into(),
        })
    }

    /// Checks the note's signature by `verifier`'s key.
    pub fn check_signature(&self, verifier: &Verifier) -> Result<(), ChainError> {
        let (body, signatures) =
            self.note.split_once("\n\n").ok_or_else(|| ChainError::Malformed("no signatures".into()))?;
        let text = format!("{body}\n");
        for line in signatures.lines() {
            let Some((name, encoded)) = line.strip_prefix("\u{2014} ").and_then(|l| l.split_once(' ')) else {
                continue;
            };
            let Ok(bytes) = STANDARD.decode(encoded) else { continue };
            if bytes.len() == 68 && verifier.is_key(name, &bytes[..4]) {
                return if verifier.verify(&text, &bytes[4..]) {
                    Ok(())
                } else {
                    Err(ChainError::BadSignature(verifier.to_string()))
                };
            }
        }
        Err(ChainError::UnknownKey(verifier.to_string()))
    }

    /// RFC 3339 time.
    pub fn time(&self) -> String {
        super::rfc3339(self.time_us)
    }

    /// The stored checkpoints in key order (by sequence), each as read:
    /// a note that does not read is an error in its place.
    pub fn all(store: &Store) -> StoreResult<Vec<(u64, Result<Checkpoint, ChainError>)>> {
        let table = store.table::<StoredCheckpoint>()?;
        table
            .range_u64(0, u64::MAX, false)
            .map(|item| item.map(|(key, stored)| (key, Checkpoint::parse(&stored.note))))
            .collect()
    }

    /// The last stored checkpoint that reads.
    pub fn latest(store: &Store) -> StoreResult<Option<Checkpoint>> {
        let table = store.table::<StoredCheckpoint>()?;
        for item in table.range_u64(0, u64::MAX, true) {
            if let Ok(checkpoint) = Checkpoint::parse(&item?.1.note) {
                return Ok(Some(checkpoint));
            }
        }
        Ok(None)
    }
}

impl AuditLog {
    /// Signs and stores a checkpoint of the chain's head, flushed, and
    /// writes it to the log. None when there is nothing new to sign: an
    /// empty chain, or a head a checkpoint already covers.
    pub fn checkpoint(&self, kind: CheckpointKind) -> Result<Option<Checkpoint>, String> {
        let signer = self.signer().ok_or_else(no_key)?;
        let head = *self.head().map_err(|e| e.to_string())?;
        if head.seq == 0 {
            return Ok(None);
        }
        let store = self.store();
        if Checkpoint::latest(store).map_err(|e| e.to_string())?.is_some_and(|c| c.seq == head.seq) {
            return Ok(None);
        }
        let checkpoint = Checkpoint::sign(&signer, head.seq, &head.hash, now_micros(), kind);
        self.keep(&checkpoint)?;
        Ok(Some(checkpoint))
    }

    /// Stores a signed checkpoint, flushed, and logs it (one line, the
    /// note's newlines escaped) so a copy reaches the journal.
    pub(super) fn keep(&self, checkpoint: &Checkpoint) -> Result<(), String> {
        let store = self.store();
        let table = store.table::<StoredCheckpoint>().map_err(|e| e.to_string())?;
        table
            .insert(&checkpoint.key(), &StoredCheckpoint { note: checkpoint.note.clone() })
            .map_err(|e| e.to_string())?;
        store.flush().map_err(|e| e.to_string())?;
        tracing::info!(
            seq = checkpoint.seq,
            kind = checkpoint.kind.name(),
            note = ?checkpoint.note,
            "audit checkpoint {} at seq {}",
            checkpoint.kind.name(),
            checkpoint.seq
        );
        Ok(())
    }

    /// The latest stored checkpoint.
    pub fn latest_checkpoint(&self) -> StoreResult<Option<Checkpoint>> {
        Checkpoint::latest(self.store())
    }

    /// Removes the checkpoints up to `seq` (covering entries retention
    /// deleted) but the prune checkpoint at `seq`, where verification starts.
    pub(super) fn forget_checkpoints_below(&self, seq: u64) -> StoreResult<usize> {
        let table = self.store().table::<StoredCheckpoint>()?;
        let below = (seq << 2) | CheckpointKind::Prune.code();
        let keys: Vec<u64> = table.range_u64(0, below, false).map(|r| r.map(|(k, _)| k)).collect::<StoreResult<_>>()?;
        table.remove_many(keys)
    }
}

pub(super) fn no_key() -> String {
    "the audit signing key is not loaded: checkpoints cannot be signed (see audit_signing_key in the README)".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_reads_back_and_its_signature_checks() {
        let signer =
            Signer::parse("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz").unwrap();
        let checkpoint = Checkpoint::sign(&signer, 42, &[7; 32], 1_700_000_000_123_456, CheckpointKind::Prune);
        let read = Checkpoint::parse(&checkpoint.note).unwrap();
        assert_eq!(read, checkpoint);
        assert_eq!(read.time(), "2023-11-14T22:13:20Z");
        assert!(checkpoint.note.starts_with("PeterNeumann\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\ntime 2023-11-14T22:13:20Z\nkind prune\n\n\u{2014} PeterNeumann "));
        read.check_signature(&signer.verifier()).unwrap();
        let forged = Checkpoint::parse(&checkpoint.note.replace("\n42\n", "\n43\n")).unwrap();
        assert!(matches!(forged.check_signature(&signer.verifier()), Err(ChainError::BadSignature(_))));
        let other = Signer::parse("PRIVATE+KEY+other+00000000+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz");
        assert!(other.is_err(), "a key ID that does not match is refused");
        assert!(matches!(Checkpoint::parse("x\n1\n"), Err(ChainError::Malformed(_))));
    }
}
