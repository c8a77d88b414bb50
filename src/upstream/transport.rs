//! HTTP transport to Odoo: one pooled hyper client, TLS by rustls, timeouts
//! and a cap on in-flight calls.
//!
//! hyper-util's legacy `Client` keeps connections alive and reuses them (Odoo
//! behind a proxy usually allows keep-alive; werkzeug alone closes, and the
//! pool copes). The whole exchange, including waiting for a permit and reading
//! the body, runs under the request timeout, so a stalled Odoo can never hold
//! a caller longer than configured.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio::sync::Semaphore;

use super::error::{Result, UpstreamError};

/// Which trust anchors verify Odoo's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RootStore {
    /// Mozilla's roots compiled in (webpki-roots): same behaviour on every host.
    #[default]
    Webpki,
    /// The operating system's store (rustls-native-certs), for in-house CAs
    /// already installed system-wide.
    Native,
}

/// Transport settings.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// `http://host:port` or `https://host[/prefix]`.
    pub base_url: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub roots: RootStore,
    /// Extra PEM CA certificates (a private CA for Odoo), added to `roots`.
    pub ca_file: Option<std::path::PathBuf>,
    /// Calls to Odoo in flight at once; more wait for a permit.
    pub max_in_flight: usize,
    /// Largest response body read (a guard against runaway answers).
    pub max_response_bytes: usize,
}

impl TransportConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        TransportConfig {
            base_url: base_url.into(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            roots: RootStore::default(),
            ca_file: None,
            max_in_flight: 32,
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

/// One HTTP answer, whatever its status.
#[derive(Debug, Clone)]
pub struct HttpReply {
    pub status: u16,
    pub content_type: String,
    /// All response headers (the bridge reads `X-RateLimit-Reset`).
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl HttpReply {
    pub fn is_json(&self) -> bool {
        self.content_type.starts_with("application/json")
    }
}

/// A cheap-to-clone handle on the pooled client.
#[derive(Clone)]
pub struct Transport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    base: String,
    request_timeout: Duration,
    permits: Arc<Semaphore>,
    max_response_bytes: usize,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").field("base", &self.base).finish_non_exhaustive()
    }
}

impl Transport {
    pub fn new(cfg: &TransportConfig) -> Result<Self> {
        let base = cfg.base_url.trim().trim_end_matches('/').to_owned();
        let uri: Uri = base.parse().map_err(|_| UpstreamError::Config(format!("invalid Odoo URL {base:?}")))?;
        match uri.scheme_str() {
            Some("http" | "https") if uri.host().is_some() => {}
            _ => return Err(UpstreamError::Config(format!("Odoo URL must be http(s)://host[:port], got {base:?}"))),
        }
        if uri.query().is_some() {
            return Err(UpstreamError::Config("Odoo URL must not carry a query".into()));
        }
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(cfg.connect_timeout));
        let tls = tls_config(cfg.roots, cfg.ca_file.as_deref())?;
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(https);
        Ok(Transport {
            client,
            base,
            request_timeout: cfg.request_timeout,
            permits: Arc::new(Semaphore::new(cfg.max_in_flight.max(1))),
            max_response_bytes: cfg.max_response_bytes,
        })
    }

    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// POSTs `body` to `path`. `headers` values marked sensitive stay out of
    /// hyper's debug output (the Authorization header).
    pub async fn post(
        &self,
        path: &str,
        content_type: &str,
        headers: Vec<(HeaderName, HeaderValue)>,
        body: Vec<u8>,
    ) -> Result<HttpReply> {
        self.send(Method::POST, path, Some(content_type), headers, Bytes::from(body)).await
    }

    pub async fn get(&self, path: &str) -> Result<HttpReply> {
        self.send(Method::GET, path, None, Vec::new(), Bytes::new()).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        headers: Vec<(HeaderName, HeaderValue)>,
        body: Bytes,
    ) -> Result<HttpReply> {
        let uri: Uri = format!("{}{}", self.base, path)
            .parse()
            .map_err(|_| UpstreamError::Config(format!("invalid request path {path:?}")))?;
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header(USER_AGENT, concat!("alpenglow/", env!("CARGO_PKG_VERSION")))
            .header(ACCEPT, "application/json, text/xml;q=0.9, */*;q=0.1");
        if let Some(ct) = content_type {
            builder = builder.header(CONTENT_TYPE, ct);
        }
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let req = builder.body(Full::new(body)).map_err(|e| UpstreamError::Config(e.to_string()))?;

        let exchange = async {
            let _permit =
                self.permits.acquire().await.map_err(|_| UpstreamError::Unreachable("client shut down".into()))?;
            let resp = self.client.request(req).await.map_err(map_client_error)?;
            let status = resp.status().as_u16();
            let content_type =
                resp.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
            let headers = resp.headers().clone();
            let body = Limited::new(resp.into_body(), self.max_response_bytes)
                .collect()
                .await
                .map_err(|e| UpstreamError::BadResponse(format!("reading the body failed: {e}")))?
                .to_bytes();
            Ok(HttpReply { status, content_type, headers, body })
        };
        let started = std::time::Instant::now();
        let reply = tokio::time::timeout(self.request_timeout, exchange)
            .await
            .map_err(|_| UpstreamError::Timeout(self.request_timeout))
            .and_then(|r| r);
        let error = match &reply {
            Ok(r) if r.status >= 500 => Some("http_5xx"),
            Ok(r) if r.status >= 400 => Some("http_4xx"),
            Ok(_) => None,
            Err(UpstreamError::Timeout(_)) => Some("timeout"),
            Err(UpstreamError::Tls(_)) => Some("tls"),
            Err(UpstreamError::Unreachable(_)) => Some("unreachable"),
            Err(_) => Some("bad_response"),
        };
        crate::metrics::global().record_upstream(started.elapsed(), error);
        reply
    }
}

/// rustls client config with the ring provider (no C toolchain needed, unlike
/// aws-lc-rs) and the chosen roots plus the optional CA file.
fn tls_config(roots: RootStore, ca_file: Option<&Path>) -> Result<rustls::ClientConfig> {
    let mut store = rustls::RootCertStore::empty();
    match roots {
        RootStore::Webpki => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        RootStore::Native => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = store.add_parsable_certificates(found.certs);
            if added == 0 && ca_file.is_none() {
                return Err(UpstreamError::Config("no usable certificate in the system trust store".into()));
            }
        }
    }
    if let Some(path) = ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| UpstreamError::Config(format!("CA file {}: {e}", path.display())))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| UpstreamError::Config(format!("CA file {}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(UpstreamError::Config(format!("CA file {} holds no certificate", path.display())));
        }
        for cert in certs {
            store.add(cert).map_err(|e| UpstreamError::Config(format!("CA file {}: {e}", path.display())))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| UpstreamError::Tls(e.to_string()))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(config)
}

/// Sorts a hyper client error into Unreachable / Tls / BadResponse from its
/// source chain.
fn map_client_error(err: hyper_util::client::legacy::Error) -> UpstreamError {
    let mut detail = err.to_string();
    let mut source = std::error::Error::source(&err);
    if let Some(s) = source {
        detail = format!("{detail}: {s}");
    }
    let mut io_kind = None;
    while let Some(s) = source {
        if let Some(t) = find_rustls(s) {
            return UpstreamError::Tls(t);
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        source = s.source();
    }
    if err.is_connect() {
        return match io_kind {
            Some(std::io::ErrorKind::ConnectionRefused) => UpstreamError::Unreachable("connection refused".into()),
            Some(std::io::ErrorKind::TimedOut) => UpstreamError::Unreachable("connect timed out".into()),
            _ => UpstreamError::Unreachable(detail),
        };
    }
    UpstreamError::BadResponse(detail)
}

/// A rustls error inside `e`, looking through nested `io::Error` wrappers
/// (hyper-rustls wraps tokio-rustls's io::Error in another, and
/// `io::Error::source` skips the wrapped error itself).
fn find_rustls(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(t) = e.downcast_ref::<rustls::Error>() {
        return Some(t.to_string());
    }
    let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    find_rustls(inner)
}
