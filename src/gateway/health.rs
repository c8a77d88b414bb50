//! Odoo's reachability for `/healthz`: the last known answer, refreshed at
//! most every [`FRESH_FOR`] and never waited on longer than [`CHECK_TIMEOUT`],
//! so a health probe stays fast when Odoo is slow or down.

use super::Gateway;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// A check younger than this is answered from the cache.
pub const FRESH_FOR: Duration = Duration::from_secs(15);
/// The longest a probe waits for Odoo (connect and `/web/version` together).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Default)]
pub(super) struct HealthCache {
    last: Mutex<Option<(Instant, Value)>>,
}

impl Gateway {
    /// `{"configured", "reachable", "version", "protocol", "error", "checked_seconds_ago"}`.
    /// Never the URL (it may carry credentials) nor any key.
    pub async fn odoo_health(&self) -> Value {
        // Concurrent probes wait for one check rather than each asking Odoo.
        let mut last = self.inner.health.last.lock().await;
        let fresh = last.as_ref().filter(|(at, _)| at.elapsed() < FRESH_FOR);
        let (at, value) = match fresh {
            Some((at, value)) => (*at, value.clone()),
            None => {
                let value = self.check_odoo().await;
                *last = Some((Instant::now(), value.clone()));
                (Instant::now(), value)
            }
        };
        let mut value = value;
        value["checked_seconds_ago"] = json!(at.elapsed().as_secs());
        value
    }

    async fn check_odoo(&self) -> Value {
        let settings = self.settings();
        let configured = self.inner.upstream.is_pinned() || !settings.odoo.url.is_empty();
        if !configured {
            return json!({"configured": false, "reachable": false, "error": "odoo_url is not set"});
        }
        // The URL may carry a user and password: messages name it `odoo_url`.
        let redact =
            |e: String| if settings.odoo.url.is_empty() { e } else { e.replace(&settings.odoo.url, "odoo_url") };
        let check = async {
            let client = self.inner.upstream.get(&settings).await.map_err(|e| redact(e.to_string()))?;
            let version = client.version().await.map_err(|e| redact(e.to_string()))?;
            // A server that answers is no use if the configured database is not on it.
            let database = client.database_exists().await.unwrap_or(None);
            Ok::<_, String>((version.version, client.protocol().to_string(), database))
        };
        match tokio::time::timeout(CHECK_TIMEOUT, check).await {
            Ok(Ok((version, protocol, Some(false)))) => {
                let name = if settings.odoo.database.is_empty() {
                    "configured".to_string()
                } else {
                    format!("{:?}", settings.odoo.database)
                };
                json!({"configured": true, "reachable": true, "version": version, "protocol": protocol,
                    "database": "missing",
                    "error": format!("the {name} database does not exist on this Odoo (set odoo_database to one of its databases)")})
            }
            Ok(Ok((version, protocol, database))) => {
                let mut value =
                    json!({"configured": true, "reachable": true, "version": version, "protocol": protocol});
                if database == Some(true) {
                    value["database"] = json!("exists");
                }
                value
            }
            Ok(Err(e)) => json!({"configured": true, "reachable": false, "error": e}),
            Err(_) => json!({"configured": true, "reachable": false,
                "error": format!("no answer within {} s", CHECK_TIMEOUT.as_secs())}),
        }
    }
}
