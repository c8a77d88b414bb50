//! The OAuth 2.1 authorization server inside the appliance, for remote
//! connectors (claude.ai, ChatGPT, VS Code, Cursor) that take only a URL.
//!
//! Alpenglow is both the resource server (its MCP endpoint) and the
//! authorization server, as the MCP authorization spec (2025-06-18 and
//! later, 2026-07-28 included) describes:
//!
//! - discovery: Protected Resource Metadata (RFC 9728) and Authorization
//!   Server Metadata (RFC 8414), built here from the public URL;
//! - clients: metadata documents from allowed hosts, or Dynamic Client
//!   Registration (`clients`);
//! - the authorization code flow with PKCE S256 only, `state` and `iss`
//!   returned, exact redirect URIs, the `resource` required and checked
//!   (`flow`); the person signs in with their own Odoo API key, checked by
//!   the gateway, and the grant is bound to their credential (`binding`);
//! - tokens: opaque 256-bit values stored as SHA-256 hashes, bound to a
//!   grant (credential, audience, scopes); access tokens live an hour,
//!   refresh tokens 30 days and rotate, and a reused one revokes its grant;
//!   revocation (RFC 7009);
//! - the person's Odoo key, sealed by the `vault` under a key outside the
//!   store, erased when the grant or its credential is revoked.
//!
//! This room decides the protocol; the HTTP shapes (forms, redirects, the
//! consent page) are in `faces::oauth`, the Odoo check of a key and the
//! turning of an access token into a caller in `gateway`. What a scope
//! allows is `policy::scopes`.
//!
//! Off by default (`oauth_enabled`); served only while the public URL can
//! be an issuer (https, or http on loopback for tests).

mod binding;
pub mod clients;
mod flow;
pub mod grants;
pub mod records;
pub mod secrets;
pub mod vault;

/// How an OAuth event ended, as its audit entry says (the face names it).
pub use crate::audit::Outcome;
pub use binding::{ApprovalError, Person};
pub use clients::{ClientInfo, FetchOptions};
pub use flow::{AuthorizeError, AuthorizeRequest, ResolveError, Resolved, TokenError};
pub use grants::{Grants, SignupDecision};
pub use secrets::is_access_token;

use crate::audit::AuditEntry;
use crate::config::Settings;
use crate::rooms::Rooms;
use crate::vocab::ScopeSet;
use serde_json::{Value, json};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// Where the MCP endpoint lives under the public URL.
pub use crate::vocab::MCP_PATH;
/// The MCP endpoint's short alias.
pub const MCP_ALIAS: &str = "/mcp";
pub const AUTHORIZE_PATH: &str = "/alpenglow/oauth/authorize";
pub const TOKEN_PATH: &str = "/alpenglow/oauth/token";
pub const REGISTER_PATH: &str = "/alpenglow/oauth/register";
pub const REVOKE_PATH: &str = "/alpenglow/oauth/revoke";
pub const PRM_PATH: &str = "/.well-known/oauth-protected-resource";
pub const ASM_PATH: &str = "/.well-known/oauth-authorization-server";

/// Access tokens live this long.
pub const ACCESS_TTL_SECS: i64 = 3600;
/// Refresh tokens this long (each use replaces it with a new one).
pub const REFRESH_TTL_SECS: i64 = 30 * 24 * 3600;
/// Authorization codes this long.
pub const CODE_TTL_SECS: i64 = 300;

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct OAuthOptions {
    /// The boot config's `public_url`; None: the listener's own address.
    pub public_url: Option<String>,
    /// The vault's key file (see `BootConfig::oauth_key_path`).
    pub key_file: PathBuf,
    pub fetch: FetchOptions,
}

/// The authorization server. Cheap to clone.
#[derive(Clone)]
pub struct OAuth {
    inner: Arc<Inner>,
}

struct Inner {
    rooms: Rooms,
    base: OnceLock<String>,
    vault: vault::Vault,
    clients: clients::Registry,
    csrf: secrets::Csrf,
}

impl OAuth {
    pub fn new(rooms: Rooms, options: OAuthOptions) -> OAuth {
        let base = OnceLock::new();
        if let Some(url) = options.public_url {
            let _ = base.set(url.trim_end_matches('/').to_string());
        }
        let clients = clients::Registry::new(rooms.store().clone(), options.fetch);
        OAuth {
            inner: Arc::new(Inner {
                rooms,
                base,
                vault: vault::Vault::new(options.key_file),
                clients,
                csrf: secrets::Csrf::new(),
            }),
        }
    }

    /// The listener's address, used when no public URL was configured.
    pub fn set_default_base(&self, base_url: &str) {
        let _ = self.inner.base.set(base_url.trim_end_matches('/').to_string());
    }

    fn rooms(&self) -> &Rooms {
        &self.inner.rooms
    }

    pub fn grants(&self) -> Grants {
        Grants::new(self.rooms().store().clone())
    }

    pub fn vault(&self) -> &vault::Vault {
        &self.inner.vault
    }

    pub fn clients(&self) -> &clients::Registry {
        &self.inner.clients
    }

    pub fn csrf(&self) -> &secrets::Csrf {
        &self.inner.csrf
    }

    /// The public base URL (no trailing slash), once known.
    pub fn base(&self) -> &str {
        self.inner.base.get().map(String::as_str).unwrap_or_default()
    }

    /// Why OAuth is not served now, if it is not.
    pub fn inactive_reason(&self, settings: &Settings) -> Option<String> {
        if !settings.oauth.enabled {
            return Some("OAuth is off on this gateway (oauth_enabled); connect with an API key".into());
        }
        if self.base().is_empty() {
            return Some("OAuth has no public URL yet".into());
        }
        crate::config::settings::oauth_base_problem(self.base())
    }

    pub fn is_active(&self, settings: &Settings) -> bool {
        self.inactive_reason(settings).is_none()
    }

    pub fn issuer(&self) -> String {
        self.base().to_string()
    }

    /// The canonical URL of the MCP endpoint: the audience of every token.
    pub fn resource(&self) -> String {
        format!("{}{MCP_PATH}", self.base())
    }

    /// `resource` as a client may spell it (the alias, case of scheme and
    /// host, a trailing slash), normalised to the canonical URL; None when
    /// it names another resource.
    pub fn canonical_resource(&self, given: &str) -> Option<String> {
        let normalised = normalise_url(given);
        let canonical = self.resource();
        let alias = format!("{}{MCP_ALIAS}", self.base());
        (normalised == normalise_url(&canonical) || normalised == normalise_url(&alias)).then_some(canonical)
    }

    /// Where the metadata of the MCP endpoint at `mcp_path` is found.
    pub fn resource_metadata_url(&self, mcp_path: &str) -> String {
        let suffix = if mcp_path == MCP_ALIAS { MCP_ALIAS } else { MCP_PATH };
        format!("{}{PRM_PATH}{suffix}", self.base())
    }

    /// The scopes a 401 challenge asks for: all three; the person unticks
    /// what they do not want to give on the consent page.
    pub fn challenge_scope(&self) -> String {
        ScopeSet::all().to_text()
    }

    /// Protected Resource Metadata (RFC 9728) of the endpoint at `mcp_path`
    /// (`/alpenglow/mcp`, or `/mcp` for the alias).
    pub fn protected_resource_metadata(&self, mcp_path: &str) -> Value {
        let resource = format!("{}{mcp_path}", self.base());
        json!({
            "resource": resource,
            "authorization_servers": [self.issuer()],
            "scopes_supported": scopes_supported(),
            "bearer_methods_supported": ["header"],
            "resource_name": "Alpenglow (Odoo)",
        })
    }

    /// Authorization Server Metadata (RFC 8414).
    pub fn authorization_server_metadata(&self) -> Value {
        let base = self.base();
        json!({
            "issuer": self.issuer(),
            "authorization_endpoint": format!("{base}{AUTHORIZE_PATH}"),
            "token_endpoint": format!("{base}{TOKEN_PATH}"),
            "registration_endpoint": format!("{base}{REGISTER_PATH}"),
            "revocation_endpoint": format!("{base}{REVOKE_PATH}"),
            "scopes_supported": scopes_supported(),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
            "code_challenge_methods_supported": ["S256"],
            "client_id_metadata_document_supported": true,
            "authorization_response_iss_parameter_supported": true,
        })
    }

    /// Writes one audit entry for an OAuth event (never a token or a key).
    pub async fn audit(&self, event: Event) {
        let settings = self.rooms().catalog().settings().unwrap_or_default();
        tracing::info!(
            event = event.name,
            outcome = event.outcome.name(),
            credential = event.credential_id,
            uid = event.uid,
            ip = %event.ip,
            detail = %event.detail,
            "oauth"
        );
        if !settings.audit_logging {
            return;
        }
        let mut entry = AuditEntry::new("oauth", event.ip.to_string(), event.name);
        entry.credential_id = event.credential_id;
        entry.credential_label = event.credential_label;
        entry.uid = event.uid;
        entry.login = event.login;
        entry.outcome = event.outcome;
        entry.error = event.error;
        entry.fields = Some(event.detail);
        if let Err(e) = self.rooms().audit().record(entry).await {
            tracing::error!(error = %e, "audit entry not written");
        }
    }
}

fn scopes_supported() -> Vec<&'static str> {
    ScopeSet::all().iter().map(|s| s.as_str()).collect()
}

/// Lower-case scheme and host, no trailing slash.
fn normalise_url(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
            let path = if path.is_empty() { String::new() } else { format!("/{path}") };
            format!("{}://{}{path}", scheme.to_ascii_lowercase(), authority.to_ascii_lowercase())
        }
        None => url.to_string(),
    }
}

/// One OAuth event for the audit log and the journal.
#[derive(Debug, Clone)]
pub struct Event {
    /// `oauth.register`, `oauth.authorize`, `oauth.token`, `oauth.refresh`,
    /// `oauth.revoke`, `oauth.sign_in`, ...
    pub name: &'static str,
    pub ip: IpAddr,
    pub credential_id: Option<u64>,
    pub credential_label: Option<String>,
    pub uid: Option<i64>,
    pub login: Option<String>,
    pub outcome: Outcome,
    pub error: Option<String>,
    /// Client, scopes, grant: what an admin reading the log needs.
    pub detail: String,
}

impl Event {
    pub fn new(name: &'static str, ip: IpAddr, detail: impl Into<String>) -> Event {
        Event {
            name,
            ip,
            credential_id: None,
            credential_label: None,
            uid: None,
            login: None,
            outcome: Outcome::Ok,
            error: None,
            detail: detail.into(),
        }
    }

    pub fn refused(mut self, outcome: Outcome, error: impl Into<String>) -> Event {
        self.outcome = outcome;
        self.error = Some(crate::audit::summary::short(&error.into(), 300));
        self
    }

    pub fn grant(mut self, grant: &records::Grant) -> Event {
        self.credential_id = Some(grant.credential_id);
        self.uid = Some(grant.uid);
        self.login = Some(grant.login.clone());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn server(dir: &std::path::Path, base: &str) -> OAuth {
        let rooms = Rooms::new(Store::open(&dir.join("data")).unwrap(), Default::default());
        OAuth::new(
            rooms,
            OAuthOptions {
                public_url: Some(base.into()),
                key_file: dir.join("oauth.key"),
                fetch: FetchOptions::default(),
            },
        )
    }

    #[test]
    fn metadata_has_every_field_clients_need() {
        let dir = tempfile::tempdir().unwrap();
        let oauth = server(dir.path(), "https://alpenglow.example.com/");
        let asm = oauth.authorization_server_metadata();
        assert_eq!(asm["issuer"], "https://alpenglow.example.com");
        assert_eq!(asm["authorization_endpoint"], "https://alpenglow.example.com/alpenglow/oauth/authorize");
        assert_eq!(asm["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(asm["client_id_metadata_document_supported"], true);
        assert_eq!(asm["authorization_response_iss_parameter_supported"], true);
        assert!(asm["token_endpoint_auth_methods_supported"].as_array().unwrap().contains(&json!("none")));
        assert_eq!(asm["grant_types_supported"], json!(["authorization_code", "refresh_token"]));
        assert_eq!(asm["response_types_supported"], json!(["code"]));
        assert_eq!(asm["scopes_supported"], json!(["odoo.read", "odoo.write", "odoo.execute"]));
        for key in ["token_endpoint", "registration_endpoint", "revocation_endpoint"] {
            assert!(asm[key].as_str().unwrap().starts_with("https://alpenglow.example.com/alpenglow/oauth/"), "{key}");
        }
        let prm = oauth.protected_resource_metadata(MCP_PATH);
        assert_eq!(prm["resource"], "https://alpenglow.example.com/alpenglow/mcp");
        assert_eq!(prm["authorization_servers"], json!(["https://alpenglow.example.com"]));
        assert_eq!(
            oauth.resource_metadata_url("/mcp"),
            "https://alpenglow.example.com/.well-known/oauth-protected-resource/mcp"
        );
    }

    #[test]
    fn the_resource_must_be_this_mcp_endpoint() {
        let dir = tempfile::tempdir().unwrap();
        let oauth = server(dir.path(), "https://alpenglow.example.com");
        let canonical = Some("https://alpenglow.example.com/alpenglow/mcp".to_string());
        assert_eq!(oauth.canonical_resource("https://alpenglow.example.com/alpenglow/mcp"), canonical);
        assert_eq!(oauth.canonical_resource("HTTPS://Alpenglow.Example.com/alpenglow/mcp/"), canonical);
        assert_eq!(oauth.canonical_resource("https://alpenglow.example.com/mcp"), canonical);
        assert_eq!(oauth.canonical_resource("https://alpenglow.example.com"), None);
        assert_eq!(oauth.canonical_resource("https://evil.example/alpenglow/mcp"), None);
        assert_eq!(oauth.canonical_resource("https://alpenglow.example.com/alpenglow/api"), None);
    }

    #[test]
    fn oauth_is_served_only_when_on_and_the_public_url_can_be_an_issuer() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        let https = server(dir.path(), "https://alpenglow.example.com");
        assert!(https.inactive_reason(&settings).unwrap().contains("off"));
        settings.oauth.enabled = true;
        assert!(https.is_active(&settings));
        let dir2 = tempfile::tempdir().unwrap();
        let plain = server(dir2.path(), "http://alpenglow.example.com");
        assert!(plain.inactive_reason(&settings).unwrap().contains("https"));
        let dir3 = tempfile::tempdir().unwrap();
        assert!(server(dir3.path(), "http://127.0.0.1:8765").is_active(&settings));
    }
}
