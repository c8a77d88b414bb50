//! Who is asking: OAuth clients, registered either way MCP allows.
//!
//! - **Client ID Metadata Documents**: the `client_id` is an `https://` URL
//!   whose JSON document names the client and its redirect URIs. It is
//!   fetched only from hosts on the admin's list (`oauth_client_hosts`; a
//!   host covers its subdomains), with a time and size cap, no redirects,
//!   and cached; its `client_id` must equal the URL exactly. So the gateway
//!   cannot be made to fetch from anywhere else.
//! - **Dynamic Client Registration** (RFC 7591, still used by Cursor and
//!   older clients): public clients only (`token_endpoint_auth_method:
//!   none`), a capped number per client IP per hour, kept in the store.

use super::records::RegisteredClient;
use super::secrets;
use crate::store::Store;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// A client as the authorization flow needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    pub client_id: String,
    pub name: String,
    /// Where it lives, for the consent page and the admin's lists.
    pub host: String,
    pub redirect_uris: Vec<String>,
    /// Its name was vouched for by its own host (metadata document), not
    /// self-asserted (registration).
    pub verified: bool,
}

/// Why a client cannot be used. The message is for the person on the
/// consent page (never redirected: the redirect URI is not trusted yet).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ClientError(pub String);

/// Caps of a metadata document fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub timeout: Duration,
    pub max_bytes: usize,
    /// Extra CA certificates to trust (a private CA; the tests' own).
    pub ca_file: Option<PathBuf>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions { timeout: Duration::from_secs(5), max_bytes: 64 * 1024, ca_file: None }
    }
}

/// Registrations one client IP may make per hour.
pub const REGISTRATIONS_PER_HOUR: usize = 20;
/// How long a fetched document is trusted.
const CACHE_TTL: Duration = Duration::from_secs(10 * 60);
/// How long a failed fetch is remembered, so a bad client_id cannot make
/// the gateway hammer a host.
const FAILURE_TTL: Duration = Duration::from_secs(30);
const CACHE_MAX: usize = 512;

/// A fetched document (or why it could not be used), and when.
type Cached = (Instant, Result<ClientInfo, ClientError>);

/// Registered clients, metadata documents and the registration cap.
pub struct Registry {
    store: Store,
    fetch: FetchOptions,
    cache: Mutex<HashMap<String, Cached>>,
    registrations: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Registry {
    pub fn new(store: Store, fetch: FetchOptions) -> Registry {
        Registry { store, fetch, cache: Mutex::new(HashMap::new()), registrations: Mutex::new(HashMap::new()) }
    }

    /// The client behind `client_id`: a registered one, or a metadata
    /// document fetched from an allowed host.
    pub async fn find(&self, client_id: &str, allowed_hosts: &[String]) -> Result<ClientInfo, ClientError> {
        if client_id.starts_with("https://") || client_id.starts_with("http://") {
            return self.metadata_document(client_id, allowed_hosts).await;
        }
        let registered = self
            .store
            .table::<RegisteredClient>()
            .and_then(|t| t.get(client_id))
            .map_err(|e| ClientError(format!("the store cannot be read: {e}")))?;
        match registered {
            Some(client) => Ok(ClientInfo {
                host: display_host(client.redirect_uris.first().map(String::as_str).unwrap_or_default()),
                client_id: client.client_id,
                name: client.client_name,
                redirect_uris: client.redirect_uris,
                verified: false,
            }),
            None => Err(ClientError(format!(
                "unknown client_id {:?}: the client must register first (or use a client metadata document URL)",
                shorten(client_id)
            ))),
        }
    }

    async fn metadata_document(&self, url: &str, allowed_hosts: &[String]) -> Result<ClientInfo, ClientError> {
        let host = metadata_url_host(url)?;
        if !host_allowed(&host, allowed_hosts) {
            return Err(ClientError(format!(
                "client metadata documents are not fetched from {host}; an admin can add it to oauth_client_hosts (alpenglow settings set oauth_client_hosts ...)"
            )));
        }
        if let Some(cached) = self.cached(url) {
            return cached;
        }
        let result = self.fetch_document(url, &host).await;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_MAX {
            cache.retain(|_, (at, entry)| at.elapsed() < if entry.is_ok() { CACHE_TTL } else { FAILURE_TTL });
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(url.to_string(), (Instant::now(), result.clone()));
        result
    }

    fn cached(&self, url: &str) -> Option<Result<ClientInfo, ClientError>> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let (at, entry) = cache.get(url)?;
        let ttl = if entry.is_ok() { CACHE_TTL } else { FAILURE_TTL };
        (at.elapsed() < ttl).then(|| entry.clone())
    }

    async fn fetch_document(&self, url: &str, host: &str) -> Result<ClientInfo, ClientError> {
        let (origin, path) = split_origin(url);
        let mut config = crate::upstream::TransportConfig::new(origin);
        config.connect_timeout = self.fetch.timeout;
        config.request_timeout = self.fetch.timeout;
        config.max_response_bytes = self.fetch.max_bytes;
        config.ca_file = self.fetch.ca_file.clone();
        config.max_in_flight = 4;
        let transport = crate::upstream::Transport::new(&config).map_err(|e| ClientError(e.to_string()))?;
        let reply = transport
            .get(path)
            .await
            .map_err(|e| ClientError(format!("the client metadata document {url} could not be fetched: {e}")))?;
        if reply.status != 200 {
            return Err(ClientError(format!(
                "the client metadata document {url} answered HTTP {} (redirects are not followed)",
                reply.status
            )));
        }
        let document: Value = serde_json::from_slice(&reply.body)
            .map_err(|e| ClientError(format!("the client metadata document {url} is not JSON: {e}")))?;
        let info = parse_document(url, host, &document)?;
        tracing::debug!(client_id = url, "fetched a client metadata document");
        Ok(info)
    }

    /// Registers a client (RFC 7591 §2). `Err` is the error object of §3.2.2.
    pub fn register(&self, request: &Value, ip: IpAddr) -> Result<(RegisteredClient, Value), Value> {
        let Some(request) = request.as_object() else {
            return Err(registration_error("invalid_client_metadata", "the body must be a JSON object"));
        };
        let uris = match request.get("redirect_uris") {
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= 10 => items,
            _ => {
                return Err(registration_error(
                    "invalid_redirect_uri",
                    "redirect_uris must be a list of 1 to 10 redirect URIs",
                ));
            }
        };
        let mut redirect_uris = Vec::new();
        for uri in uris {
            let Some(uri) = uri.as_str() else {
                return Err(registration_error("invalid_redirect_uri", "each redirect URI must be a string"));
            };
            if let Some(problem) = redirect_uri_problem(uri) {
                return Err(registration_error("invalid_redirect_uri", &format!("{uri:?}: {problem}")));
            }
            redirect_uris.push(uri.to_string());
        }
        let grant_types = match request.get("grant_types") {
            None | Some(Value::Null) => vec!["authorization_code".to_string(), "refresh_token".to_string()],
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(g @ ("authorization_code" | "refresh_token")) => out.push(g.to_string()),
                        _ => {
                            return Err(registration_error(
                                "invalid_client_metadata",
                                "grant_types may hold only authorization_code and refresh_token",
                            ));
                        }
                    }
                }
                out
            }
            Some(_) => return Err(registration_error("invalid_client_metadata", "grant_types must be a list")),
        };
        if let Some(types) = request.get("response_types").and_then(Value::as_array)
            && types.iter().any(|t| t.as_str() != Some("code"))
        {
            return Err(registration_error("invalid_client_metadata", "response_types may only be [\"code\"]"));
        }
        let client_name = match request.get("client_name") {
            None | Some(Value::Null) => "an unnamed client".to_string(),
            Some(Value::String(name)) if !name.trim().is_empty() => clean_name(name),
            Some(_) => return Err(registration_error("invalid_client_metadata", "client_name must be text")),
        };
        self.admit_registration(ip)?;
        let client = RegisteredClient {
            client_id: secrets::new_client_id(),
            client_name,
            redirect_uris,
            grant_types,
            registered_at: OffsetDateTime::now_utc(),
            registered_ip: ip.to_string(),
        };
        let store_error = |e: crate::store::StoreError| registration_error("server_error", &e.to_string());
        self.store
            .table::<RegisteredClient>()
            .and_then(|t| t.insert(&client.client_id, &client))
            .map_err(store_error)?;
        self.store.flush().map_err(store_error)?;
        let answer = json!({
            "client_id": client.client_id,
            "client_id_issued_at": client.registered_at.unix_timestamp(),
            "client_name": client.client_name,
            "redirect_uris": client.redirect_uris,
            "grant_types": client.grant_types,
            "response_types": ["code"],
            // Public clients only: whatever was asked, no secret is issued.
            "token_endpoint_auth_method": "none",
        });
        Ok((client, answer))
    }

    /// The per-IP registration cap (an IPv6 client counts by its /64).
    fn admit_registration(&self, ip: IpAddr) -> Result<(), Value> {
        let key = crate::limits::budget_ip(ip);
        let mut registrations = self.registrations.lock().unwrap_or_else(|p| p.into_inner());
        if registrations.len() > 10_000 {
            registrations.retain(|_, times| times.back().is_some_and(|t| t.elapsed() < Duration::from_secs(3600)));
        }
        let times = registrations.entry(key).or_default();
        while times.front().is_some_and(|t| t.elapsed() >= Duration::from_secs(3600)) {
            times.pop_front();
        }
        if times.len() >= REGISTRATIONS_PER_HOUR {
            return Err(registration_error(
                "too_many_registrations",
                &format!(
                    "at most {REGISTRATIONS_PER_HOUR} client registrations per hour from one address; retry later"
                ),
            ));
        }
        times.push_back(Instant::now());
        Ok(())
    }
}

pub fn registration_error(error: &str, description: &str) -> Value {
    json!({"error": error, "error_description": description})
}

/// Why `uri` cannot be a redirect URI, if it cannot: an absolute URI
/// without a fragment; `https`, `http` only to this computer (loopback, RFC
/// 8252), or an app's own scheme (`cursor://...`); never a scheme that runs
/// or reads something in the browser.
pub fn redirect_uri_problem(uri: &str) -> Option<&'static str> {
    if uri.len() > 2000 || uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("is too long or holds spaces or control characters");
    }
    let Some((scheme, rest)) = uri.split_once(':') else { return Some("is not an absolute URI") };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() {
        return Some("is not an absolute URI");
    }
    if uri.contains('#') {
        return Some("must not have a fragment");
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => (host_of(rest).is_none()).then_some("has no host"),
        "http" => match host_of(rest) {
            Some(host) if is_loopback(&host) => None,
            _ => Some("http:// is allowed only to this computer (127.0.0.1, [::1] or localhost); use https"),
        },
        "javascript" | "data" | "file" | "vbscript" | "about" | "blob" | "ftp" | "ws" | "wss" | "mailto" => {
            Some("this scheme is not allowed for redirects")
        }
        _ => None,
    }
}

/// The host of `//host[:port]/...` (lower-case, brackets kept off).
fn host_of(rest: &str) -> Option<String> {
    let authority = rest.strip_prefix("//")?.split(['/', '?']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let host = if let Some(inner) = authority.strip_prefix('[') {
        inner.split(']').next()?.to_string()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h).to_string()
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Where a client lives, by a redirect URI: `claude.ai`, `this computer`,
/// or an app's scheme (`cursor://`).
fn display_host(uri: &str) -> String {
    let scheme = uri.split_once(':').map_or("", |(s, _)| s);
    match host_of(uri.split_once(':').map_or("", |(_, r)| r)) {
        Some(host) if is_loopback(&host) => "this computer (a local app)".to_string(),
        Some(host) if matches!(scheme, "http" | "https") => host,
        _ => format!("the app that handles {scheme}:// links"),
    }
}

/// The host of a client metadata document URL, or why the URL cannot be
/// one: `https`, a host, a path other than `/`, no query, fragment or user.
fn metadata_url_host(url: &str) -> Result<String, ClientError> {
    let refuse =
        |why: &str| ClientError(format!("client_id {:?} is not a usable metadata document URL: {why}", shorten(url)));
    let Some(rest) = url.strip_prefix("https://") else { return Err(refuse("it must be https://")) };
    if url.len() > 2000 || url.contains(['#', '?']) || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse("it must not hold a query, a fragment or spaces"));
    }
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    if path.is_empty() {
        return Err(refuse("it needs a path (such as /oauth/client.json)"));
    }
    if authority.contains('@') {
        return Err(refuse("it must not carry a user name"));
    }
    host_of(&format!("//{authority}/")).ok_or_else(|| refuse("it has no host"))
}

/// Whether `host` is on the list (itself, or a subdomain of an entry).
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    allowed.iter().any(|entry| host == *entry || host.ends_with(&format!(".{entry}")))
}

/// `https://host[:port]` and the path (from `/`) of a URL.
fn split_origin(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url.split_at(after_scheme + i),
        None => (url, "/"),
    }
}

/// Checks a fetched document (draft-ietf-oauth-client-id-metadata-document).
fn parse_document(url: &str, host: &str, document: &Value) -> Result<ClientInfo, ClientError> {
    let refuse = |why: String| ClientError(format!("the client metadata document {url} {why}"));
    let Some(document) = document.as_object() else { return Err(refuse("is not a JSON object".into())) };
    match document.get("client_id").and_then(Value::as_str) {
        Some(id) if id == url => {}
        Some(id) => return Err(refuse(format!("names another client_id ({:?}); it must be its own URL", shorten(id)))),
        None => return Err(refuse("has no client_id".into())),
    }
    let redirect_uris: Vec<String> = match document.get("redirect_uris").and_then(Value::as_array) {
        Some(items) if !items.is_empty() => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => return Err(refuse("has no redirect_uris".into())),
    };
    if let Some(bad) = redirect_uris.iter().find(|u| redirect_uri_problem(u).is_some()) {
        return Err(refuse(format!("lists an unusable redirect URI {bad:?}")));
    }
    match document.get("token_endpoint_auth_method").and_then(Value::as_str) {
        None | Some("none") => {}
        Some(other) => {
            return Err(refuse(format!(
                "asks for token_endpoint_auth_method {other:?}; only public clients (\"none\") are supported"
            )));
        }
    }
    let name = document.get("client_name").and_then(Value::as_str).filter(|n| !n.trim().is_empty());
    Ok(ClientInfo {
        client_id: url.to_string(),
        name: name.map(clean_name).unwrap_or_else(|| host.to_string()),
        host: host.to_string(),
        redirect_uris,
        verified: true,
    })
}

/// A client name fit to show: control characters dropped, at most 100 characters.
fn clean_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(100).collect::<String>().trim().to_string()
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= 120 {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(120).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_loopback_or_an_apps_own_scheme() {
        for good in [
            "https://claude.ai/api/mcp/auth_callback",
            "http://127.0.0.1:33418/callback",
            "http://localhost:6274/oauth/callback",
            "http://[::1]:8080/cb",
            "cursor://anysphere.cursor-retrieval/oauth/user-callback",
        ] {
            assert_eq!(redirect_uri_problem(good), None, "{good}");
        }
        for bad in [
            "http://evil.example/cb",
            "javascript:alert(1)",
            "data:text/html,x",
            "https://claude.ai/cb#frag",
            "/relative",
            "https:///nohost",
            "https://a b/",
        ] {
            assert!(redirect_uri_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn metadata_urls_and_the_host_allowlist() {
        assert_eq!(metadata_url_host("https://claude.ai/oauth/meta.json").unwrap(), "claude.ai");
        assert_eq!(metadata_url_host("https://127.0.0.1:4443/client.json").unwrap(), "127.0.0.1");
        assert!(metadata_url_host("http://claude.ai/oauth/meta.json").is_err());
        assert!(metadata_url_host("https://claude.ai").is_err());
        assert!(metadata_url_host("https://claude.ai/").is_err());
        assert!(metadata_url_host("https://claude.ai/x?y=1").is_err());
        assert!(metadata_url_host("https://user@claude.ai/x").is_err());
        let allowed = vec!["claude.ai".to_string(), "openai.com".to_string()];
        assert!(host_allowed("claude.ai", &allowed));
        assert!(host_allowed("auth.openai.com", &allowed));
        assert!(!host_allowed("evilclaude.ai", &allowed));
        assert!(!host_allowed("claude.ai.evil.example", &allowed));
        assert_eq!(split_origin("https://h:1/a/b.json"), ("https://h:1", "/a/b.json"));
    }

    #[test]
    fn a_document_must_name_itself_and_list_its_redirects() {
        let url = "https://claude.ai/oauth/meta.json";
        let ok = json!({"client_id": url, "client_name": "Claude", "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"]});
        let info = parse_document(url, "claude.ai", &ok).unwrap();
        assert_eq!((info.name.as_str(), info.verified), ("Claude", true));
        let other = json!({"client_id": "https://claude.ai/other.json", "redirect_uris": ["https://claude.ai/cb"]});
        assert!(parse_document(url, "claude.ai", &other).unwrap_err().0.contains("names another client_id"));
        let none = json!({"client_id": url, "redirect_uris": []});
        assert!(parse_document(url, "claude.ai", &none).is_err());
        let secret = json!({"client_id": url, "redirect_uris": ["https://claude.ai/cb"], "token_endpoint_auth_method": "private_key_jwt"});
        assert!(parse_document(url, "claude.ai", &secret).is_err());
    }

    #[test]
    fn registration_checks_the_metadata_and_caps_each_address() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::new(Store::open(dir.path()).unwrap(), FetchOptions::default());
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let body = json!({"client_name": "Cursor", "redirect_uris": ["cursor://anysphere.cursor-retrieval/oauth/user-callback"], "token_endpoint_auth_method": "client_secret_basic"});
        let (client, answer) = registry.register(&body, ip).unwrap();
        assert_eq!(answer["token_endpoint_auth_method"], "none");
        assert!(answer.get("client_secret").is_none());
        assert!(client.client_id.starts_with(secrets::CLIENT_PREFIX));
        let bad = json!({"redirect_uris": ["http://evil.example/cb"]});
        assert_eq!(registry.register(&bad, ip).unwrap_err()["error"], "invalid_redirect_uri");
        for _ in 1..REGISTRATIONS_PER_HOUR {
            registry.register(&body, ip).unwrap();
        }
        assert_eq!(registry.register(&body, ip).unwrap_err()["error"], "too_many_registrations");
        assert!(registry.register(&body, "192.0.2.10".parse().unwrap()).is_ok());
    }
}
