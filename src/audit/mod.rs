//! The audit log: one entry per request on every face, written before the
//! answer leaves and durable before it is acknowledged.
//!
//! Entries are keyed by a time-ordered id (Unix microseconds shifted left by
//! 12 bits, plus a sequence), so a time range is a key range. Two index trees
//! (`audit_by_credential`, `audit_by_model`) hold `prefix ++ id` for the
//! dashboard's filters. An entry never holds the API key; create / update
//! values only when `audit_log_values` is on and the call succeeded (so values
//! of refused fields never reach the log).
//!
//! Flush rule (group commit): [`AuditLog::record`] inserts the entry, then
//! waits until a `Store::flush` that started after the insert has finished.
//! Whoever arrives while no flush runs leads one for everyone inserted so far;
//! the others wait on it. Under load one fsync covers many requests.
//!
//! Tamper evidence: every entry has its place in a hash chain (`chain.rs`:
//! `seq`, `prev_hash`, `hash`), given under one lock together with its id,
//! so id order is chain order. Signed checkpoints (`checkpoint.rs`, the key in
//! `signing.rs`) fix the chain's head every few minutes, at shutdown and
//! before retention deletes entries; `verify.rs` recomputes the chain.
//! Entries written before the chain (layout 1) read as `seq` 0: the chain
//! starts at the first entry written by a release that has it.

pub mod chain;
pub mod checkpoint;
mod commit;
mod head;
mod layouts;
pub mod query;
pub mod signing;
pub mod summary;
pub mod verify;

pub use chain::{GENESIS, Hash, hex};
pub use checkpoint::{ChainError, Checkpoint, CheckpointKind};
pub use query::{AuditPage, AuditQuery, Order};
pub use verify::{Broken, Start, Verification};

use crate::store::{CompositeKey, Record, RecordError, Store, StoreResult};
use head::Head;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use signing::{Signer, Verifier};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use time::OffsetDateTime;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    Ok,
    Denied,
    NotFound,
    Invalid,
    RateLimited,
    UpstreamError,
    Unauthenticated,
    /// An admin action that could not be carried out (the store, Odoo).
    /// Last, so the variant numbers of the others stay as stored.
    Failed,
    /// A write held for a person's approval: not run, not refused.
    PendingApproval,
}

impl Outcome {
    pub const ALL: [Outcome; 9] = [
        Outcome::Ok,
        Outcome::Denied,
        Outcome::NotFound,
        Outcome::Invalid,
        Outcome::RateLimited,
        Outcome::UpstreamError,
        Outcome::Unauthenticated,
        Outcome::Failed,
        Outcome::PendingApproval,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::NotFound => "not_found",
            Outcome::Invalid => "invalid",
            Outcome::RateLimited => "rate_limited",
            Outcome::UpstreamError => "upstream_error",
            Outcome::Unauthenticated => "unauthenticated",
            Outcome::Failed => "failed",
            Outcome::PendingApproval => "pending_approval",
        }
    }

    /// The outcome by name (`ok`, `denied`, ..., also with spaces or dashes).
    pub fn parse(text: &str) -> Option<Outcome> {
        let wanted = text.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Outcome::ALL.into_iter().find(|o| o.name() == wanted)
    }
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Time-ordered and unique; see the module doc.
    pub id: u64,
    /// Unix time in microseconds.
    pub time_us: i64,
    /// `mcp`, `jsonrpc` or `rest`.
    pub face: String,
    pub credential_id: Option<u64>,
    pub credential_label: Option<String>,
    pub uid: Option<i64>,
    pub login: Option<String>,
    pub company_id: Option<i64>,
    pub client_ip: String,
    pub session: Option<String>,
    /// The operation or MCP method.
    pub tool: String,
    pub model: Option<String>,
    /// The record ids named or created, when few.
    pub record_ids: Vec<i64>,
    /// How many ids, when there were too many to list.
    pub record_id_count: Option<u64>,
    /// A short form of the domain.
    pub domain: Option<String>,
    pub fields: Option<String>,
    /// Create / update values; only with `audit_log_values` on.
    pub values: Option<String>,
    pub outcome: Outcome,
    pub error: Option<String>,
    pub records_returned: Option<u64>,
    pub duration_us: u64,
    /// Admin actions: who (the local user behind the admin socket, or the
    /// CLI with no daemon).
    pub actor: Option<String>,
    /// Admin actions: what changed, as JSON text (`target`, `old`, `new`);
    /// never a key.
    pub changes: Option<String>,
    /// The entry's place in the hash chain, from 1; 0 for an entry written
    /// before the chain (layout 1).
    pub seq: u64,
    /// The previous entry's hash ([`GENESIS`] for the chain's first).
    pub prev_hash: Hash,
    /// SHA-256 of the canonical encoding (see `chain.rs`).
    pub hash: Hash,
    /// The approval this entry belongs to: the held request, the admin's
    /// decision, the run (layout 3).
    pub approval_id: Option<u64>,
}

impl Record for AuditEntry {
    const TREE: &'static str = "audit";
    const KIND: &'static str = "audit entry";
    /// 2: the hash chain (`seq`, `prev_hash`, `hash`) and the admin
    /// actions' `actor` and `changes`. 3: `approval_id`.
    const VERSION: u8 = 3;

    fn upgrade(version: u8, body: &[u8]) -> Result<Self, RecordError> {
        match version {
            1 => Ok(crate::store::decode_body::<layouts::EntryV1>(body)?.into()),
            2 => Ok(crate::store::decode_body::<layouts::EntryV2>(body)?.into()),
            _ => Err(RecordError::UnknownVersion { found: version, current: Self::VERSION }),
        }
    }
}

/// Marker of the credential index: key `be(credential) ++ be(entry id)`.
#[derive(Debug, Serialize, Deserialize)]
struct ByCredential;

impl Record for ByCredential {
    const TREE: &'static str = "audit_by_credential";
    const KIND: &'static str = "audit index";
    const VERSION: u8 = 1;
}

/// Marker of the model index: key `model ++ 0 ++ be(entry id)`.
#[derive(Debug, Serialize, Deserialize)]
struct ByModel;

impl Record for ByModel {
    const TREE: &'static str = "audit_by_model";
    const KIND: &'static str = "audit index";
    const VERSION: u8 = 1;
}

fn credential_prefix(id: u64) -> Vec<u8> {
    id.to_be_bytes().to_vec()
}

fn model_prefix(model: &str) -> Vec<u8> {
    model.as_bytes().iter().copied().chain([0]).collect()
}

/// The first id at or after Unix time `micros`.
pub fn id_at(micros: i64) -> u64 {
    (micros.max(0) as u64) << 12
}

/// The Unix time (µs) an id was made at.
pub fn micros_of(id: u64) -> i64 {
    (id >> 12) as i64
}

pub fn now_micros() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000) as i64
}

/// RFC 3339 (UTC) of a Unix time in µs.
pub fn rfc3339(micros: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl AuditEntry {
    /// An entry with the request's basics; the gateway fills in the rest.
    pub fn new(face: &str, client_ip: String, tool: &str) -> AuditEntry {
        AuditEntry {
            id: 0,
            time_us: 0,
            face: face.to_string(),
            credential_id: None,
            credential_label: None,
            uid: None,
            login: None,
            company_id: None,
            client_ip,
            session: None,
            tool: tool.to_string(),
            model: None,
            record_ids: Vec::new(),
            record_id_count: None,
            domain: None,
            fields: None,
            values: None,
            outcome: Outcome::Ok,
            error: None,
            records_returned: None,
            duration_us: 0,
            actor: None,
            changes: None,
            seq: 0,
            prev_hash: GENESIS,
            hash: GENESIS,
            approval_id: None,
        }
    }

    /// Whether the entry has a place in the hash chain (written by a
    /// release with the chain).
    pub fn chained(&self) -> bool {
        self.seq > 0
    }

    pub fn time(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.time_us) * 1_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The JSON view (`audit query --json`, export lines, the admin socket).
    /// `seq`, `prev_hash` and `hash` (hex) let an export be re-verified;
    /// they are null for an entry written before the chain.
    pub fn to_json(&self) -> Value {
        let time = self.time().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let chained = |hash: &Hash| if self.chained() { json!(hex(hash)) } else { Value::Null };
        json!({
            "id": self.id,
            "time": time,
            "face": self.face,
            "credential_id": self.credential_id,
            "credential": self.credential_label,
            "uid": self.uid,
            "login": self.login,
            "company_id": self.company_id,
            "ip": self.client_ip,
            "session": self.session,
            "tool": self.tool,
            "model": self.model,
            "ids": self.record_ids,
            "id_count": self.record_id_count,
            "domain": self.domain,
            "fields": self.fields,
            "values": self.values,
            "outcome": self.outcome.name(),
            "error": self.error,
            "records": self.records_returned,
            "duration_ms": self.duration_us as f64 / 1000.0,
            "actor": self.actor,
            "changes": self.changes,
            "approval_id": self.approval_id,
            "time_us": self.time_us,
            "duration_us": self.duration_us,
            "seq": if self.chained() { json!(self.seq) } else { Value::Null },
            "prev_hash": chained(&self.prev_hash),
            "hash": chained(&self.hash),
        })
    }

    /// Whether `needle` (lowercase) appears in the entry's text fields.
    fn mentions(&self, needle: &str) -> bool {
        let texts = [
            Some(self.tool.as_str()),
            self.model.as_deref(),
            self.credential_label.as_deref(),
            self.login.as_deref(),
            Some(self.client_ip.as_str()),
            self.session.as_deref(),
            self.domain.as_deref(),
            self.fields.as_deref(),
            self.error.as_deref(),
            self.actor.as_deref(),
            self.changes.as_deref(),
        ];
        texts.into_iter().flatten().any(|t| t.to_lowercase().contains(needle))
    }
}

/// The audit log of one store. Cheap to clone; clones share the id sequence
/// and the group commit.
#[derive(Clone)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    /// The chain's head, read from the store on first use.
    head: Mutex<Option<Head>>,
    commit: commit::GroupCommit,
    /// Signs checkpoints; set by whoever loaded the key (the daemon, the CLI).
    signer: RwLock<Option<Arc<Signer>>>,
    /// Checks checkpoint signatures: the signer's public key, or the
    /// `.pub` file when the key itself cannot be read.
    verifier: RwLock<Option<Verifier>>,
    last_verification: Mutex<Option<Verification>>,
}

/// The chain's head, held under its lock.
struct HeadGuard<'a>(MutexGuard<'a, Option<Head>>);

impl std::ops::Deref for HeadGuard<'_> {
    type Target = Head;
    fn deref(&self) -> &Head {
        self.0.as_ref().expect("loaded before the guard is made")
    }
}

impl std::ops::DerefMut for HeadGuard<'_> {
    fn deref_mut(&mut self) -> &mut Head {
        self.0.as_mut().expect("loaded before the guard is made")
    }
}

impl AuditLog {
    pub fn new(store: Store) -> AuditLog {
        AuditLog {
            inner: Arc::new(Inner {
                store,
                head: Mutex::new(None),
                commit: commit::GroupCommit::default(),
                signer: RwLock::new(None),
                verifier: RwLock::new(None),
                last_verification: Mutex::new(None),
            }),
        }
    }

    /// Gives the log the key that signs its checkpoints.
    pub fn set_signer(&self, signer: Arc<Signer>) {
        self.set_verifier(signer.verifier());
        *self.inner.signer.write().unwrap_or_else(|e| e.into_inner()) = Some(signer);
    }

    /// Gives the log the public key that checks its checkpoints.
    pub fn set_verifier(&self, verifier: Verifier) {
        *self.inner.verifier.write().unwrap_or_else(|e| e.into_inner()) = Some(verifier);
    }

    pub fn signer(&self) -> Option<Arc<Signer>> {
        self.inner.signer.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn verifier(&self) -> Option<Verifier> {
        self.inner.verifier.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Loads the signing key at `path`: made there (0600) when `create` and
    /// there is none (the daemon, on its first start). Without `create` (the
    /// CLI with no daemon) an unreadable or missing key is not an error:
    /// its `.pub` still lets `verify` check signatures.
    pub fn load_key(&self, path: &std::path::Path, create: bool) -> Result<(), String> {
        if create {
            let (signer, _made) = signing::load_or_create(path)?;
            self.set_signer(Arc::new(signer));
            return Ok(());
        }
        match std::fs::metadata(path).is_ok().then(|| signing::load(path)) {
            Some(Ok(signer)) => self.set_signer(Arc::new(signer)),
            _ => {
                if let Some(verifier) = signing::load_verifier(path)? {
                    self.set_verifier(verifier);
                }
            }
        }
        Ok(())
    }

    /// The chain's head, under its lock (read from the store the first time).
    fn head(&self) -> StoreResult<HeadGuard<'_>> {
        let mut guard = self.inner.head.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some(Head::load(&self.inner.store)?);
        }
        Ok(HeadGuard(guard))
    }

    /// The last entry's place in the chain and its hash (0 and zeros when
    /// the chain is empty).
    pub fn chain_head(&self) -> StoreResult<(u64, Hash)> {
        let head = self.head()?;
        Ok((head.seq, head.hash))
    }

    /// Forgets the cached head, after the store's audit trees were replaced
    /// underneath the log (a restore).
    pub fn reload(&self) {
        *self.inner.head.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Stores an entry and its index keys as the chain's next link, without
    /// waiting for the disk. Returns the entry's id.
    pub fn append(&self, mut entry: AuditEntry) -> StoreResult<u64> {
        if entry.time_us == 0 {
            entry.time_us = now_micros();
        }
        let store = &self.inner.store;
        let (entries, by_credential, by_model) =
            (store.table::<AuditEntry>()?, store.table::<ByCredential>()?, store.table::<ByModel>()?);
        // Under the head's lock: id, seq and hash are handed out in one
        // order, and an entry is in the store before the next one is.
        let mut head = self.head()?;
        let id = head.next_id(entry.time_us);
        entry.id = id;
        entry.seq = head.seq + 1;
        entry.prev_hash = head.hash;
        entry.hash = chain::hash_of(&entry);
        if let Some(credential) = entry.credential_id {
            by_credential.insert(&CompositeKey::new(&credential_prefix(credential), id), &ByCredential)?;
        }
        if let Some(model) = &entry.model {
            by_model.insert(&CompositeKey::new(&model_prefix(model), id), &ByModel)?;
        }
        // The entry last: a reader that finds it also finds its index keys.
        entries.insert(&id, &entry)?;
        head.seq = entry.seq;
        head.hash = entry.hash;
        Ok(id)
    }

    /// [`AuditLog::append`], then waits until the entry is on disk (group
    /// commit). Blocking: async callers use [`AuditLog::record`].
    pub fn append_durable(&self, entry: AuditEntry) -> StoreResult<u64> {
        let ticket = self.inner.commit.ticket_after(|| self.append(entry))?;
        self.inner.commit.wait_durable(ticket.1, || self.inner.store.flush())?;
        Ok(ticket.0)
    }

    /// Appends durably off the async workers.
    pub async fn record(&self, entry: AuditEntry) -> StoreResult<u64> {
        let log = self.clone();
        match tokio::task::spawn_blocking(move || log.append_durable(entry)).await {
            Ok(result) => result,
            Err(e) => Err(crate::store::StoreError::Io {
                dir: self.inner.store.dir().to_path_buf(),
                source: std::io::Error::other(format!("the audit writer stopped: {e}")),
            }),
        }
    }

    pub fn get(&self, id: u64) -> StoreResult<Option<AuditEntry>> {
        self.inner.store.table::<AuditEntry>()?.get(&id)
    }

    pub fn len(&self) -> StoreResult<usize> {
        Ok(self.inner.store.table::<AuditEntry>()?.len())
    }

    pub fn is_empty(&self) -> StoreResult<bool> {
        Ok(self.len()? == 0)
    }

    /// Deletes every entry made before Unix time `before_micros`, with its
    /// index keys, in batches. Returns how many entries went.
    ///
    /// First it writes a signed prune checkpoint at the last entry it will
    /// delete, where verification then starts (and drops the checkpoints
    /// below it): without the signing key, chained entries are not deleted.
    pub fn delete_before(&self, before_micros: i64) -> Result<usize, String> {
        let end = id_at(before_micros);
        let entries = self.store().table::<AuditEntry>().map_err(|e| e.to_string())?;
        let last_deleted = entries.range_u64(0, end, true).find_map(Result::ok).map(|(_, e)| e);
        if let Some(last) = last_deleted.filter(AuditEntry::chained) {
            let signer = self.signer().ok_or_else(|| format!("entries were not deleted: {}", checkpoint::no_key()))?;
            let prune = Checkpoint::sign(&signer, last.seq, &last.hash, now_micros(), CheckpointKind::Prune);
            self.keep(&prune)?;
            self.forget_checkpoints_below(last.seq).map_err(|e| e.to_string())?;
        }
        self.delete_entries(end).map_err(|e| e.to_string())
    }

    fn delete_entries(&self, end: u64) -> StoreResult<usize> {
        const BATCH: usize = 10_000;
        let store = &self.inner.store;
        let entries = store.table::<AuditEntry>()?;
        let by_credential = store.table::<ByCredential>()?;
        let by_model = store.table::<ByModel>()?;
        let mut deleted = 0;
        // Each batch starts after the last one: rescanning from 0 would walk
        // the emptied nodes again and again.
        let mut start = 0;
        loop {
            let batch: Vec<AuditEntry> = entries
                .range_u64(start, end, false)
                .take(BATCH)
                .map(|r| r.map(|(_, e)| e))
                .collect::<StoreResult<_>>()?;
            let Some(last) = batch.last() else { return Ok(deleted) };
            start = last.id + 1;
            // Index keys first: an entry is never left without being findable
            // by time, and stray index keys are skipped by queries.
            by_credential.remove_many(
                batch.iter().filter_map(|e| e.credential_id.map(|c| CompositeKey::new(&credential_prefix(c), e.id))),
            )?;
            by_model.remove_many(
                batch.iter().filter_map(|e| e.model.as_ref().map(|m| CompositeKey::new(&model_prefix(m), e.id))),
            )?;
            deleted += entries.remove_many(batch.iter().map(|e| e.id))?;
        }
    }

    /// Searches the log; see [`AuditQuery`].
    pub fn query(&self, q: &AuditQuery) -> StoreResult<AuditPage> {
        query::run(self, q)
    }

    /// How many entries `q` matches, and how many come before its page.
    pub fn count(&self, q: &AuditQuery) -> StoreResult<query::AuditCount> {
        query::count(self, q)
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }
}

#[cfg(test)]
mod tests;
