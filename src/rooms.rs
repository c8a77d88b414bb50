//! The live rooms of one opened store, made once and shared: the stored
//! configuration ([`Catalog`]), the rate limiter, the audit log, the
//! sessions and the approval queue. The daemon hands the same set to the gateway, the admin service
//! and the timers, so each holds its own handles and none reaches the
//! others' through another room. Cheap to clone.

use crate::approvals::Approvals;
use crate::audit::AuditLog;
use crate::config::boot::OdooDefaults;
use crate::config::catalog::Catalog;
use crate::limits::Limiter;
use crate::sessions::Sessions;
use crate::store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct Rooms {
    store: Store,
    catalog: Catalog,
    limiter: Arc<Limiter>,
    audit: AuditLog,
    sessions: Sessions,
    approvals: Approvals,
}

impl Rooms {
    /// The rooms of `store`; `odoo_defaults` are the boot config's `[odoo]`
    /// values, which settings not stored fall back to.
    pub fn new(store: Store, odoo_defaults: OdooDefaults) -> Rooms {
        Rooms {
            catalog: Catalog::new(store.clone(), odoo_defaults),
            limiter: Arc::new(Limiter::new(Some(store.clone()))),
            audit: AuditLog::new(store.clone()),
            sessions: Sessions::new(store.clone()),
            approvals: Approvals::new(store.clone()),
            store,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Writes waiting for a person's approval.
    pub fn approvals(&self) -> &Approvals {
        &self.approvals
    }
}
