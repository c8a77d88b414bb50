//! The gateway's connection to Odoo, made on first use and remade when the
//! admin changes the `odoo_*` settings. Odoo may be down when Alpenglow
//! starts: the gateway must still start, and say so per request.

use crate::config::{OdooConnection, Settings};
use crate::upstream::{self, OdooApi, UpstreamConfig};
use crate::vocab::OpError;
use std::sync::Arc;
use tokio::sync::Mutex;

pub struct UpstreamSlot {
    current: Mutex<Option<(OdooConnection, Arc<dyn OdooApi>)>>,
    /// A client pinned by the caller (the demo's sandbox), used whatever the settings say.
    pinned: Option<Arc<dyn OdooApi>>,
}

impl Default for UpstreamSlot {
    fn default() -> Self {
        UpstreamSlot { current: Mutex::new(None), pinned: None }
    }
}

impl UpstreamSlot {
    /// Always this client: the demo points at its own sandbox without
    /// touching the `odoo_*` settings stored in the data directory.
    pub fn pinned(client: Arc<dyn OdooApi>) -> UpstreamSlot {
        UpstreamSlot { current: Mutex::new(None), pinned: Some(client) }
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
