//! The sandbox's HTTP listener and router: one hyper HTTP/1 server for every
//! protocol, Odoo's web routes (`/web/version`, `/web/webclient/version_info`,
//! `/web/database/list`, `/web?db=`), its HTML error pages, and the optional
//! delay before each response.

use super::{OdooVersion, Shared, json2, jsonrpc, xmlrpc};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub type Resp = Response<Full<Bytes>>;

/// Bodies above this are refused (no real Odoo call is near it).
const MAX_BODY: usize = 16 * 1024 * 1024;

pub const JSON: &str = "application/json; charset=utf-8";
pub const HTML: &str = "text/html; charset=utf-8";

/// Odoo 19's page for a request that selects no known database.
pub const NO_DATABASE_PAGE: &str = "<!DOCTYPE html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>No database is selected and the requested URL was not found in the server-wide controllers.</p>\n<p>Please verify the hostname, <a href=/web/login>login</a> and try again.</p>\n\n<!-- Alternatively, use the X-Odoo-Database header. -->\n";

/// werkzeug's 415 page, as Odoo 19 sends it for a non-JSON body on JSON-2.
pub const UNSUPPORTED_MEDIA_PAGE: &str = "<!doctype html>\n<html lang=en>\n<title>415 Unsupported Media Type</title>\n<h1>Unsupported Media Type</h1>\n<p>Request inferred type is compatible with [&#39;http&#39;] but &#39;/json/2/&lt;__model__&gt;/&lt;__method__&gt;&#39; is type=&#39;json2&#39;.<br><br>Please verify the Content-Type request header and try again.</p>\n";

/// The website 404 page Odoo 17 answers for routes it does not have.
const WEBSITE_404_PAGE: &str = "<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset=\"utf-8\"/>\n        <title>Odoo</title>\n    </head>\n    <body>\n        <div id=\"wrapwrap\">\n            <main>\n                <h1>404: Page not found!</h1>\n                <p>The page you were looking for could not be found; it is possible you have typed the address incorrectly, but it has most probably been removed due to the recent website reorganisation.</p>\n            </main>\n        </div>\n    </body>\n</html>\n";

const WERKZEUG_404_PAGE: &str = "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n";

pub fn response(status: u16, content_type: &str, body: impl Into<Bytes>) -> Resp {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = content_type.parse() {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
    }
    resp
}

pub fn json_response(status: u16, body: &Value) -> Resp {
    response(status, JSON, body.to_string())
}

/// The 404 page of this version for a route it does not serve.
pub fn not_found_page(version: OdooVersion) -> Resp {
    match version {
        OdooVersion::V16 | OdooVersion::V17 => response(404, "text/html;charset=utf-8", WEBSITE_404_PAGE),
        OdooVersion::V19 => response(404, HTML, WERKZEUG_404_PAGE),
    }
}

/// Accepts connections until `stopped` fires.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _peer)) = accepted else { continue };
        let shared = shared.clone();
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(shared, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        });
    }
}

/// The parts of a request the protocol handlers look at.
pub struct HttpRequest {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A query parameter, undecoded (database names need no decoding).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.split('&').find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v))
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Resp {
    shared.requests.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return response(413, HTML, "<h1>Request Entity Too Large</h1>\n"),
    };
    let request = HttpRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body,
    };
    let resp = route(&shared, &request);
    if !shared.delay.is_zero() {
        tokio::time::sleep(shared.delay).await;
    }
    resp
}

fn route(shared: &Shared, req: &HttpRequest) -> Resp {
    let path = req.path.as_str();
    let v19 = shared.version == OdooVersion::V19;
    if path == "/json/2" || path.starts_with("/json/2/") {
        return if v19 { json2::handle(shared, req) } else { not_found_page(shared.version) };
    }
    if path == "/jsonrpc" && req.method == Method::POST {
        return jsonrpc::handle(shared, req);
    }
    if let Some(rest) = path.strip_prefix("/xmlrpc/") {
        if req.method == Method::POST {
            return match rest.strip_prefix("2/") {
                Some(service) => xmlrpc::handle(shared, req, service, false),
                None => xmlrpc::handle(shared, req, rest, true),
            };
        }
        return not_found_page(shared.version);
    }
    match (req.method.clone(), path) {
        (Method::GET, "/web/version" | "/json/version") if v19 => json_response(
            200,
            &json!({"version_info": shared.version.version_dict()["server_version_info"], "version": shared.version.server_version()}),
        ),
        (Method::POST, "/web/webclient/version_info") => web_call(req, shared.version.version_dict()),
        (Method::POST, "/web/database/list") => web_call(req, json!([shared.database])),
        (Method::POST, "/web/session/get_session_info") => {
            let error = json!({
                "code": 100,
                "message": "Odoo Session Expired",
                "data": {"name": "odoo.http.SessionExpiredException", "message": "Session expired", "arguments": ["Session expired"], "context": {}, "debug": "Traceback (most recent call last):\nodoo.http.SessionExpiredException: Session expired\n"},
            });
            json_response(200, &json!({"jsonrpc": "2.0", "id": null, "error": error}))
        }
        (Method::GET, "/web" | "/web/login" | "/odoo" | "/") => match req.query_param("db") {
            Some(db) if db != shared.database => response(404, HTML, NO_DATABASE_PAGE),
            _ => response(
                200,
                HTML,
                "<!DOCTYPE html>\n<html><head><title>Odoo</title></head><body><p>Odoo sandbox</p></body></html>\n",
            ),
        },
        _ => not_found_page(shared.version),
    }
}

/// A JSON-RPC "call" envelope answer for the web routes (id echoed).
fn web_call(req: &HttpRequest, result: Value) -> Resp {
    let id = serde_json::from_slice::<Value>(&req.body).ok().and_then(|b| b.get("id").cloned()).unwrap_or(Value::Null);
    json_response(200, &json!({"jsonrpc": "2.0", "id": id, "result": result}))
}
