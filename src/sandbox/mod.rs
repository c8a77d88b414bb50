//! An Odoo-compatible sandbox: a real HTTP server that speaks Odoo's JSON-2,
//! JSON-RPC and XML-RPC over an in-memory sample dataset, for the demo and
//! for every end-to-end test.
//!
//! It behaves like Odoo 19 (default) or 17 as recorded in `shared/odoo-wire*`:
//! the same routes, envelopes, status codes, fault codes and exception
//! classes, per-model access rights and company record rules for three demo
//! users (`admin`, `sales`, `viewer`), and writes that persist for the life of
//! the process. Counters per (model, method) let tests prove that a call the
//! gateway refused never reached "Odoo".
//!
//! Layout: `dataset` (embedded data and schemas), `access` (users, rights,
//! rules), `eval` (domains), `records` (values, order), `write`
//! (create/write), `unlink`, `group` (read_group), `methods` (RPC signatures and
//! dispatch), `server` (HTTP routing), `json2`, `jsonrpc`, `xmlrpc`.

mod access;
mod actions;
mod dataset;
mod error;
mod eval;
mod group;
mod json2;
mod jsonrpc;
mod methods;
mod records;
mod server;
mod unlink;
mod write;
mod xmlrpc;

use dataset::{Credential, Schema, Store};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Which Odoo the sandbox imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OdooVersion {
    /// Odoo 16: 17's wire and data, without the `any` / `not any` operators
    /// (added in 17).
    V16,
    V17,
    #[default]
    V19,
}

impl OdooVersion {
    pub fn server_version(self) -> &'static str {
        match self {
            OdooVersion::V19 => "19.0+e-20251227",
            OdooVersion::V17 => "17.0-20240709",
            OdooVersion::V16 => "16.0-20231108",
        }
    }

    pub fn major(self) -> u32 {
        match self {
            OdooVersion::V19 => 19,
            OdooVersion::V17 => 17,
            OdooVersion::V16 => 16,
        }
    }

    /// Whether domains may use `any` / `not any` (Odoo 17 and later).
    pub fn has_any_operator(self) -> bool {
        self != OdooVersion::V16
    }

    /// `common.version`'s answer.
    pub fn version_dict(self) -> Value {
        json!({
            "server_version": self.server_version(),
            "server_version_info": [self.major(), 0, 0, "final", 0, ""],
            "server_serie": format!("{}.0", self.major()),
            "protocol_version": 1,
        })
    }
}

impl std::str::FromStr for OdooVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "16" | "16.0" => Ok(OdooVersion::V16),
            "17" | "17.0" => Ok(OdooVersion::V17),
            "19" | "19.0" => Ok(OdooVersion::V19),
            other => Err(format!("unsupported Odoo version {other:?}: the sandbox imitates 16, 17 or 19")),
        }
    }
}

impl std::fmt::Display for OdooVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.0", self.major())
    }
}

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    pub version: OdooVersion,
    /// The one database served; requests naming another get Odoo's error.
    pub database: String,
    /// Waited before every response (timeout tests).
    pub delay: Duration,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            version: OdooVersion::V19,
            database: "demo".to_string(),
            delay: Duration::ZERO,
        }
    }
}

/// A demo user and its API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxUser {
    pub login: String,
    pub uid: i64,
    pub key: String,
    /// "admin", "sales" or "viewer".
    pub role: String,
}

/// The state every request handler shares.
pub(crate) struct Shared {
    version: OdooVersion,
    database: String,
    delay: Duration,
    schema: Schema,
    store: Mutex<Store>,
    counters: Mutex<HashMap<(String, String), u64>>,
    /// Model calls run, by the uid whose key they came with.
    by_user: Mutex<HashMap<i64, u64>>,
    /// The context of the last call of each (model, method), for tests.
    contexts: Mutex<HashMap<(String, String), Value>>,
    requests: AtomicU64,
}

impl Shared {
    fn new(opts: &SandboxOptions) -> Shared {
        let (schema, mut store) = dataset::load(opts.version);
        write::recompute_orders(&mut store);
        Shared {
            version: opts.version,
            database: opts.database.clone(),
            delay: opts.delay,
            schema,
            store: Mutex::new(store),
            counters: Mutex::new(HashMap::new()),
            by_user: Mutex::new(HashMap::new()),
            contexts: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn count(&self, model: &str, method: &str) {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *counters.entry((model.to_string(), method.to_string())).or_insert(0) += 1;
    }

    /// The credential an API key belongs to.
    fn by_key(&self, key: &str) -> Option<&Credential> {
        self.schema.credentials.iter().find(|c| c.key == key)
    }

    /// Runs one model call as the key's user.
    fn call(&self, cred: &Credential, call: methods::Call) -> error::OdooResult<Value> {
        *self.by_user.lock().unwrap_or_else(|p| p.into_inner()).entry(cred.uid).or_insert(0) += 1;
        let key = (call.model.clone(), call.method.clone());
        self.contexts.lock().unwrap_or_else(|p| p.into_inner()).insert(key, Value::Object(call.context.clone()));
        let mut store = self.store();
        methods::execute(&self.schema, &mut store, cred, self.version, call)
    }
}

/// A sandbox serving in the background.
pub struct RunningSandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningSandbox {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn database(&self) -> &str {
        &self.shared.database
    }

    pub fn version(&self) -> OdooVersion {
        self.shared.version
    }

    /// The demo users and their API keys.
    pub fn users(&self) -> Vec<SandboxUser> {
        self.shared
            .schema
            .credentials
            .iter()
            .map(|c| SandboxUser { login: c.login.clone(), uid: c.uid, key: c.key.clone(), role: c.role.clone() })
            .collect()
    }

    /// The demo user with this role ("admin", "sales", "viewer").
    pub fn user(&self, role: &str) -> Option<SandboxUser> {
        self.users().into_iter().find(|u| u.role == role)
    }

    /// How many calls named this model and method (counted on arrival, before
    /// authentication: a refused call still counts, one never sent does not).
    pub fn calls(&self, model: &str, method: &str) -> u64 {
        let counters = self.shared.counters.lock().unwrap_or_else(|p| p.into_inner());
        counters.get(&(model.to_string(), method.to_string())).copied().unwrap_or(0)
    }

    /// Model calls run as the user `uid` (with that user's own key).
    pub fn calls_as(&self, uid: i64) -> u64 {
        self.shared.by_user.lock().unwrap_or_else(|p| p.into_inner()).get(&uid).copied().unwrap_or(0)
    }

    /// The context the last call of this model and method carried (after
    /// authentication), to see what a client let through.
    pub fn last_context(&self, model: &str, method: &str) -> Option<Value> {
        let contexts = self.shared.contexts.lock().unwrap_or_else(|p| p.into_inner());
        contexts.get(&(model.to_string(), method.to_string())).cloned()
    }

    /// Every model call received, all models and methods together.
    pub fn total_calls(&self) -> u64 {
        let counters = self.shared.counters.lock().unwrap_or_else(|p| p.into_inner());
        counters.values().sum()
    }

    /// Every HTTP request received (model calls, version probes, errors).
    pub fn total_requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Stops accepting connections and waits for the listener to close.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a sandbox in the background on the current tokio runtime.
pub async fn start(opts: SandboxOptions) -> std::io::Result<RunningSandbox> {
    let listener = tokio::net::TcpListener::bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared::new(&opts));
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(server::serve(listener, shared.clone(), stopped));
    Ok(RunningSandbox { addr, shared, stop: Some(stop), task })
}

/// Serves until ctrl-c, printing where and the demo users' keys.
pub async fn run(opts: SandboxOptions) -> std::io::Result<()> {
    let sandbox = start(opts).await?;
    println!(
        "Odoo {} sandbox on {} (database {:?}); JSON-2, JSON-RPC and XML-RPC. Demo users:",
        sandbox.version(),
        sandbox.url(),
        sandbox.database()
    );
    for user in sandbox.users() {
        println!("  {:<7} login {:<7} uid {:<2} API key {}", user.role, user.login, user.uid, user.key);
    }
    println!("Press ctrl-c to stop.");
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    Ok(())
}
