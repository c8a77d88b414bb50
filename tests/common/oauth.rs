//! OAuth fixtures: the gateway with its authorization server in process
//! over a sandbox (so tests read the sandbox's ground truth), an HTTPS host
//! on loopback serving client metadata documents (with a test CA the
//! gateway is told to trust), and a browser's part of the flow over real
//! HTTP: registration, the consent page, the form, the token endpoint.

#![allow(dead_code)]

use super::http::{self, HttpResponse};
use super::inproc;
use alpenglow::admin::AdminService;
use alpenglow::gateway::{Gateway, UpstreamSlot};
use alpenglow::oauth::{FetchOptions, OAuth, OAuthOptions};
use alpenglow::sandbox::RunningSandbox;
use alpenglow::store::Store;
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

pub const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// A PKCE verifier and its S256 challenge (RFC 7636 appendix B).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub struct OAuthSetup {
    pub dir: tempfile::TempDir,
    pub sandbox: RunningSandbox,
    pub admin: AdminService,
    pub gateway: Gateway,
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`: issuer and public URL.
    pub base: String,
}

/// Options of [`start`].
#[derive(Default)]
pub struct Options {
    /// A CA the metadata document fetches trust (the tests' own).
    pub fetch_ca: Option<PathBuf>,
    /// How long a metadata document fetch may take (default 5 s).
    pub fetch_timeout: Option<std::time::Duration>,
    /// The Odoo the sandbox imitates (default 19).
    pub odoo: Option<alpenglow::sandbox::OdooVersion>,
}

/// A sandbox, a store with MCP and OAuth on, `res.partner` and `sale.order`
/// registered (read, create, write), full credentials for the sandbox's
/// `sales` user and read-only ones for its `viewer`, and the faces on a
/// free loopback port with the authorization server.
pub async fn start(options: Options) -> OAuthSetup {
    let sandbox = inproc::start_sandbox_on(options.odoo.unwrap_or_default()).await;
    let dir = tempfile::tempdir().unwrap();
    let admin = AdminService::new(Store::open(&dir.path().join("data")).unwrap(), Default::default());
    admin.set_setting("enable_mcp", "on").unwrap();
    admin.set_setting("oauth_enabled", "on").unwrap();
    let mut partner = alpenglow::config::ResourceDraft::new("res.partner", false);
    partner.operations = alpenglow::config::Operations { read: true, create: true, write: true, delete: false };
    partner.execute_methods = vec!["name_search".into()];
    admin.add_resources(vec![partner, alpenglow::config::ResourceDraft::new("sale.order", false)]).unwrap();
    for (role, scope) in [("sales", alpenglow::config::Scope::Full), ("viewer", alpenglow::config::Scope::ReadOnly)] {
        let user = sandbox.user(role).unwrap();
        admin
            .create_credential(alpenglow::config::CredentialDraft {
                label: format!("{role} by hand"),
                user_id: user.uid as u32,
                login: user.login,
                scope,
                expires_on: None,
                company_id: None,
                key: alpenglow::config::ApiKey::parse(&user.key).unwrap(),
            })
            .unwrap();
    }
    let oauth = OAuth::new(
        admin.rooms().clone(),
        OAuthOptions {
            public_url: None,
            key_file: dir.path().join("oauth.key"),
            fetch: FetchOptions {
                ca_file: options.fetch_ca,
                timeout: options.fetch_timeout.unwrap_or(FetchOptions::default().timeout),
                ..FetchOptions::default()
            },
        },
    );
    let gateway =
        Gateway::with_oauth(admin.rooms().clone(), UpstreamSlot::pinned(inproc::client(&sandbox).await), oauth);
    let addr = serve(&gateway).await;
    OAuthSetup { dir, sandbox, admin, gateway, addr, base: format!("http://{addr}") }
}

/// The faces over `gateway` on a free loopback port, until the runtime ends.
pub async fn serve(gateway: &Gateway) -> SocketAddr {
    let state = alpenglow::faces::FaceState { gateway: gateway.clone(), live: Default::default() };
    let listener = alpenglow::faces::Listener::bind("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(listener.serve(std::future::pending()));
    addr
}

impl OAuthSetup {
    pub fn resource(&self) -> String {
        format!("{}/alpenglow/mcp", self.base)
    }

    /// Another gateway over the same store whose public URL is `public_url`:
    /// a different resource (audience).
    pub async fn another_server(&self, public_url: &str) -> SocketAddr {
        let oauth = OAuth::new(
            self.admin.rooms().clone(),
            OAuthOptions {
                public_url: Some(public_url.into()),
                key_file: self.dir.path().join("oauth.key"),
                fetch: FetchOptions::default(),
            },
        );
        let gateway = Gateway::with_oauth(
            self.admin.rooms().clone(),
            UpstreamSlot::pinned(inproc::client(&self.sandbox).await),
            oauth,
        );
        serve(&gateway).await
    }

    /// One admin API call through `AdminClient` and `admin::dispatch`, as
    /// the CLI and the dashboard make it (on a thread of its own: the
    /// in-process client runs its own runtime).
    pub fn admin_call<C>(&self, call: C) -> alpenglow::admin::api::ApiResult<C::Answer>
    where
        C: alpenglow::admin::api::Call + Send + 'static,
        C::Answer: Send + 'static,
    {
        let admin = self.admin.clone();
        std::thread::spawn(move || {
            let context = alpenglow::admin::AdminContext::new(admin, UpstreamSlot::default(), None, "direct");
            alpenglow::admin_socket::AdminClient::in_process(context).unwrap().call(call)
        })
        .join()
        .unwrap()
    }

    /// The sandbox user of `role`: (uid, login, key).
    pub fn user(&self, role: &str) -> (i64, String, String) {
        let user = self.sandbox.user(role).unwrap();
        (user.uid, user.login, user.key)
    }

    /// The audit log's OAuth entries as JSON, oldest first.
    pub fn audit(&self) -> Vec<Value> {
        let query = alpenglow::audit::AuditQuery { limit: Some(1000), ..Default::default() };
        let page = self.admin.audit().query(&query).unwrap();
        let mut entries: Vec<Value> = page.entries.iter().map(|e| e.to_json()).collect();
        entries.reverse();
        entries
    }
}

fn from() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

pub async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
    http::request_from(from(), addr, "GET", path, headers, b"").await.expect("HTTP request")
}

pub async fn post_form(addr: SocketAddr, path: &str, pairs: &[(&str, &str)], headers: &[(&str, &str)]) -> HttpResponse {
    let body = form(pairs);
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    http::request_from(from(), addr, "POST", path, &all, body.as_bytes()).await.expect("HTTP request")
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Registers a client (DCR) with one redirect URI; its client_id.
pub async fn register(addr: SocketAddr, redirect: &str) -> String {
    let body = json!({"client_name": "Test client", "redirect_uris": [redirect]}).to_string();
    let response = http::request_from(
        from(),
        addr,
        "POST",
        "/alpenglow/oauth/register",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()["client_id"].as_str().unwrap().to_string()
}

/// An authorization request's query parameters, changed by `edit`.
pub fn authorize_params(client_id: &str, resource: &str, scope: &str) -> Vec<(String, String)> {
    [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("state", "st-123"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("resource", resource),
        ("scope", scope),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// What the consent page gave the browser: its form fields and cookie.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub fields: Vec<(String, String)>,
    pub cookie: Option<String>,
    pub body: String,
    pub location: Option<String>,
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// The `name`/`value` of every hidden input.
fn hidden_fields(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for tag in body.split("<input").skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        if !tag.contains("type=\"hidden\"") {
            continue;
        }
        let attr = |name: &str| {
            let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
            let end = tag[start..].find('"')? + start;
            Some(unescape(&tag[start..end]))
        };
        if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
            out.push((n, v));
        }
    }
    out
}

/// GET the authorization endpoint as a browser would.
pub async fn consent_page(addr: SocketAddr, params: &[(String, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let response = get(addr, &format!("/alpenglow/oauth/authorize?{}", form(&pairs)), &[]).await;
    let cookie = response
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.split(';').next().map(str::to_string));
    let body = response.text();
    Page {
        status: response.status,
        fields: hidden_fields(&body),
        cookie,
        body,
        location: response.header("location").map(str::to_string),
    }
}

/// Submits the consent form: `decision` approve or deny, the ticked scopes.
pub async fn submit(
    addr: SocketAddr,
    page: &Page,
    login: &str,
    key: &str,
    scopes: &[&str],
    decision: &str,
) -> HttpResponse {
    let mut pairs: Vec<(&str, &str)> = page.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    pairs.push(("login", login));
    pairs.push(("api_key", key));
    pairs.push(("decision", decision));
    for scope in scopes {
        pairs.push(("grant_scope", scope));
    }
    let cookie = page.cookie.clone().unwrap_or_default();
    post_form(addr, "/alpenglow/oauth/authorize", &pairs, &[("Cookie", cookie.as_str())]).await
}

/// The query parameters of a redirect's `Location`.
pub fn redirect_params(location: &str) -> Vec<(String, String)> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Registration, consent and approval as `role` with `scopes`: the code.
pub async fn code_for(setup: &OAuthSetup, client_id: &str, role: &str, scopes: &[&str]) -> String {
    let (_, login, key) = setup.user(role);
    let page = consent_page(setup.addr, &authorize_params(client_id, &setup.resource(), &scopes.join(" "))).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let approved = submit(setup.addr, &page, &login, &key, scopes, "approve").await;
    assert_eq!(approved.status, 303, "{}", approved.text());
    let params = redirect_params(approved.header("location").unwrap());
    param(&params, "code").unwrap_or_else(|| panic!("no code in {params:?}")).to_string()
}

/// The code exchanged at the token endpoint.
pub async fn exchange(addr: SocketAddr, client_id: &str, code: &str, verifier: &str, resource: &str) -> HttpResponse {
    post_form(
        addr,
        "/alpenglow/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("resource", resource),
        ],
        &[],
    )
    .await
}

/// The whole flow: (client_id, access token, refresh token).
pub async fn tokens_for(setup: &OAuthSetup, role: &str, scopes: &[&str]) -> (String, String, String) {
    let client_id = register(setup.addr, REDIRECT).await;
    let code = code_for(setup, &client_id, role, scopes).await;
    let answer = exchange(setup.addr, &client_id, &code, VERIFIER, &setup.resource()).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let body = answer.json();
    (client_id, body["access_token"].as_str().unwrap().into(), body["refresh_token"].as_str().unwrap().into())
}

/// A refresh at the token endpoint.
pub async fn refresh(addr: SocketAddr, client_id: &str, refresh_token: &str) -> HttpResponse {
    post_form(
        addr,
        "/alpenglow/oauth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", client_id)],
        &[],
    )
    .await
}

/// A direct JSON-RPC call of an operation on the MCP endpoint with `token`.
/// An empty `token` sends no `Authorization` header.
pub async fn call(addr: SocketAddr, token: &str, method: &str, params: Value) -> HttpResponse {
    let auth = format!("Bearer {token}");
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let headers: &[(&str, &str)] = if token.is_empty() { &[] } else { &[("Authorization", auth.as_str())] };
    http::mcp_post(addr, headers, &body).await
}

/// An MCP `tools/call` in the 2026-07-28 era (stateless), with `token`.
pub async fn tool_call(addr: SocketAddr, token: &str, name: &str, arguments: Value) -> HttpResponse {
    let auth = format!("Bearer {token}");
    let body = json!({
        "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": name, "arguments": arguments,
                   "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                             "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
                             "io.modelcontextprotocol/clientCapabilities": {}}}
    });
    let headers = [
        ("Authorization", auth.as_str()),
        ("Accept", "application/json, text/event-stream"),
        ("MCP-Protocol-Version", "2026-07-28"),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", name),
    ];
    http::mcp_post(addr, &headers, &body).await
}

/// A test CA and an HTTPS server on loopback serving JSON documents by path.
pub struct MetadataHost {
    pub addr: SocketAddr,
    pub ca_file: PathBuf,
    hits: Arc<std::sync::atomic::AtomicU64>,
    /// Path, body, and how long to wait before answering.
    documents: Arc<std::sync::Mutex<Vec<(String, String, std::time::Duration)>>>,
}

impl MetadataHost {
    pub async fn start(dir: &std::path::Path) -> MetadataHost {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Alpenglow OAuth test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap()).unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &ca).unwrap();
        let ca_file = dir.join("metadata-ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        let certs = vec![rustls_pki_types::CertificateDer::from(cert.der().to_vec())];
        let private = rustls_pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, private)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let documents: Arc<std::sync::Mutex<Vec<(String, String, std::time::Duration)>>> = Default::default();
        let (task_hits, task_docs) = (hits.clone(), documents.clone());
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            loop {
                let Ok((tcp, _)) = listener.accept().await else { return };
                let acceptor = acceptor.clone();
                let (hits, docs) = (task_hits.clone(), task_docs.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    let mut buf = vec![0u8; 8192];
                    let mut read = 0;
                    while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") && read < buf.len() {
                        match tls.read(&mut buf[read..]).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => read += n,
                        }
                    }
                    hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let head = String::from_utf8_lossy(&buf[..read]).into_owned();
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let found =
                        docs.lock().unwrap().iter().find(|(p, _, _)| *p == path).map(|(_, b, d)| (b.clone(), *d));
                    let (status, body) = match found {
                        Some((body, delay)) => {
                            tokio::time::sleep(delay).await;
                            ("200 OK", body)
                        }
                        None => ("404 Not Found", "{}".to_string()),
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(response.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        MetadataHost { addr, ca_file, hits, documents }
    }

    /// `https://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    /// Serves `document` at `path`.
    pub fn put(&self, path: &str, document: &Value) {
        self.put_slow(path, document, std::time::Duration::ZERO);
    }

    /// Serves `document` at `path` after `delay`.
    pub fn put_slow(&self, path: &str, document: &Value, delay: std::time::Duration) {
        self.documents.lock().unwrap().push((path.to_string(), document.to_string(), delay));
    }

    /// Requests received so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}
