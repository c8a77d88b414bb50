//! The stored configuration, read side: the effective settings (stored,
//! else the config file's `[odoo]` defaults, else the built-in default),
//! resources, credentials with their usage, and the credential a key
//! belongs to; and the lock every configuration change takes. The gateway
//! reads through it on every request; the admin service changes the
//! configuration under its lock.

use super::boot::OdooDefaults;
use super::settings::SPECS;
use super::{ApiKey, Credential, CredentialDraft, Resource, SettingSpec, SettingValue, Settings, StoredSetting, Usage};
use crate::store::{Record, Store, StoreError};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use time::{Date, OffsetDateTime};

/// The tree of the credential prefix index.
const CREDENTIAL_PREFIX_INDEX: &str = "credentials_by_prefix";

/// Where a setting's effective value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingSource {
    Default,
    ConfigFile,
    Stored,
}

impl SettingSource {
    pub fn name(self) -> &'static str {
        match self {
            SettingSource::Default => "default",
            SettingSource::ConfigFile => "config file",
            SettingSource::Stored => "stored",
        }
    }
}

/// One line of `settings show`.
#[derive(Debug, Clone)]
pub struct SettingView {
    pub spec: &'static SettingSpec,
    pub value: SettingValue,
    pub source: SettingSource,
}

/// The configuration stored in one open store. Cheap to clone; clones share
/// the lock.
#[derive(Clone)]
pub struct Catalog {
    store: Store,
    /// Odoo connection defaults from the boot configuration.
    odoo_defaults: OdooDefaults,
    /// Held by every configuration change and by a backup's read of the
    /// configuration, so a backup sees all of a change or none of it.
    lock: Arc<Mutex<()>>,
    /// Set by [`Catalog::lower_key_hash_cost_for_tests`].
    test_key_hash_cost: Arc<AtomicBool>,
    /// What every request reads, decoded and validated once per change.
    snapshots: Arc<Snapshots>,
}

/// The effective settings and the resources as of a generation of their
/// trees ([`Store::generation`]): re-read only after a write to the tree.
#[derive(Default)]
struct Snapshots {
    settings: std::sync::RwLock<Option<(u64, Arc<Settings>)>>,
    resources: std::sync::RwLock<Option<(u64, Arc<Vec<Resource>>)>>,
}

/// The snapshot in `slot` if it is of `generation`, else `load`'s, kept.
/// The generation is read before the data, so a write in between only
/// makes the next reader load again.
fn snapshot<T>(
    slot: &std::sync::RwLock<Option<(u64, Arc<T>)>>,
    generation: u64,
    load: impl FnOnce() -> Result<T, StoreError>,
) -> Result<Arc<T>, StoreError> {
    if let Some((at, value)) = slot.read().unwrap_or_else(|e| e.into_inner()).as_ref()
        && *at == generation
    {
        return Ok(value.clone());
    }
    let value = Arc::new(load()?);
    *slot.write().unwrap_or_else(|e| e.into_inner()) = Some((generation, value.clone()));
    Ok(value)
}

impl Catalog {
    pub fn new(store: Store, odoo_defaults: OdooDefaults) -> Catalog {
        Catalog {
            store,
            odoo_defaults,
            lock: Default::default(),
            test_key_hash_cost: Default::default(),
            snapshots: Default::default(),
        }
    }

    /// Credentials created through this catalog (and its clones) from now on
    /// keep argon2 hashes of the minimum cost: for property tests that create
    /// a credential per case, where hashing at the default cost was most of
    /// their time. A no-op in release builds, so a shipped binary always
    /// hashes at full cost; nothing but tests calls it.
    #[doc(hidden)]
    pub fn lower_key_hash_cost_for_tests(&self) {
        if cfg!(debug_assertions) {
            self.test_key_hash_cost.store(true, Ordering::Relaxed);
        }
    }

    /// The effective settings, decoded and validated once per change of
    /// the stored settings (what the gateway reads on every request).
    pub fn settings_snapshot(&self) -> Result<Arc<Settings>, StoreError> {
        let generation = self.store.generation(StoredSetting::TREE);
        snapshot(&self.snapshots.settings, generation, || self.settings())
    }

    /// How many changes the stored resources have had in this process: a
    /// cache of what depends on them compares it.
    pub fn resources_generation(&self) -> u64 {
        self.store.generation(Resource::TREE)
    }

    /// Every resource, decoded once per change of the stored resources.
    pub fn resources_snapshot(&self) -> Result<Arc<Vec<Resource>>, StoreError> {
        let generation = self.store.generation(Resource::TREE);
        snapshot(&self.snapshots.resources, generation, || self.resources())
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Excludes other configuration changes, and backups' reads, while held.
    pub fn change_guard(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `read` with no configuration change in progress or starting (a
    /// backup's consistent read of settings, resources and credentials).
    pub fn with_config_frozen<R>(&self, read: impl FnOnce(&Store) -> R) -> R {
        let _guard = self.change_guard();
        read(&self.store)
    }

    /// Every setting with its effective value and where it comes from.
    pub fn settings_view(&self) -> Result<Vec<SettingView>, StoreError> {
        let table = self.store.table::<StoredSetting>()?;
        let mut out = Vec::with_capacity(SPECS.len());
        for spec in SPECS {
            let (value, source) = match table.get(spec.key)? {
                Some(StoredSetting(value)) => (value, SettingSource::Stored),
                None => match self.config_file_value(spec) {
                    Some(value) => (value, SettingSource::ConfigFile),
                    None => (spec.default_value(), SettingSource::Default),
                },
            };
            out.push(SettingView { spec, value, source });
        }
        Ok(out)
    }

    /// The effective settings, typed.
    pub fn settings(&self) -> Result<Settings, StoreError> {
        let values: BTreeMap<String, SettingValue> =
            self.settings_view()?.into_iter().map(|v| (v.spec.key.to_string(), v.value)).collect();
        Ok(Settings::from_values(&values))
    }

    /// A config-file default for the `odoo_*` settings, if the file gave a valid one.
    fn config_file_value(&self, spec: &SettingSpec) -> Option<SettingValue> {
        let d = &self.odoo_defaults;
        let text = match spec.key {
            "odoo_url" => d.url.clone(),
            "odoo_database" => d.database.clone(),
            "odoo_protocol" => d.protocol.clone(),
            "odoo_connect_timeout_seconds" => d.connect_timeout_seconds.map(|n| n.to_string()),
            "odoo_request_timeout_seconds" => d.request_timeout_seconds.map(|n| n.to_string()),
            "odoo_ca_file" => d.ca_file.clone(),
            _ => None,
        }?;
        spec.parse(&text).ok()
    }

    /// Every resource, by model then company.
    pub fn resources(&self) -> Result<Vec<Resource>, StoreError> {
        let mut all = self.store.table::<Resource>()?.values()?;
        all.sort_by(|a, b| (&a.model, a.company_id).cmp(&(&b.model, b.company_id)));
        Ok(all)
    }

    pub fn resource(&self, id: u64) -> Result<Option<Resource>, StoreError> {
        self.store.table::<Resource>()?.get(&id)
    }

    /// Every credential, with its usage.
    pub fn credentials(&self) -> Result<Vec<(Credential, Usage)>, StoreError> {
        let usage = self.store.table::<Usage>()?;
        let mut out = Vec::new();
        for credential in self.store.table::<Credential>()?.values()? {
            let used = usage.get(&credential.id)?.unwrap_or_default();
            out.push((credential, used));
        }
        Ok(out)
    }

    pub fn credential(&self, id: u64) -> Result<Option<Credential>, StoreError> {
        self.store.table::<Credential>()?.get(&id)
    }

    /// The credential whose stored hash matches `key`, found through the
    /// non-secret prefix index (argon2 runs only on the few candidates). A
    /// key re-registered after a revocation has several: the unrevoked one wins.
    pub fn credential_for_key(&self, key: &ApiKey) -> Result<Option<Credential>, StoreError> {
        let table = self.store.table::<Credential>()?;
        let mut revoked = None;
        for id in self.ids_with_prefix(key.prefix())? {
            if let Some(credential) = table.get(&id)?
                && key.verify(&credential.key_hash)
            {
                if credential.revoked_at.is_none() {
                    return Ok(Some(credential));
                }
                revoked.get_or_insert(credential);
            }
        }
        Ok(revoked)
    }

    /// Whether a credential other than `id` is active today for keys with
    /// this prefix: cheap (no argon2), to tell when a key was registered
    /// again after its credential `id` was revoked or expired.
    pub fn has_other_active_credential(&self, prefix: &str, id: u64) -> Result<bool, StoreError> {
        let table = self.store.table::<Credential>()?;
        let today = today();
        for other in self.ids_with_prefix(prefix)? {
            if other != id && table.get(&other)?.is_some_and(|c| c.is_active(today)) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Creates a credential under the change lock; the key is kept only as
    /// an argon2id hash. The admin service and an OAuth sign-up both make
    /// credentials through here, so the rules are the same.
    pub fn create_credential(&self, draft: CredentialDraft) -> Result<Credential, CredentialRefused> {
        let _guard = self.change_guard();
        let now = OffsetDateTime::now_utc();
        let draft = draft.validate(now.date()).map_err(|e| CredentialRefused::Invalid(e.0))?;
        // A revoked credential frees its key, as the message promises.
        if self.credential_for_key(&draft.key)?.is_some_and(|c| c.revoked_at.is_none()) {
            return Err(CredentialRefused::Conflict(
                "this API key already has a credential; revoke that one first".into(),
            ));
        }
        let id = self.store.next_id()?;
        let credential = Credential {
            id,
            label: draft.label,
            user_id: draft.user_id,
            login: draft.login,
            scope: draft.scope,
            expires_on: draft.expires_on,
            company_id: draft.company_id,
            created_at: now,
            revoked_at: None,
            key_prefix: draft.key.prefix().to_string(),
            key_hash: if self.test_key_hash_cost.load(Ordering::Relaxed) {
                draft.key.hash_at_test_cost()
            } else {
                draft.key.hash()
            },
        };
        self.store.table::<Credential>()?.insert(&id, &credential)?;
        self.index_credential(&credential.key_prefix, id)?;
        self.store.flush()?;
        Ok(credential)
    }

    /// Indexes a new credential under its key's non-secret prefix.
    pub fn index_credential(&self, prefix: &str, id: u64) -> Result<(), StoreError> {
        self.store.table::<PrefixEntry>()?.insert(&prefix_key(prefix, id), &PrefixEntry)
    }

    fn ids_with_prefix(&self, prefix: &str) -> Result<Vec<u64>, StoreError> {
        self.store.table::<PrefixEntry>()?.ids_under_prefix(prefix.as_bytes())
    }

    /// Counts one request against a credential: last used, last IP, count.
    /// An in-memory sled update with no flush of its own (the background
    /// flush persists it), so the request path does not wait on the disk.
    pub fn record_usage(&self, id: u64, ip: std::net::IpAddr) -> Result<(), StoreError> {
        let table = self.store.table::<Usage>()?;
        let now = OffsetDateTime::now_utc();
        let ip = ip.to_string();
        if table
            .update(&id, |u| {
                u.last_used = Some(now);
                u.last_ip = Some(ip.clone());
                u.request_count += 1;
            })?
            .is_none()
        {
            table.insert(&id, &Usage { last_used: Some(now), last_ip: Some(ip), request_count: 1 })?;
        }
        Ok(())
    }
}

/// Why a credential was not created.
#[derive(Debug, thiserror::Error)]
pub enum CredentialRefused {
    /// The draft is wrong; the message says what is allowed.
    #[error("{0}")]
    Invalid(String),
    /// The key already has a credential.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Today's date in UTC, the calendar credentials expire by.
pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// Marker value of the credential prefix index: the key is `prefix ++ id`.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct PrefixEntry;

impl crate::store::Record for PrefixEntry {
    const TREE: &'static str = CREDENTIAL_PREFIX_INDEX;
    const KIND: &'static str = "credential index";
    const VERSION: u8 = 1;
}

fn prefix_key(prefix: &str, id: u64) -> PrefixKey {
    PrefixKey(prefix.as_bytes().iter().copied().chain(id.to_be_bytes()).collect())
}

struct PrefixKey(Vec<u8>);

impl crate::store::TableKey for PrefixKey {
    fn key_bytes(&self) -> Vec<u8> {
        self.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Scope;

    fn draft(key: &str) -> CredentialDraft {
        CredentialDraft {
            label: "hash cost".into(),
            user_id: 2,
            login: "admin".into(),
            scope: Scope::Full,
            expires_on: None,
            company_id: None,
            key: ApiKey::parse(key).unwrap(),
        }
    }

    #[test]
    fn credentials_keep_full_cost_hashes_unless_a_test_lowered_the_cost() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::new(Store::open(dir.path()).unwrap(), Default::default());
        let full = catalog.create_credential(draft("0123456789abcdef0123456789abcdef01234567")).unwrap();
        assert!(full.key_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", full.key_hash);
        // Lowered through a clone: every clone of the catalog shares it.
        catalog.clone().lower_key_hash_cost_for_tests();
        let cheap = catalog.create_credential(draft("76543210fedcba9876543210fedcba9876543210")).unwrap();
        assert!(cheap.key_hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{}", cheap.key_hash);
    }
}
