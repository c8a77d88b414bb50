//! The gateway in-process over a temp store, pointed at an in-process
//! sandbox over real HTTP: for tests that need the sandbox's call counters
//! or the admin service next to the gateway.

#![allow(dead_code)]

use alpenglow::admin::AdminService;
use alpenglow::config::{ApiKey, CredentialDraft, ResourceDraft, Scope};
use alpenglow::gateway::{Authorization, Face, Gateway, OpError, RequestContext, UpstreamSlot};
use alpenglow::sandbox::{self, OdooVersion, RunningSandbox, SandboxOptions};
use alpenglow::store::Store;
use alpenglow::upstream::{self, UpstreamConfig};
use serde_json::Value;

pub struct Setup {
    pub dir: tempfile::TempDir,
    pub sandbox: RunningSandbox,
    pub admin: AdminService,
    pub gateway: Gateway,
}

/// An Odoo 19 sandbox on a free loopback port.
pub async fn start_sandbox() -> RunningSandbox {
    start_sandbox_on(OdooVersion::V19).await
}

/// A sandbox imitating `version` on a free loopback port.
pub async fn start_sandbox_on(version: OdooVersion) -> RunningSandbox {
    sandbox::start(SandboxOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        version,
        database: "demo".into(),
        delay: std::time::Duration::ZERO,
    })
    .await
    .unwrap()
}

/// An upstream client for the sandbox (protocol detected: JSON-2 on 19,
/// JSON-RPC before).
pub async fn client(sandbox: &RunningSandbox) -> std::sync::Arc<dyn upstream::OdooApi> {
    let mut config = UpstreamConfig::from_connection(&alpenglow::config::Settings::default().odoo);
    config.transport = upstream::TransportConfig::new(sandbox.url());
    config.database = Some(sandbox.database().to_string());
    upstream::connect(&config).await.unwrap()
}

/// MCP on, `res.partner` registered with the defaults, no credentials.
pub async fn setup() -> Setup {
    setup_on(OdooVersion::V19).await
}

/// [`setup`] over a sandbox imitating `version`.
pub async fn setup_on(version: OdooVersion) -> Setup {
    let sandbox = start_sandbox_on(version).await;
    let dir = tempfile::tempdir().unwrap();
    let admin = AdminService::new(Store::open(dir.path()).unwrap(), Default::default());
    admin.set_setting("enable_mcp", "on").unwrap();
    admin.add_resources(vec![ResourceDraft::new("res.partner", false)]).unwrap();
    let gateway = Gateway::new(admin.rooms().clone(), UpstreamSlot::pinned(client(&sandbox).await));
    Setup { dir, sandbox, admin, gateway }
}

impl Setup {
    /// A credential for a sandbox user's own key.
    pub fn credential(&self, role: &str, scope: Scope, company: Option<u32>) -> u64 {
        let user = self.sandbox.user(role).unwrap();
        self.admin
            .create_credential(CredentialDraft {
                label: format!("{role} test"),
                user_id: user.uid as u32,
                login: user.login,
                scope,
                expires_on: None,
                company_id: company,
                key: ApiKey::parse(&user.key).unwrap(),
            })
            .unwrap()
            .id
    }

    /// Changes the stored resource of `model`, as an admin editing it would.
    pub fn edit_resource(&self, model: &str, change: impl FnOnce(&mut ResourceDraft)) {
        let resource = self.admin.find_resource(model).unwrap();
        let mut draft = resource.draft();
        change(&mut draft);
        self.admin.edit_resource(resource.id, draft).unwrap();
    }

    pub fn ctx(&self, role: &str) -> RequestContext {
        let key = self.sandbox.user(role).unwrap().key;
        RequestContext::new(Face::JsonRpc, "127.0.0.1".parse().unwrap(), Authorization::Bearer(key))
    }

    pub async fn call(&self, role: &str, operation: &str, params: Value) -> Result<Value, OpError> {
        self.gateway.call(&self.ctx(role), operation, &params).await
    }

    /// The faces (JSON-RPC, REST, MCP) over this gateway on a free loopback
    /// port, trusting `trusted_proxies` for `X-Forwarded-For`; served until
    /// the test's runtime ends.
    pub async fn serve(&self, trusted_proxies: Vec<std::net::IpAddr>) -> std::net::SocketAddr {
        let network = alpenglow::faces::NetworkConfig { trusted_proxies, ..Default::default() };
        let state = alpenglow::faces::FaceState {
            gateway: self.gateway.clone(),
            live: alpenglow::faces::LiveConfig::new(network),
        };
        let listener = alpenglow::faces::Listener::bind("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(listener.serve(std::future::pending()));
        addr
    }

    /// Odoo calls that change data, across models.
    pub fn writes(&self) -> u64 {
        ["res.partner", "sale.order", "sale.order.line"]
            .iter()
            .flat_map(|m| ["create", "write", "unlink"].map(|op| self.sandbox.calls(m, op)))
            .sum()
    }
}
