//! `alpenglow backup` and `alpenglow restore`: a consistent snapshot of the
//! configuration (settings, resources, credentials as hashes, their usage,
//! the id counter, the indexes) and optionally the audit log, streamed to
//! and from a JSON Lines file ([`file`]) so memory stays bounded by one page
//! however long the audit log is.
//!
//! Keys and values are base64 of the store's own bytes, so each record keeps
//! its version tag and a later release upgrades it as it reads it. A file of
//! a newer format is refused; format 1 (one JSON document) is still read.
//!
//! Backup, through the admin API (the daemon's socket, or the store
//! directly): `backup.config` answers the configuration trees, read with
//! configuration changes held off (`Catalog::with_config_frozen`), and
//! `audit_until`, the last audit entry's id at that moment. Then
//! `backup.audit_page` pages the audit log up to that id, entries first,
//! then the index keys of those entries only (an entry is stored after its
//! index keys, so every entry read has them), like format 1 did.
//!
//! Restore needs the data directory to itself (no daemon). It reads the
//! file twice: a first pass checks all of it (header, every line, the
//! closing counts) and writes nothing, so a damaged or cut file leaves the
//! store as it was; the second pass empties the trees it replaces and writes
//! them chunk by chunk.

pub mod file;

use crate::config::catalog::Catalog;
use crate::store::Store;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The format this release writes, and the newest it reads.
pub const FORMAT: u64 = 2;

/// The configuration: settings, resources and their model index,
/// credentials (argon2 hashes and prefixes), their prefix index and usage,
/// the OAuth clients registered by DCR (their ids are stored by the
/// assistants) and the sign-up requests admins decide on, and `meta` (the
/// id counter, so restored ids are never handed out again).
pub const CONFIG_TREES: &[&str] = &[
    "settings",
    "resources",
    "resources_by_model",
    "credentials",
    "credentials_by_prefix",
    "credential_usage",
    "oauth_clients",
    "oauth_signups",
    "meta",
];

/// Configuration trees newer than the backup format: a file written before
/// they existed has none, and restores them empty.
pub const LATER_TREES: &[&str] = &["oauth_clients", "oauth_signups", AUDIT_CHECKPOINTS];

/// The audit log and its indexes (key `prefix ++ be(entry id)`), in the
/// order a backup reads them.
pub const AUDIT_TREE: &str = "audit";
pub const AUDIT_INDEXES: &[&str] = &["audit_by_credential", "audit_by_model"];
/// The audit log's signed checkpoints (a few thousand at most: retention
/// drops those below its prune checkpoint), read whole with the configuration.
/// A backup written before the hash chain has none.
pub const AUDIT_CHECKPOINTS: &str = "audit_checkpoints";

/// What is deliberately left out: live state that a restore must not bring
/// back (sessions, rate windows, login failures of the lockout), and the
/// OAuth grants, codes and tokens: a grant's sealed Odoo key opens only with
/// the key file, which a backup never holds, so after a restore people
/// connect their assistants again. Pending approvals are live state too.
pub const NOT_BACKED_UP: &[&str] = &[
    "sessions",
    "sessions_by_stream",
    "rate_windows",
    "login_failures",
    "oauth_grants",
    "oauth_codes",
    "oauth_tokens",
    // Writes waiting for approval are bound to this moment: a restore must
    // not bring back an approval to run later.
    "approvals",
];

/// Entries per page of `backup.audit_page` and per chunk line: a page of
/// audit entries is a few hundred kilobytes of JSON.
pub const PAGE: usize = 1000;
/// The most entries one `backup.audit_page` answers.
pub const MAX_PAGE: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The file or the request cannot be used; the message says why.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Failed(String),
}

impl From<crate::store::StoreError> for BackupError {
    fn from(e: crate::store::StoreError) -> Self {
        BackupError::Failed(e.to_string())
    }
}

/// A stored key and value, each in base64 of the store's bytes.
pub type RawPair = (String, String);

/// The answer of `backup.config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Snapshot {
    pub alpenglow_backup: u64,
    pub alpenglow_version: String,
    pub created_at: String,
    pub with_audit: bool,
    /// Each configuration tree, whole.
    pub trees: BTreeMap<String, Vec<RawPair>>,
    /// The last audit id when the snapshot was taken (with the audit log;
    /// None when the log is empty).
    pub audit_until: Option<u64>,
}

/// The answer of `backup.audit_page`: entries, and the key to continue
/// after (None: the tree is done).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Page {
    pub entries: Vec<RawPair>,
    pub after: Option<String>,
}

/// `backup.config`: the header fields, the configuration trees (small: read
/// in one consistent call) and, with the audit log, the id up to which
/// `backup.audit_page` reads it (null when the log is empty).
pub fn config_snapshot(catalog: &Catalog, with_audit: bool) -> Result<Snapshot, BackupError> {
    let mut trees = BTreeMap::new();
    catalog.with_config_frozen(|store| -> Result<(), BackupError> {
        for name in CONFIG_TREES {
            trees.insert(name.to_string(), file::encode_entries(&store.dump_tree(name)?));
        }
        Ok(())
    })?;
    let audit_until = match with_audit {
        true => catalog.store().tree_last_key(AUDIT_TREE)?.map(|k| be_u64(&k)),
        false => None,
    };
    if with_audit {
        // After the last id is fixed: a checkpoint signed since covers at
        // most entries the backup also has, or one later (verify then says
        // the tail is missing, which is true of the backup).
        trees.insert(
            AUDIT_CHECKPOINTS.to_string(),
            file::encode_entries(&catalog.store().dump_tree(AUDIT_CHECKPOINTS)?),
        );
    }
    let created_at =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    Ok(Snapshot {
        alpenglow_backup: FORMAT,
        alpenglow_version: env!("CARGO_PKG_VERSION").into(),
        created_at,
        with_audit,
        trees,
        audit_until,
    })
}

/// `backup.audit_page`: up to `limit` entries of an audit tree after the
/// key `after` (base64; from the start when None) whose entry id is at most
/// `until`; `after` None means the tree is done. A page may hold fewer entries than `limit` (index
/// keys of later entries are skipped) and still not be the last.
pub fn audit_page(
    store: &Store,
    tree: &str,
    after: Option<&str>,
    until: u64,
    limit: usize,
) -> Result<Page, BackupError> {
    if tree != AUDIT_TREE && !AUDIT_INDEXES.contains(&tree) {
        return Err(BackupError::Invalid(format!(
            "tree must be one of {AUDIT_TREE}, {}; got {tree:?}",
            AUDIT_INDEXES.join(", ")
        )));
    }
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(BackupError::Invalid(format!("limit must be between 1 and {MAX_PAGE}; got {limit}")));
    }
    let after = after
        .map(|a| STANDARD.decode(a))
        .transpose()
        .map_err(|_| BackupError::Invalid("after must be a key in base64, as the previous page gave it".into()))?;
    let raw = store.tree_page(tree, after.as_deref(), limit)?;
    let exhausted = raw.len() < limit;
    let next = raw.last().map(|(k, _)| STANDARD.encode(k));
    let past_bound = raw.iter().any(|(k, _)| be_u64(k) > until);
    let kept: Vec<_> = raw.into_iter().filter(|(k, _)| be_u64(k) <= until).collect();
    // The audit tree is keyed by id: past the bound, nothing more is wanted.
    let done = exhausted || (tree == AUDIT_TREE && past_bound);
    Ok(Page { entries: file::encode_entries(&kept), after: if done { None } else { next } })
}

/// The big-endian id at the end of a key (an entry id, or an index key's suffix).
fn be_u64(key: &[u8]) -> u64 {
    let tail = &key[key.len().saturating_sub(8)..];
    let mut bytes = [0u8; 8];
    bytes[8 - tail.len()..].copy_from_slice(tail);
    u64::from_be_bytes(bytes)
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub format: u64,
    pub created_at: String,
    pub alpenglow_version: String,
    pub with_audit: bool,
    pub resources: usize,
    pub credentials: usize,
    pub audit_entries: usize,
}

/// Checks the backup file at `path`, then writes it into `store` (which
/// this process holds): the configuration trees are replaced; the audit
/// trees too when the file carries them, else the audit log is left as it
/// is. Nothing is written unless the whole file checks out.
pub fn restore(store: Store, path: &Path) -> Result<Restored, BackupError> {
    let open = || -> Result<std::io::BufReader<std::fs::File>, BackupError> {
        let opened = std::fs::File::open(path)
            .map_err(|e| BackupError::Failed(format!("cannot read {}: {e}", path.display())))?;
        Ok(std::io::BufReader::with_capacity(1 << 16, opened))
    };
    // First pass: the whole file is read and checked; nothing is kept.
    let header = file::read(open()?, |_, _| Ok(()))?;
    // Second pass: replace.
    let trees = header.trees();
    store.clear_trees(&trees)?;
    let written = file::read(open()?, |tree, entries| Ok(store.insert_raw(tree, &entries)?));
    if let Err(e) = written {
        return Err(BackupError::Failed(format!(
            "the backup changed while it was restored ({e}); the data directory is now partly restored: restore it again from a good backup"
        )));
    }
    store.flush()?;
    // Read back through the typed tables: a record this release cannot read fails here.
    let catalog = Catalog::new(store.clone(), Default::default());
    let unreadable = |e: crate::store::StoreError| {
        BackupError::Failed(format!("the restored data cannot be read ({e}); the backup may be damaged"))
    };
    catalog.settings().map_err(unreadable)?;
    let resources = catalog.resources().map_err(unreadable)?.len();
    let credentials = catalog.credentials().map_err(unreadable)?.len();
    let audit_entries = crate::audit::AuditLog::new(store).len().map_err(|e| BackupError::Failed(e.to_string()))?;
    Ok(Restored {
        format: header.format,
        created_at: header.created_at,
        alpenglow_version: header.alpenglow_version,
        with_audit: header.with_audit,
        resources,
        credentials,
        audit_entries,
    })
}

#[cfg(test)]
mod tests;
