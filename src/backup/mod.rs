//! `alpenglow backup` and `alpenglow restore`: a consistent snapshot of the
//! configuration (settings, resources, credentials as hashes, their usage,
//! the id counter, the indexes) and optionally the audit log, in one JSON
//! file.
//!
//! File format (versioned by `alpenglow_backup`): `{"alpenglow_backup": 1,
//! "alpenglow_version", "created_at", "with_audit", "trees": {name: [[key,
//! value], ...]}}` with keys and values base64 of the store's own bytes, so
//! each record keeps its version tag and a later release upgrades it as it
//! reads it. A file of a newer format is refused.
//!
//! Consistency while the daemon serves: the configuration trees are read
//! with configuration changes held off (`AdminService::with_config_frozen`);
//! the audit log is read entries first, then the index keys of those
//! entries only (an entry is stored after its index keys, so every entry
//! read has them).
//!
//! Restore needs the data directory to itself (no daemon): it replaces the
//! configuration trees, and the audit trees when the file has them.

use crate::admin::AdminService;
use crate::store::Store;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// The format this release writes, and the newest it reads.
pub const FORMAT: u64 = 1;

/// The configuration: settings, resources and their model index,
/// credentials (argon2 hashes and prefixes), their prefix index and usage,
/// and `meta` (the id counter, so restored ids are never handed out again).
pub const CONFIG_TREES: &[&str] = &[
    "settings",
    "resources",
    "resources_by_model",
    "credentials",
    "credentials_by_prefix",
    "credential_usage",
    "meta",
];

/// The audit log and its indexes (key `prefix ++ be(entry id)`).
const AUDIT_TREE: &str = "audit";
const AUDIT_INDEXES: &[&str] = &["audit_by_credential", "audit_by_model"];

/// What is deliberately left out: live state that a restore must not bring
/// back (sessions, rate windows, login failures of the lockout).
pub const NOT_BACKED_UP: &[&str] = &["sessions", "sessions_by_stream", "rate_windows", "login_failures"];

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The file cannot be used; the message says why.
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

fn encode_entries(entries: &[(Vec<u8>, Vec<u8>)]) -> Value {
    Value::Array(entries.iter().map(|(k, v)| json!([STANDARD.encode(k), STANDARD.encode(v)])).collect())
}

/// The backup document of `admin`'s store, taken now.
pub fn create(admin: &AdminService, with_audit: bool) -> Result<Value, BackupError> {
    let mut trees = Map::new();
    admin.with_config_frozen(|store| -> Result<(), BackupError> {
        for name in CONFIG_TREES {
            trees.insert(name.to_string(), encode_entries(&store.dump_tree(name)?));
        }
        Ok(())
    })?;
    if with_audit {
        let store = admin.store();
        let entries = store.dump_tree(AUDIT_TREE)?;
        let last = entries.last().map(|(k, _)| be_u64(k)).unwrap_or(0);
        trees.insert(AUDIT_TREE.into(), encode_entries(&entries));
        for index in AUDIT_INDEXES {
            // Index keys of entries written after the entries were read are left out.
            let keys: Vec<_> = store.dump_tree(index)?.into_iter().filter(|(k, _)| be_u64(k) <= last).collect();
            trees.insert(index.to_string(), encode_entries(&keys));
        }
    }
    let created_at =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    Ok(json!({
        "alpenglow_backup": FORMAT,
        "alpenglow_version": env!("CARGO_PKG_VERSION"),
        "created_at": created_at,
        "with_audit": with_audit,
        "trees": trees,
    }))
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
    pub created_at: String,
    pub alpenglow_version: String,
    pub with_audit: bool,
    pub resources: usize,
    pub credentials: usize,
    pub audit_entries: usize,
}

/// Checks a backup document and writes it into `store` (which this process
/// holds): the configuration trees are replaced; the audit trees too when
/// the file carries them, else the audit log is left as it is.
pub fn restore(store: Store, document: &Value) -> Result<Restored, BackupError> {
    let format = document["alpenglow_backup"].as_u64().ok_or_else(|| {
        BackupError::Invalid("this is not an Alpenglow backup (no \"alpenglow_backup\" format number)".into())
    })?;
    let written_by = document["alpenglow_version"].as_str().unwrap_or("unknown").to_string();
    if format > FORMAT {
        return Err(BackupError::Invalid(format!(
            "this backup has format {format}, written by Alpenglow {written_by}; this Alpenglow ({}) reads format {FORMAT} and older: upgrade Alpenglow to restore it",
            env!("CARGO_PKG_VERSION")
        )));
    }
    let trees = document["trees"]
        .as_object()
        .ok_or_else(|| BackupError::Invalid("the backup has no \"trees\" object".into()))?;
    let with_audit = trees.contains_key(AUDIT_TREE);
    let mut wanted: Vec<&str> = CONFIG_TREES.to_vec();
    if with_audit {
        wanted.push(AUDIT_TREE);
        wanted.extend_from_slice(AUDIT_INDEXES);
    }
    let mut decoded = Vec::with_capacity(wanted.len());
    for name in wanted {
        let entries = trees
            .get(name)
            .and_then(Value::as_array)
            .ok_or_else(|| BackupError::Invalid(format!("the backup lacks the {name:?} table")))?;
        let mut pairs = Vec::with_capacity(entries.len());
        for (i, pair) in entries.iter().enumerate() {
            let bad = || {
                BackupError::Invalid(format!("entry {i} of the {name:?} table is not a [key, value] pair of base64"))
            };
            let (Some(k), Some(v)) = (pair[0].as_str(), pair[1].as_str()) else { return Err(bad()) };
            pairs.push((STANDARD.decode(k).map_err(|_| bad())?, STANDARD.decode(v).map_err(|_| bad())?));
        }
        decoded.push((name.to_string(), pairs));
    }
    store.replace_trees(&decoded)?;
    // Read back through the typed tables: a record this release cannot read fails here.
    let admin = AdminService::new(store, Default::default());
    let unreadable = |e: crate::admin::AdminError| {
        BackupError::Failed(format!("the restored data cannot be read ({e}); the backup may be damaged"))
    };
    admin.settings().map_err(unreadable)?;
    let resources = admin.resources().map_err(unreadable)?.len();
    let credentials = admin.credentials().map_err(unreadable)?.len();
    let audit_entries = admin.audit().len().map_err(|e| BackupError::Failed(e.to_string()))?;
    Ok(Restored {
        created_at: document["created_at"].as_str().unwrap_or_default().to_string(),
        alpenglow_version: written_by,
        with_audit,
        resources,
        credentials,
        audit_entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ApiKey, CredentialDraft, ResourceDraft, Scope};

    #[test]
    fn every_tree_is_either_backed_up_or_deliberately_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let admin = AdminService::new(Store::open(dir.path()).unwrap(), Default::default());
        admin.set_setting("max_search_limit", "2000").unwrap();
        admin.add_resources(vec![ResourceDraft::new("res.partner", false)]).unwrap();
        admin
            .create_credential(CredentialDraft {
                label: "t".into(),
                user_id: 2,
                login: "admin".into(),
                scope: Scope::Full,
                expires_on: None,
                company_id: None,
                key: ApiKey::parse("0123456789abcdef0123456789abcdef01234567").unwrap(),
            })
            .unwrap();
        let mut entry = crate::audit::AuditEntry::new("rest", "127.0.0.1".into(), "alpenglow_search");
        entry.model = Some("res.partner".into());
        entry.credential_id = Some(1);
        admin.audit().append_durable(entry).unwrap();
        admin.sessions_list(true).unwrap();
        for name in admin.store().tree_names() {
            let known = CONFIG_TREES.contains(&name.as_str())
                || name == AUDIT_TREE
                || AUDIT_INDEXES.contains(&name.as_str())
                || NOT_BACKED_UP.contains(&name.as_str());
            assert!(known, "tree {name:?} is neither backed up nor listed as left out");
        }
        let doc = create(&admin, true).unwrap();
        assert_eq!(doc["trees"]["audit_by_model"].as_array().unwrap().len(), 1);
        assert_eq!(doc["trees"]["resources"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn a_newer_format_and_a_foreign_file_are_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let e = restore(store.clone(), &json!({"alpenglow_backup": 2, "alpenglow_version": "9.0.0", "trees": {}}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("format 2") && e.contains("9.0.0") && e.contains("upgrade Alpenglow"), "{e}");
        let e = restore(store, &json!({"hello": 1})).unwrap_err().to_string();
        assert!(e.contains("not an Alpenglow backup"), "{e}");
    }
}
