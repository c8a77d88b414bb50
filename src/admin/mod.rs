//! The admin service layer: one API over the store for everything an admin
//! does (settings, resources, credentials). The CLI uses it today; the admin
//! socket and the TUI will use the same calls.
//!
//! It knows nothing of terminals, arguments or HTTP: it takes typed drafts,
//! returns typed records, and refuses with an [`AdminError`] whose message
//! says what was wrong and what is allowed. Every change is flushed to disk
//! before the call returns (see the durability rule in `store`).

pub mod traffic;
pub mod views;

use crate::config::boot::OdooDefaults;
use crate::config::resource::unique_key;
use crate::config::settings::{self, SPECS};
use crate::config::{
    ApiKey, Credential, CredentialDraft, Resource, ResourceDraft, SettingSpec, SettingValue, Settings, StoredSetting,
    Usage,
};
use crate::store::{Store, StoreError};
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};

const RESOURCE_INDEX: &str = "resources_by_model";
const CREDENTIAL_PREFIX_INDEX: &str = "credentials_by_prefix";

/// Why an admin request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The input was wrong: the message says what is allowed.
    #[error("{0}")]
    Invalid(String),
    /// It would break a uniqueness rule.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type AdminResult<T> = Result<T, AdminError>;

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

/// The admin service over one open store.
#[derive(Clone)]
pub struct AdminService {
    store: Store,
    /// Odoo connection defaults from the boot configuration.
    odoo_defaults: OdooDefaults,
    /// Rate windows, audit log and sessions of this store, shared by clones.
    traffic: std::sync::Arc<traffic::Traffic>,
    /// Held by every configuration change and by a backup's read of the
    /// configuration, so a backup sees all of a change or none of it.
    config_lock: std::sync::Arc<std::sync::Mutex<()>>,
    /// Where clients reach this gateway (the boot config's `public_url`, else
    /// the listen address), when known: turning OAuth on needs it https.
    public_base: Option<String>,
}

impl AdminService {
    pub fn new(store: Store, odoo_defaults: OdooDefaults) -> AdminService {
        let traffic = std::sync::Arc::new(traffic::Traffic::new(&store));
        AdminService { store, odoo_defaults, traffic, config_lock: Default::default(), public_base: None }
    }

    /// Tells the service where clients reach the gateway, so `oauth_enabled`
    /// is refused while that address cannot be an OAuth issuer.
    pub fn with_public_base(mut self, base_url: String) -> AdminService {
        self.public_base = Some(base_url);
        self
    }

    /// Where clients reach the gateway, when the boot config said.
    pub fn public_base(&self) -> Option<&str> {
        self.public_base.as_deref()
    }

    /// Excludes configuration changes while it is held.
    fn config_guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.config_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `read` with no configuration change in progress or starting (a
    /// backup's consistent read of settings, resources and credentials).
    pub fn with_config_frozen<R>(&self, read: impl FnOnce(&Store) -> R) -> R {
        let _guard = self.config_guard();
        read(&self.store)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    // ----- settings -----

    /// Every setting with its effective value and where it comes from.
    pub fn settings_view(&self) -> AdminResult<Vec<SettingView>> {
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
    pub fn settings(&self) -> AdminResult<Settings> {
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

    /// Validates and stores one setting. Nothing is stored if the value is refused.
    pub fn set_setting(&self, key: &str, input: &str) -> AdminResult<SettingValue> {
        let _guard = self.config_guard();
        let spec = settings::spec(key).map_err(|e| AdminError::Invalid(e.0))?;
        let value = spec.parse(input).map_err(|e| AdminError::Invalid(e.0))?;
        if spec.key == "oauth_enabled"
            && value == SettingValue::Bool(true)
            && let Some(problem) = self.public_base.as_deref().and_then(settings::oauth_base_problem)
        {
            return Err(AdminError::Invalid(format!("oauth_enabled cannot be turned on: {problem}")));
        }
        self.store.table::<StoredSetting>()?.insert(spec.key, &StoredSetting(value.clone()))?;
        self.store.flush()?;
        Ok(value)
    }

    // ----- resources -----

    pub fn resources(&self) -> AdminResult<Vec<Resource>> {
        let mut all = self.store.table::<Resource>()?.values()?;
        all.sort_by(|a, b| (&a.model, a.company_id).cmp(&(&b.model, b.company_id)));
        Ok(all)
    }

    pub fn resource(&self, id: u64) -> AdminResult<Resource> {
        self.store
            .table::<Resource>()?
            .get(&id)?
            .ok_or_else(|| AdminError::NotFound(format!("no resource with id {id}")))
    }

    /// Adds one resource per draft, all or nothing: if any draft is invalid or
    /// its model is already registered for that company, none is added.
    pub fn add_resources(&self, drafts: Vec<ResourceDraft>) -> AdminResult<Vec<Resource>> {
        let _guard = self.config_guard();
        if drafts.is_empty() {
            return Err(AdminError::Invalid("name at least one model to add".into()));
        }
        let mut valid = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let draft = draft.validate().map_err(|e| AdminError::Invalid(e.0))?;
            if valid.iter().any(|d: &ResourceDraft| d.model == draft.model && d.company_id == draft.company_id) {
                return Err(AdminError::Invalid(format!("{} is named twice", draft.model)));
            }
            valid.push(draft);
        }
        let table = self.store.table::<Resource>()?;
        let index = self.store.unique_index(RESOURCE_INDEX)?;
        let now = OffsetDateTime::now_utc();
        let mut added: Vec<Resource> = Vec::new();
        for draft in valid {
            let id = self.store.next_id()?;
            let key = unique_key(&draft.model, draft.company_id);
            if let Err(holder) = index.claim(&key, id)? {
                // Undo this batch's claims so the call is all or nothing.
                for resource in &added {
                    table.remove(&resource.id)?;
                    index.release(&resource.unique_key(), resource.id)?;
                }
                return Err(AdminError::Conflict(format!(
                    "{} is already registered {} (resource {holder}); each model can be registered once per company: edit that resource instead",
                    draft.model,
                    company_phrase(draft.company_id)
                )));
            }
            let resource = Resource {
                id,
                model: draft.model,
                company_id: draft.company_id,
                read_only: draft.read_only,
                operations: draft.operations,
                field_policy: draft.field_policy,
                record_filter: draft.record_filter,
                execute_methods: draft.execute_methods,
                created_at: now,
                updated_at: now,
            };
            table.insert(&id, &resource)?;
            added.push(resource);
        }
        self.store.flush()?;
        Ok(added)
    }

    /// Replaces a resource's settings with `draft` (validated). Moving it to a
    /// model/company pair that is taken is refused.
    pub fn edit_resource(&self, id: u64, draft: ResourceDraft) -> AdminResult<Resource> {
        let _guard = self.config_guard();
        let draft = draft.validate().map_err(|e| AdminError::Invalid(e.0))?;
        let table = self.store.table::<Resource>()?;
        let index = self.store.unique_index(RESOURCE_INDEX)?;
        let old = self.resource(id)?;
        let new_key = unique_key(&draft.model, draft.company_id);
        if new_key != old.unique_key() {
            if let Err(holder) = index.claim(&new_key, id)? {
                return Err(AdminError::Conflict(format!(
                    "{} is already registered {} (resource {holder})",
                    draft.model,
                    company_phrase(draft.company_id)
                )));
            }
            index.release(&old.unique_key(), id)?;
        }
        let resource = Resource {
            model: draft.model,
            company_id: draft.company_id,
            read_only: draft.read_only,
            operations: draft.operations,
            field_policy: draft.field_policy,
            record_filter: draft.record_filter,
            execute_methods: draft.execute_methods,
            updated_at: OffsetDateTime::now_utc(),
            ..old
        };
        table.insert(&id, &resource)?;
        self.store.flush()?;
        Ok(resource)
    }

    pub fn remove_resource(&self, id: u64) -> AdminResult<Resource> {
        let _guard = self.config_guard();
        let old = self.resource(id)?;
        self.store.table::<Resource>()?.remove(&id)?;
        self.store.unique_index(RESOURCE_INDEX)?.release(&old.unique_key(), id)?;
        self.store.flush()?;
        Ok(old)
    }

    /// Finds a resource by id (digits) or by model name (when only one company has it).
    pub fn find_resource(&self, reference: &str) -> AdminResult<Resource> {
        if let Ok(id) = reference.parse::<u64>() {
            return self.resource(id);
        }
        let matches: Vec<Resource> = self.resources()?.into_iter().filter(|r| r.model == reference).collect();
        match matches.len() {
            0 => Err(AdminError::NotFound(format!("no resource for model {reference:?}"))),
            1 => Ok(matches.into_iter().next().expect("one")),
            n => Err(AdminError::Invalid(format!(
                "{reference} is registered for {n} companies; name the resource by id: {}",
                matches.iter().map(|r| r.id.to_string()).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    // ----- credentials -----

    pub fn credentials(&self) -> AdminResult<Vec<(Credential, Usage)>> {
        let usage = self.store.table::<Usage>()?;
        let mut out = Vec::new();
        for credential in self.store.table::<Credential>()?.values()? {
            let used = usage.get(&credential.id)?.unwrap_or_default();
            out.push((credential, used));
        }
        Ok(out)
    }

    pub fn credential(&self, id: u64) -> AdminResult<Credential> {
        self.store
            .table::<Credential>()?
            .get(&id)?
            .ok_or_else(|| AdminError::NotFound(format!("no credential with id {id}")))
    }

    /// Creates a credential; the key is kept only as an argon2id hash.
    pub fn create_credential(&self, draft: CredentialDraft) -> AdminResult<Credential> {
        let _guard = self.config_guard();
        let today = OffsetDateTime::now_utc().date();
        let draft = draft.validate(today).map_err(|e| AdminError::Invalid(e.0))?;
        let table = self.store.table::<Credential>()?;
        // A revoked credential frees its key, as the message promises.
        if self.credential_for_key(&draft.key)?.is_some_and(|c| c.revoked_at.is_none()) {
            return Err(AdminError::Conflict("this API key already has a credential; revoke that one first".into()));
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
            created_at: OffsetDateTime::now_utc(),
            revoked_at: None,
            key_prefix: draft.key.prefix().to_string(),
            key_hash: draft.key.hash(),
        };
        table.insert(&id, &credential)?;
        self.prefix_index()?.insert(&prefix_key(&credential.key_prefix, id), &PrefixEntry)?;
        self.store.flush()?;
        Ok(credential)
    }

    /// Revokes a credential, permanently. Revoking twice is refused so that
    /// the first revocation time is never overwritten.
    pub fn revoke_credential(&self, id: u64) -> AdminResult<Credential> {
        let _guard = self.config_guard();
        let table = self.store.table::<Credential>()?;
        let current = self.credential(id)?;
        if let Some(at) = current.revoked_at {
            return Err(AdminError::Invalid(format!("credential {id} was already revoked at {at}")));
        }
        let now = OffsetDateTime::now_utc();
        let revoked = table
            .update(&id, |c| {
                c.revoked_at.get_or_insert(now);
            })?
            .ok_or_else(|| AdminError::NotFound(format!("no credential with id {id}")))?;
        self.store.flush()?;
        Ok(revoked)
    }

    /// The credential whose stored hash matches `key`, found through the
    /// non-secret prefix index (argon2 runs only on the few candidates). A
    /// key re-registered after a revocation has several: the unrevoked one wins.
    pub fn credential_for_key(&self, key: &ApiKey) -> AdminResult<Option<Credential>> {
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
    pub fn has_other_active_credential(&self, prefix: &str, id: u64) -> AdminResult<bool> {
        let table = self.store.table::<Credential>()?;
        let today = Self::today();
        for other in self.ids_with_prefix(prefix)? {
            if other != id && table.get(&other)?.is_some_and(|c| c.is_active(today)) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn prefix_index(&self) -> AdminResult<crate::store::Table<PrefixEntry>> {
        Ok(self.store.table::<PrefixEntry>()?)
    }

    fn ids_with_prefix(&self, prefix: &str) -> AdminResult<Vec<u64>> {
        Ok(self.prefix_index()?.ids_under_prefix(prefix.as_bytes())?)
    }

    /// Counts one request against a credential: last used, last IP, count.
    /// An in-memory sled update with no flush of its own (the background
    /// flush persists it), so the request path does not wait on the disk.
    pub fn record_usage(&self, id: u64, ip: std::net::IpAddr) -> AdminResult<()> {
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

    /// Today's date in UTC, the calendar credentials expire by.
    pub fn today() -> Date {
        OffsetDateTime::now_utc().date()
    }
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

fn company_phrase(company_id: Option<u32>) -> String {
    match company_id {
        Some(c) => format!("for company {c}"),
        None => "for all companies".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_is_switched_on_only_behind_https_or_on_loopback() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let plain =
            AdminService::new(store.clone(), Default::default()).with_public_base("http://10.0.0.5:8765".into());
        let refused = plain.set_setting("oauth_enabled", "on").unwrap_err().to_string();
        assert!(refused.contains("https"), "{refused}");
        assert!(!plain.settings().unwrap().oauth.enabled, "nothing stored");
        assert!(plain.set_setting("oauth_enabled", "off").is_ok());
        let https = AdminService::new(store.clone(), Default::default())
            .with_public_base("https://alpenglow.example.com".into());
        assert!(https.set_setting("oauth_enabled", "on").is_ok());
        let loopback = AdminService::new(store, Default::default()).with_public_base("http://127.0.0.1:8765".into());
        assert!(loopback.set_setting("oauth_enabled", "on").is_ok());
    }
}
