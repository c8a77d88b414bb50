//! The admin service layer: one API over the store for everything an admin
//! does (settings, resources, credentials, the audit log, sessions, jobs,
//! backups), and the admin API over it: the typed protocol ([`api`]) and its
//! one dispatcher ([`dispatch`]), which the daemon's admin socket and the
//! CLI's in-process client both call.
//!
//! It knows nothing of terminals, arguments or HTTP: it takes typed drafts,
//! returns typed records, and refuses with an [`AdminError`] whose message
//! says what was wrong and what is allowed. Every change is flushed to disk
//! before the call returns (see the durability rule in `store`).

pub mod api;
pub mod approvals;
mod handler;
pub mod oauth;
mod odoo;
mod patch;
pub mod traffic;
mod trail;
pub mod views;

pub use handler::AdminContext;
pub use trail::{Actor, dispatch};

pub use crate::config::catalog::{SettingSource, SettingView};

use crate::config::boot::OdooDefaults;
use crate::config::catalog::Catalog;
use crate::config::resource::unique_key;
use crate::config::settings;
use crate::config::{
    ApiKey, Credential, CredentialDraft, Resource, ResourceDraft, SettingValue, Settings, StoredSetting, Usage,
};
use crate::rooms::Rooms;
use crate::store::{Store, StoreError};
use time::{Date, OffsetDateTime};

const RESOURCE_INDEX: &str = "resources_by_model";

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

/// The admin service over one open store.
#[derive(Clone)]
pub struct AdminService {
    /// The store's rooms (the configuration's read side and its change lock,
    /// rate windows, audit log, sessions), shared with the gateway and the timers.
    rooms: Rooms,
    /// Where clients reach this gateway (the boot config's `public_url`, else
    /// the listen address), when known: turning OAuth on needs it https.
    public_base: Option<String>,
}

impl AdminService {
    /// The admin service over the rooms of `store`, made here.
    pub fn new(store: Store, odoo_defaults: OdooDefaults) -> AdminService {
        AdminService::over(Rooms::new(store, odoo_defaults))
    }

    /// The admin service over rooms shared with others.
    pub fn over(rooms: Rooms) -> AdminService {
        AdminService { rooms, public_base: None }
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
        self.catalog().change_guard()
    }

    /// Runs `read` with no configuration change in progress or starting (a
    /// backup's consistent read of settings, resources and credentials).
    pub fn with_config_frozen<R>(&self, read: impl FnOnce(&Store) -> R) -> R {
        self.catalog().with_config_frozen(read)
    }

    pub fn store(&self) -> &Store {
        self.rooms.store()
    }

    pub fn catalog(&self) -> &Catalog {
        self.rooms.catalog()
    }

    /// The rooms this service works over, to share with the gateway and the timers.
    pub fn rooms(&self) -> &Rooms {
        &self.rooms
    }

    // ----- settings -----

    /// Every setting with its effective value and where it comes from.
    pub fn settings_view(&self) -> AdminResult<Vec<SettingView>> {
        Ok(self.catalog().settings_view()?)
    }

    /// The effective settings, typed.
    pub fn settings(&self) -> AdminResult<Settings> {
        Ok(self.catalog().settings()?)
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
        self.store().table::<StoredSetting>()?.insert(spec.key, &StoredSetting(value.clone()))?;
        self.store().flush()?;
        Ok(value)
    }

    // ----- resources -----

    pub fn resources(&self) -> AdminResult<Vec<Resource>> {
        Ok(self.catalog().resources()?)
    }

    pub fn resource(&self, id: u64) -> AdminResult<Resource> {
        self.catalog().resource(id)?.ok_or_else(|| AdminError::NotFound(format!("no resource with id {id}")))
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
        let table = self.store().table::<Resource>()?;
        let index = self.store().unique_index(RESOURCE_INDEX)?;
        let now = OffsetDateTime::now_utc();
        let mut added: Vec<Resource> = Vec::new();
        for draft in valid {
            let id = self.store().next_id()?;
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
                approvals: draft.approvals,
            };
            table.insert(&id, &resource)?;
            added.push(resource);
        }
        self.store().flush()?;
        Ok(added)
    }

    /// Replaces a resource's settings with `draft` (validated). Moving it to a
    /// model/company pair that is taken is refused.
    pub fn edit_resource(&self, id: u64, draft: ResourceDraft) -> AdminResult<Resource> {
        let _guard = self.config_guard();
        let draft = draft.validate().map_err(|e| AdminError::Invalid(e.0))?;
        let table = self.store().table::<Resource>()?;
        let index = self.store().unique_index(RESOURCE_INDEX)?;
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
            approvals: draft.approvals,
            updated_at: OffsetDateTime::now_utc(),
            ..old
        };
        table.insert(&id, &resource)?;
        self.store().flush()?;
        Ok(resource)
    }

    pub fn remove_resource(&self, id: u64) -> AdminResult<Resource> {
        let _guard = self.config_guard();
        let old = self.resource(id)?;
        self.store().table::<Resource>()?.remove(&id)?;
        self.store().unique_index(RESOURCE_INDEX)?.release(&old.unique_key(), id)?;
        self.store().flush()?;
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
        Ok(self.catalog().credentials()?)
    }

    pub fn credential(&self, id: u64) -> AdminResult<Credential> {
        self.catalog().credential(id)?.ok_or_else(|| AdminError::NotFound(format!("no credential with id {id}")))
    }

    /// Creates a credential; the key is kept only as an argon2id hash.
    pub fn create_credential(&self, draft: CredentialDraft) -> AdminResult<Credential> {
        use crate::config::catalog::CredentialRefused;
        self.catalog().create_credential(draft).map_err(|e| match e {
            CredentialRefused::Invalid(m) => AdminError::Invalid(m),
            CredentialRefused::Conflict(m) => AdminError::Conflict(m),
            CredentialRefused::Store(e) => AdminError::Store(e),
        })
    }

    /// Revokes a credential, permanently. Revoking twice is refused so that
    /// the first revocation time is never overwritten.
    pub fn revoke_credential(&self, id: u64) -> AdminResult<Credential> {
        let _guard = self.config_guard();
        let table = self.store().table::<Credential>()?;
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
        self.store().flush()?;
        // Its OAuth grants go too, with the Odoo keys they kept.
        crate::oauth::Grants::new(self.store().clone()).revoke_for_credential(id, "its credential was revoked")?;
        Ok(revoked)
    }

    /// The credential whose stored hash matches `key` (see `Catalog::credential_for_key`).
    pub fn credential_for_key(&self, key: &ApiKey) -> AdminResult<Option<Credential>> {
        Ok(self.catalog().credential_for_key(key)?)
    }

    /// Today's date in UTC, the calendar credentials expire by.
    pub fn today() -> Date {
        crate::config::catalog::today()
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
