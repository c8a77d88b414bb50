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

mod commit;
pub mod query;
pub mod summary;

pub use query::{AuditPage, AuditQuery, Order};

use crate::store::{CompositeKey, Record, Store, StoreResult};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
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
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::Ok,
        Outcome::Denied,
        Outcome::NotFound,
        Outcome::Invalid,
        Outcome::RateLimited,
        Outcome::UpstreamError,
        Outcome::Unauthenticated,
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
}

impl Record for AuditEntry {
    const TREE: &'static str = "audit";
    const KIND: &'static str = "audit entry";
    const VERSION: u8 = 1;
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
        }
    }

    pub fn time(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.time_us) * 1_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The JSON view (`audit query --json`, export lines, the admin socket).
    pub fn to_json(&self) -> Value {
        let time = self.time().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
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
    /// The last id handed out (0 until read from the store).
    last_id: AtomicU64,
    loaded: OnceLock<()>,
    commit: commit::GroupCommit,
}

impl AuditLog {
    pub fn new(store: Store) -> AuditLog {
        AuditLog {
            inner: Arc::new(Inner {
                store,
                last_id: AtomicU64::new(0),
                loaded: OnceLock::new(),
                commit: commit::GroupCommit::default(),
            }),
        }
    }

    /// A new id: the current time, and strictly after every id already
    /// stored (so a clock stepping back cannot reorder or overwrite entries).
    fn next_id(&self, micros: i64) -> u64 {
        self.inner.loaded.get_or_init(|| {
            let stored =
                self.inner.store.table::<AuditEntry>().ok().and_then(|t| t.last_u64().ok().flatten()).unwrap_or(0);
            self.inner.last_id.fetch_max(stored, Ordering::SeqCst);
        });
        let wanted = id_at(micros);
        let mut last = self.inner.last_id.load(Ordering::SeqCst);
        loop {
            let id = wanted.max(last + 1);
            match self.inner.last_id.compare_exchange_weak(last, id, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => return id,
                Err(current) => last = current,
            }
        }
    }

    /// Stores an entry and its index keys, without waiting for the disk.
    /// Returns the entry's id.
    pub fn append(&self, mut entry: AuditEntry) -> StoreResult<u64> {
        if entry.time_us == 0 {
            entry.time_us = now_micros();
        }
        let id = self.next_id(entry.time_us);
        entry.id = id;
        let store = &self.inner.store;
        if let Some(credential) = entry.credential_id {
            store
                .table::<ByCredential>()?
                .insert(&CompositeKey::new(&credential_prefix(credential), id), &ByCredential)?;
        }
        if let Some(model) = &entry.model {
            store.table::<ByModel>()?.insert(&CompositeKey::new(&model_prefix(model), id), &ByModel)?;
        }
        // The entry last: a reader that finds it also finds its index keys.
        store.table::<AuditEntry>()?.insert(&id, &entry)?;
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
    pub fn delete_before(&self, before_micros: i64) -> StoreResult<usize> {
        const BATCH: usize = 10_000;
        let store = &self.inner.store;
        let entries = store.table::<AuditEntry>()?;
        let by_credential = store.table::<ByCredential>()?;
        let by_model = store.table::<ByModel>()?;
        let end = id_at(before_micros);
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

    fn store(&self) -> &Store {
        &self.inner.store
    }
}

#[cfg(test)]
mod tests;
