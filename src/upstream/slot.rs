//! The gateway's connection to Odoo, made on first use and remade when the
//! admin changes the `odoo_*` settings. Odoo may be down when Alpenglow
//! starts: the gateway must still start, and say so per request.

use crate::config::{OdooConnection, Settings};
use crate::upstream::probe::{OdooProbe, Probed};
use crate::upstream::{self, OdooApi, UpstreamConfig};
use crate::vocab::OpError;
use std::sync::Arc;
use tokio::sync::Mutex;

pub struct UpstreamSlot {
    current: Mutex<Option<(OdooConnection, Arc<dyn OdooApi>)>>,
    /// A client pinned by the caller (the demo's sandbox), used whatever the settings say.
    pinned: Option<Arc<dyn OdooApi>>,
    /// Odoo's state as last probed, shared with the slots given it.
    probe: Arc<OdooProbe>,
}

impl Default for UpstreamSlot {
    fn default() -> Self {
        UpstreamSlot { current: Mutex::new(None), pinned: None, probe: Arc::default() }
    }
}

impl UpstreamSlot {
    /// Always this client: the demo points at its own sandbox without
    /// touching the `odoo_*` settings stored in the data directory.
    pub fn pinned(client: Arc<dyn OdooApi>) -> UpstreamSlot {
        UpstreamSlot { pinned: Some(client), ..UpstreamSlot::default() }
    }

    /// This slot probes Odoo's state through `probe`, which another slot
    /// shares: the daemon's gateway (`/healthz`) and its admin service (the
    /// dashboard's status) then ask Odoo once between them.
    pub fn sharing_probe(mut self, probe: Arc<OdooProbe>) -> UpstreamSlot {
        self.probe = probe;
        self
    }

    /// The probe to share with another slot.
    pub fn probe(&self) -> Arc<OdooProbe> {
        self.probe.clone()
    }

    /// Odoo's state for `settings` (configured ones), and how old it is:
    /// see [`OdooProbe::state`].
    pub async fn odoo_state(&self, settings: &Settings) -> (Probed, std::time::Duration) {
        self.probe.state(self, settings).await
    }

    pub fn is_pinned(&self) -> bool {
        self.pinned.is_some()
    }

    /// The client for the current settings, connecting (and detecting the
    /// protocol) if needed.
    pub async fn get(&self, settings: &Settings) -> Result<Arc<dyn OdooApi>, OpError> {
        if let Some(client) = &self.pinned {
            return Ok(client.clone());
        }
        let mut current = self.current.lock().await;
        if let Some((connection, client)) = current.as_ref()
            && *connection == settings.odoo
        {
            return Ok(client.clone());
        }
        if settings.odoo.url.is_empty() {
            return Err(OpError::Unavailable(
                "Odoo is not configured yet: an admin must set odoo_url (alpenglow settings set odoo_url URL)".into(),
            ));
        }
        let client = upstream::connect(&UpstreamConfig::from_connection(&settings.odoo))
            .await
            .map_err(|e| OpError::Unavailable(format!("cannot reach Odoo at {}: {e}", settings.odoo.url)))?;
        *current = Some((settings.odoo.clone(), client.clone()));
        Ok(client)
    }
}
