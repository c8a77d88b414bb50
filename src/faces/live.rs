//! The listener's settings a SIGHUP may change while it serves: trusted
//! proxies, allowed browser origins, the metrics token and the TLS
//! certificate. Each request reads the current snapshot once (a read lock
//! and an `Arc` clone); a reload swaps the whole snapshot.

use std::net::IpAddr;
use std::sync::{Arc, RwLock};

/// One consistent set of the live settings.
#[derive(Clone, Default)]
pub struct NetworkConfig {
    pub trusted_proxies: Vec<IpAddr>,
    pub allowed_origins: Vec<String>,
    /// `/metrics` answers only with `Authorization: Bearer <token>` when set.
    pub metrics_token: Option<String>,
    /// Built-in TLS: every new connection is handshaken with this config.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Timeouts and the connection cap (`[http]`).
    pub http: crate::config::HttpLimits,
}

/// The current [`NetworkConfig`], shared by the listener and whoever reloads it.
#[derive(Clone, Default)]
pub struct LiveConfig(Arc<RwLock<Arc<NetworkConfig>>>);

impl LiveConfig {
    pub fn new(config: NetworkConfig) -> LiveConfig {
        LiveConfig(Arc::new(RwLock::new(Arc::new(config))))
    }

    pub fn current(&self) -> Arc<NetworkConfig> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub fn replace(&self, config: NetworkConfig) {
        *self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(config);
    }
}
