//! Odoo's reachability for `/healthz`: the shared probe of the upstream slot
//! ([`crate::upstream::probe`]), which the admin status reads too, so a
//! health probe never waits on Odoo longer than its timeout and the
//! dashboard and the probes ask Odoo once between them.

use super::Gateway;
use crate::upstream::probe::{CHECK_TIMEOUT, ProbeError};
use serde_json::{Value, json};

impl Gateway {
    /// `{"configured", "reachable", "version", "protocol", "error", "checked_seconds_ago"}`.
    /// Never the URL (it may carry credentials) nor any key.
    pub async fn odoo_health(&self) -> Value {
        let settings = self.settings();
        let configured = self.inner.upstream.is_pinned() || !settings.odoo.url.is_empty();
        if !configured {
            return json!({"configured": false, "reachable": false, "error": "odoo_url is not set",
                "checked_seconds_ago": 0});
        }
        // The URL may carry a user and password: messages name it `odoo_url`.
        let redact =
            |e: String| if settings.odoo.url.is_empty() { e } else { e.replace(&settings.odoo.url, "odoo_url") };
        let (probed, age) = self.inner.upstream.odoo_state(&settings).await;
        let mut value = match probed {
            Ok(state) if state.database_exists == Some(false) => {
                let name = if settings.odoo.database.is_empty() {
                    "configured".to_string()
                } else {
                    format!("{:?}", settings.odoo.database)
                };
                json!({"configured": true, "reachable": true, "version": state.version, "protocol": state.protocol,
                    "database": "missing",
                    "error": format!("the {name} database does not exist on this Odoo (set odoo_database to one of its databases)")})
            }
            Ok(state) => {
                let mut value = json!({"configured": true, "reachable": true, "version": state.version,
                    "protocol": state.protocol});
                if state.database_exists == Some(true) {
                    value["database"] = json!("exists");
                }
                value
            }
            Err(ProbeError::NoClient(e) | ProbeError::Unreachable(e)) => {
                json!({"configured": true, "reachable": false, "error": redact(e)})
            }
            Err(ProbeError::TimedOut) => json!({"configured": true, "reachable": false,
                "error": format!("no answer within {} s", CHECK_TIMEOUT.as_secs())}),
        };
        value["checked_seconds_ago"] = json!(age.as_secs());
        value
    }
}
