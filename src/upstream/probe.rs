//! Odoo's state as last probed: reachable, its version and protocol, and
//! whether the configured database exists. `/healthz` and the admin status
//! (the dashboard's Home asks every two seconds, per open dashboard) read
//! one shared probe, so Odoo is asked at most once per [`FRESH_FOR`] (after
//! a failure, once per [`RETRY_AFTER`]) however many ask, and no one waits
//! on Odoo longer than [`CHECK_TIMEOUT`].

use super::UpstreamSlot;
use crate::config::{OdooConnection, Settings};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// A successful probe younger than this is answered from the cache.
pub const FRESH_FOR: Duration = Duration::from_secs(10);
/// A failed one is kept this long: the setup wizard's "test again" sees
/// Odoo come back soon, and an Odoo that is down is still not hammered.
pub const RETRY_AFTER: Duration = Duration::from_secs(2);
/// The longest a probe waits for Odoo (connect, version and database together).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Odoo answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdooState {
    /// `"19.0+e-20251227"`.
    pub version: String,
    /// The protocol in use: `json2`, `jsonrpc`, `xmlrpc`.
    pub protocol: String,
    /// Whether the configured database exists (None: the client names none,
    /// or Odoo would not say).
    pub database_exists: Option<bool>,
}

/// Why Odoo's state could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeError {
    /// No client for the settings (the message says why, with the URL).
    NoClient(String),
    /// The client's version call failed.
    Unreachable(String),
    /// No answer within [`CHECK_TIMEOUT`].
    TimedOut,
}

pub type Probed = Result<OdooState, ProbeError>;

/// The last probe, shared (an `Arc`) by every slot that should ask Odoo once.
#[derive(Default)]
pub struct OdooProbe {
    last: Mutex<Option<Last>>,
}

struct Last {
    at: Instant,
    /// The connection probed (None: a pinned client); a settings change
    /// probes again at once.
    connection: Option<OdooConnection>,
    probed: Probed,
}

impl OdooProbe {
    /// Odoo's state through `slot` for `settings`, and how old the answer
    /// is. Concurrent callers wait for one probe rather than each asking.
    pub async fn state(&self, slot: &UpstreamSlot, settings: &Settings) -> (Probed, Duration) {
        let connection = (!slot.is_pinned()).then(|| settings.odoo.clone());
        let mut last = self.last.lock().await;
        if let Some(kept) = last.as_ref().filter(|l| l.connection == connection && l.at.elapsed() < l.keep_for()) {
            return (kept.probed.clone(), kept.at.elapsed());
        }
        let probed = probe(slot, settings).await;
        *last = Some(Last { at: Instant::now(), connection, probed: probed.clone() });
        (probed, Duration::ZERO)
    }
}

impl Last {
    fn keep_for(&self) -> Duration {
        if self.probed.is_ok() { FRESH_FOR } else { RETRY_AFTER }
    }
}

async fn probe(slot: &UpstreamSlot, settings: &Settings) -> Probed {
    let check = async {
        let client = slot.get(settings).await.map_err(|e| ProbeError::NoClient(e.to_string()))?;
        let version = client.version().await.map_err(|e| ProbeError::Unreachable(e.to_string()))?;
        // A server that answers is no use if the configured database is not on it.
        let database_exists = client.database_exists().await.unwrap_or(None);
        Ok(OdooState { version: version.version, protocol: client.protocol().to_string(), database_exists })
    };
    tokio::time::timeout(CHECK_TIMEOUT, check).await.unwrap_or(Err(ProbeError::TimedOut))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    /// A failure is kept briefly, a success for longer; a settings change
    /// (another connection) is probed again at once.
    #[tokio::test]
    async fn failures_are_retried_soon_and_a_new_connection_at_once() {
        let probe = OdooProbe::default();
        let slot = UpstreamSlot::default();
        let mut settings = Settings::default();
        // Nothing listens on port 9 of loopback: a fast failure.
        settings.odoo.url = "http://127.0.0.1:9".into();
        let (first, _) = probe.state(&slot, &settings).await;
        assert!(matches!(first, Err(ProbeError::NoClient(_))), "{first:?}");
        let (again, age) = probe.state(&slot, &settings).await;
        assert_eq!((again, age > Duration::ZERO), (first.clone(), true), "kept, not asked again");
        tokio::time::sleep(RETRY_AFTER).await;
        let (_, age) = probe.state(&slot, &settings).await;
        assert_eq!(age, Duration::ZERO, "asked again after {RETRY_AFTER:?}");
        settings.odoo.url = "http://127.0.0.1:7".into();
        let (other, age) = probe.state(&slot, &settings).await;
        assert_eq!(age, Duration::ZERO, "another connection: asked at once");
        assert!(other.unwrap_err() != first.unwrap_err(), "its own failure, naming its own URL");
    }
}
