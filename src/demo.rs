//! `alpenglow demo`: the sandbox Odoo and the gateway in one process, ready
//! for an MCP client in one command.
//!
//! On the data directory it is given it keeps every stored setting (it only
//! switches MCP on), adds its resources and demo credentials where missing,
//! and points the gateway at its own sandbox without storing that address.
//! Once it serves it prints the MCP URL, the demo keys by role and a Claude
//! Desktop config, or with `--json` one line:
//! `{"mcp_url", "sandbox_url", "keys": {"admin", "sales", "readonly"}}`.

use crate::admin::{AdminError, AdminService};
use crate::config::{
    ApiKey, ApprovalPolicy, ApprovalRule, CredentialDraft, FieldPolicy, Operations, ResourceDraft, Scope,
};
use crate::faces::{FaceState, Listener, LiveConfig};
use crate::gateway::Gateway;
use crate::sandbox::{self, OdooVersion, SandboxOptions};
use crate::upstream::UpstreamSlot;
use crate::upstream::{self, UpstreamConfig};
use serde_json::json;
use std::net::SocketAddr;

/// The demo's resources: (model, operations, execute methods).
const RESOURCES: &[(&str, Operations, &[&str])] = &[
    ("res.partner", Operations::ALL, &["name_search"]),
    ("res.partner.category", Operations::ALL, &[]),
    ("res.country", Operations::READ_ONLY, &[]),
    ("res.company", Operations::READ_ONLY, &[]),
    ("product.product", Operations::READ_ONLY, &[]),
    (
        "sale.order",
        Operations { read: true, create: true, write: true, delete: false },
        &["action_confirm", "action_cancel"],
    ),
    ("sale.order.line", Operations::READ_ONLY, &[]),
];

/// Demo roles: (role printed, sandbox user role, scope).
const ROLES: &[(&str, &str, Scope)] =
    &[("admin", "admin", Scope::Full), ("sales", "sales", Scope::Full), ("readonly", "viewer", Scope::ReadOnly)];

pub struct DemoOptions {
    pub listen: SocketAddr,
    pub json: bool,
    pub allow_remote: bool,
    /// The admin socket the dashboard and the admin CLI use while the demo runs.
    pub admin_socket: crate::admin_socket::server::SocketOptions,
    /// Added before every sandbox answer (zero but in shutdown tests).
    pub sandbox_delay: std::time::Duration,
    /// The listener's timeouts and connection cap (the config file's `[http]`).
    pub http: crate::config::HttpLimits,
    /// The key sealing Odoo keys of OAuth grants (the demo keeps it in its
    /// own data directory unless the config names one: its keys are public).
    pub oauth_key_file: std::path::PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
}

impl From<AdminError> for DemoError {
    fn from(e: AdminError) -> Self {
        DemoError::Failed(e.to_string())
    }
}

pub async fn run(admin: AdminService, options: DemoOptions) -> Result<(), DemoError> {
    if !options.listen.ip().is_loopback() && !options.allow_remote {
        return Err(DemoError::Refused(format!(
            "the demo serves well-known keys: it listens on loopback only ({} is not); pass --allow-remote to override",
            options.listen
        )));
    }
    let sandbox = sandbox::start(SandboxOptions {
        listen: "127.0.0.1:0".parse().expect("valid address"),
        version: OdooVersion::V19,
        database: "demo".into(),
        delay: options.sandbox_delay,
    })
    .await
    .map_err(|e| DemoError::Failed(format!("cannot start the sandbox: {e}")))?;

    admin.set_setting("enable_mcp", "on")?;
    add_missing_resources(&admin)?;
    let mut keys = serde_json::Map::new();
    for (role, sandbox_role, scope) in ROLES {
        let user = sandbox
            .user(sandbox_role)
            .ok_or_else(|| DemoError::Failed(format!("the sandbox has no {sandbox_role} user")))?;
        let key = ApiKey::parse(&user.key).map_err(|e| DemoError::Failed(e.0))?;
        if admin.credential_for_key(&key)?.is_none() {
            admin.create_credential(CredentialDraft {
                label: format!("Demo {role}"),
                user_id: u32::try_from(user.uid).unwrap_or(0),
                login: user.login.clone(),
                scope: *scope,
                expires_on: None,
                company_id: None,
                key,
            })?;
        }
        keys.insert(role.to_string(), json!(user.key));
    }

    let mut config = UpstreamConfig::from_connection(&admin.settings()?.odoo);
    config.transport = upstream::TransportConfig::new(sandbox.url());
    config.database = Some(sandbox.database().to_string());
    config.protocol = crate::config::OdooProtocol::Auto;
    let client =
        upstream::connect(&config).await.map_err(|e| DemoError::Failed(format!("cannot reach the sandbox: {e}")))?;
    // The admin socket reads Odoo's lists as the demo's admin user.
    let service_key = keys.get("admin").and_then(|k| k.as_str()).and_then(|k| ApiKey::parse(k).ok());
    let socket = crate::admin_socket::server::AdminSocket::bind(&options.admin_socket).map_err(DemoError::Failed)?;
    let oauth = crate::oauth::OAuth::new(
        admin.rooms().clone(),
        crate::oauth::OAuthOptions {
            public_url: None,
            key_file: options.oauth_key_file.clone(),
            fetch: Default::default(),
        },
    );
    let upstream = UpstreamSlot::pinned(client.clone());
    let admin_upstream = UpstreamSlot::pinned(client).sharing_probe(upstream.probe());
    let gateway = Gateway::with_oauth(admin.rooms().clone(), upstream, oauth).with_approval_key(
        crate::approvals::state::StateKey::new(crate::approvals::state::StateKey::in_data_dir(admin.store().dir())),
    );
    let live = LiveConfig::new(crate::faces::NetworkConfig { http: options.http, ..Default::default() });
    let listener = Listener::bind(options.listen, FaceState { gateway, live })
        .await
        .map_err(|e| DemoError::Failed(e.to_string()))?;
    let base_url = listener.base_url().map_err(|e| DemoError::Failed(e.to_string()))?;
    let mcp_url = format!("{base_url}{}", crate::faces::MCP_PATH);
    let context = crate::admin::AdminContext::new(admin.clone(), admin_upstream, service_key, "alpenglow demo")
        .with_pinned_odoo(sandbox.url(), sandbox.database().to_string())
        .with_gateway(
            base_url,
            mcp_url.clone(),
            listener.local_addr().map_err(|e| DemoError::Failed(e.to_string()))?,
            false,
        );
    let admin_task = tokio::spawn(socket.serve(context));
    let _timers = crate::jobs::start(admin.rooms());
    if options.json {
        let socket = options.admin_socket.path.display().to_string();
        println!("{}", json!({"mcp_url": mcp_url, "sandbox_url": sandbox.url(), "keys": keys, "admin_socket": socket}));
    } else {
        print_banner(&mcp_url, &sandbox.url(), &keys);
        println!("Dashboard: ALPENGLOW_ADMIN_SOCKET={} alpenglow tui", options.admin_socket.path.display());
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let served = listener.serve(crate::faces::shutdown_signal()).await;
    crate::jobs::checkpoint_on_exit(admin.rooms());
    crate::jobs::save_on_exit(admin.rooms());
    admin_task.abort();
    let _ = admin_task.await;
    sandbox.shutdown().await;
    served.map_err(|e| DemoError::Failed(e.to_string()))
}

/// The demo's approval rules: tags (`res.partner.category`) wait for the
/// person's confirmation on every write; confirming or cancelling a sale
/// order waits for an admin. The demo's other writes run at once.
fn demo_approvals(model: &str) -> ApprovalPolicy {
    match model {
        "res.partner.category" => ApprovalPolicy {
            create: ApprovalRule::Confirm,
            write: ApprovalRule::Confirm,
            delete: ApprovalRule::Confirm,
            ..Default::default()
        },
        "sale.order" => ApprovalPolicy {
            execute: ApprovalRule::Admin,
            execute_methods: vec!["action_confirm".into(), "action_cancel".into()],
            ..Default::default()
        },
        _ => ApprovalPolicy::default(),
    }
}

fn add_missing_resources(admin: &AdminService) -> Result<(), DemoError> {
    let existing = admin.resources()?;
    let drafts: Vec<ResourceDraft> = RESOURCES
        .iter()
        .filter(|(model, _, _)| !existing.iter().any(|r| r.model == *model && r.company_id.is_none()))
        .map(|(model, operations, methods)| ResourceDraft {
            model: model.to_string(),
            company_id: None,
            read_only: false,
            operations: *operations,
            field_policy: FieldPolicy::All,
            record_filter: String::new(),
            execute_methods: methods.iter().map(|m| m.to_string()).collect(),
            approvals: demo_approvals(model),
        })
        .collect();
    if !drafts.is_empty() {
        admin.add_resources(drafts)?;
    }
    Ok(())
}

fn print_banner(mcp_url: &str, sandbox_url: &str, keys: &serde_json::Map<String, serde_json::Value>) {
    println!("Alpenglow demo: MCP at {mcp_url}");
    println!("Sandbox Odoo 19 at {sandbox_url} (database \"demo\")");
    println!("Demo API keys (send as Authorization: Bearer <key>):");
    for (role, key) in keys {
        println!("  {role:<9} {}", key.as_str().unwrap_or_default());
    }
    let admin_key = keys.get("admin").and_then(|k| k.as_str()).unwrap_or_default();
    let base = mcp_url.trim_end_matches(crate::faces::MCP_PATH);
    for entry in crate::bridge::DesktopEntry::both(base, admin_key) {
        println!("Claude Desktop config (claude_desktop_config.json), {}:", entry.label);
        println!("{}", entry.config());
    }
    println!("Press ctrl-c to stop.");
}
