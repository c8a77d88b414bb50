//! The OAuth face: the authorization server's HTTP endpoints and the
//! `WWW-Authenticate` challenge of the MCP endpoint.
//!
//! Routes (only while OAuth is on; 404 otherwise, as if absent):
//! - `GET /.well-known/oauth-protected-resource[/alpenglow/mcp | /mcp]`
//!   (RFC 9728) and `GET /.well-known/oauth-authorization-server` (RFC 8414);
//! - `GET /alpenglow/oauth/authorize`: the consent page; `POST` the form
//!   (sign in with the Odoo key, approve or deny), answered with a 303 to
//!   the client's redirect URI;
//! - `POST /alpenglow/oauth/token`, `/register`, `/revoke`: JSON answers,
//!   `Cache-Control: no-store`, open to browser clients (CORS, no cookies).
//!
//! The consent form is CSRF-protected: a cookie nonce set with the page and
//! an HMAC over it and the authorization request in the form. What is
//! decided (clients, codes, tokens, binding) is `oauth`'s; the Odoo check of
//! the key and the lockout are the gateway's. This file only speaks HTTP.

mod page;

use super::FaceState;
use super::http::{self, Body};
use crate::config::ApiKey;
use crate::gateway::OpError;
use crate::oauth::{
    ASM_PATH, AUTHORIZE_PATH, AuthorizeError, AuthorizeRequest, ClientInfo, Event, MCP_ALIAS, MCP_PATH, OAuth, Outcome,
    PRM_PATH, Person, REGISTER_PATH, REVOKE_PATH, TOKEN_PATH,
};
use crate::vocab::{ScopeSet, TokenScope};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use std::net::IpAddr;

/// Largest body of an OAuth request (forms and registrations are small).
const MAX_OAUTH_BODY: usize = 64 * 1024;

/// Whether `path` belongs to this face.
pub fn handles(path: &str) -> bool {
    path.starts_with("/.well-known/oauth-") || path.starts_with("/alpenglow/oauth/")
}

pub async fn handle(state: &FaceState, req: Request<Incoming>, ip: IpAddr) -> Response<Body> {
    let path = req.uri().path().to_string();
    let Some(oauth) = state.gateway.oauth() else {
        return not_found("OAuth is not served by this gateway");
    };
    let settings = state.gateway.settings();
    if let Some(why) = oauth.inactive_reason(&settings) {
        return not_found(&why);
    }
    let method = req.method().clone();
    if method == Method::OPTIONS {
        return preflight();
    }
    let prm_main = format!("{PRM_PATH}{MCP_PATH}");
    let prm_alias = format!("{PRM_PATH}{MCP_ALIAS}");
    let p = path.as_str();
    match (method, p) {
        (Method::GET, _) if p == PRM_PATH || p == prm_main => {
            public_json(StatusCode::OK, oauth.protected_resource_metadata(MCP_PATH))
        }
        (Method::GET, _) if p == prm_alias => public_json(StatusCode::OK, oauth.protected_resource_metadata(MCP_ALIAS)),
        (Method::GET, ASM_PATH) => public_json(StatusCode::OK, oauth.authorization_server_metadata()),
        (Method::GET, AUTHORIZE_PATH) => {
            let pairs = query_pairs(req.uri().query());
            let cookie = cookie_nonce(req.headers());
            authorize_page(oauth, &settings.oauth.client_hosts, &pairs, cookie, ip).await
        }
        (Method::POST, AUTHORIZE_PATH) => {
            let cookie = cookie_nonce(req.headers());
            match read_form(state, req).await {
                Ok(pairs) => authorize_post(state, oauth, &settings.oauth.client_hosts, &pairs, cookie, ip).await,
                Err(response) => response,
            }
        }
        (Method::POST, TOKEN_PATH) => match read_form(state, req).await {
            Ok(pairs) => match oauth.token(&pairs, ip).await {
                Ok(body) => public_json(StatusCode::OK, body),
                Err(e) => public_json(StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST), e.body()),
            },
            Err(response) => response,
        },
        (Method::POST, REVOKE_PATH) => match read_form(state, req).await {
            Ok(pairs) => match oauth.revoke(&pairs, ip).await {
                Ok(()) => public_json(StatusCode::OK, json!({})),
                Err(e) => public_json(StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST), e.body()),
            },
            Err(response) => response,
        },
        (Method::POST, REGISTER_PATH) => register(state, oauth, req, ip).await,
        (method, p)
            if [PRM_PATH, ASM_PATH, AUTHORIZE_PATH, TOKEN_PATH, REVOKE_PATH, REGISTER_PATH].contains(&p)
                || p == prm_main
                || p == prm_alias =>
        {
            let mut response = public_json(
                StatusCode::METHOD_NOT_ALLOWED,
                json!({"error": "invalid_request", "error_description": format!("{method} is not served at {p}")}),
            );
            let allow = if p == AUTHORIZE_PATH {
                "GET, POST"
            } else if p.starts_with("/.well-known/") {
                "GET"
            } else {
                "POST"
            };
            response.headers_mut().insert("allow", HeaderValue::from_static(allow));
            response
        }
        (_, p) => not_found(&format!("no OAuth endpoint at {p}")),
    }
}

/// The challenge of the MCP endpoint while OAuth is on: every 401 names the
/// resource metadata and the scopes to ask for, and a 403 for a missing
/// scope names the metadata too (RFC 9728 §5.1, MCP authorization).
pub fn challenge(
    state: &FaceState,
    mut response: Response<Body>,
    path: &str,
    authorization_sent: bool,
) -> Response<Body> {
    let status = response.status();
    if status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN {
        return response;
    }
    let Some(oauth) = state.gateway.oauth() else { return response };
    if !oauth.is_active(&state.gateway.settings()) {
        return response;
    }
    let metadata = oauth.resource_metadata_url(path);
    let current =
        response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let value = if status == StatusCode::UNAUTHORIZED {
        let error = if authorization_sent { r#", error="invalid_token""# } else { "" };
        format!(
            r#"Bearer realm="alpenglow", resource_metadata="{metadata}", scope="{}"{error}"#,
            oauth.challenge_scope()
        )
    } else if current.contains("insufficient_scope") {
        format!(r#"{current}, resource_metadata="{metadata}""#)
    } else {
        return response;
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert("www-authenticate", value);
    }
    response
}

async fn authorize_page(
    oauth: &OAuth,
    hosts: &[String],
    pairs: &[(String, String)],
    cookie: Option<String>,
    ip: IpAddr,
) -> Response<Body> {
    let (request, client) = match oauth.check_authorize(pairs, hosts).await {
        Ok(checked) => checked,
        Err(error) => return authorize_refused(oauth, error, ip).await,
    };
    let nonce = cookie.unwrap_or_else(|| crate::oauth::secrets::new_secret(""));
    let csrf = oauth.csrf().token(&nonce, &request.fingerprint(), now());
    let body = consent_page(oauth, &request, &client, &csrf, "", request.scopes, None);
    let mut response = html(StatusCode::OK, body);
    set_cookie(oauth, &mut response, &nonce);
    response
}

fn consent_page(
    oauth: &OAuth,
    request: &AuthorizeRequest,
    client: &ClientInfo,
    csrf: &str,
    login: &str,
    ticked: ScopeSet,
    error: Option<&str>,
) -> String {
    page::consent(&page::Consent {
        client_name: &client.name,
        client_host: &client.host,
        verified: client.verified,
        requested: request.scopes,
        ticked,
        fields: request.fields(),
        csrf,
        login,
        error,
        action: AUTHORIZE_PATH,
        resource: &oauth.resource(),
    })
}

/// An authorization request that cannot go on: a page, or back to the client.
async fn authorize_refused(oauth: &OAuth, error: AuthorizeError, ip: IpAddr) -> Response<Body> {
    match error {
        AuthorizeError::Page(message) => {
            oauth.audit(Event::new("oauth.authorize", ip, "request refused").refused(Outcome::Invalid, &message)).await;
            html(StatusCode::BAD_REQUEST, page::message("This connection cannot go on", &message))
        }
        AuthorizeError::Redirect { redirect_uri, state, error, description } => {
            let event = Event::new("oauth.authorize", ip, "request refused")
                .refused(Outcome::Invalid, format!("{error}: {description}"));
            oauth.audit(event).await;
            see_other(&oauth.error_redirect(&redirect_uri, state.as_deref(), error, &description))
        }
    }
}

/// The consent form came back.
async fn authorize_post(
    state: &FaceState,
    oauth: &OAuth,
    hosts: &[String],
    pairs: &[(String, String)],
    cookie: Option<String>,
    ip: IpAddr,
) -> Response<Body> {
    const FORM_FIELDS: [&str; 5] = ["csrf", "login", "api_key", "decision", "grant_scope"];
    let request_pairs: Vec<(String, String)> =
        pairs.iter().filter(|(k, _)| !FORM_FIELDS.contains(&k.as_str())).cloned().collect();
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string());
    let (request, client) = match oauth.check_authorize(&request_pairs, hosts).await {
        Ok(checked) => checked,
        Err(error) => return authorize_refused(oauth, error, ip).await,
    };
    let csrf_ok = match (&cookie, field("csrf")) {
        (Some(nonce), Some(token)) => oauth.csrf().verify(&token, nonce, &request.fingerprint(), now()),
        _ => false,
    };
    if !csrf_ok {
        let event = Event::new("oauth.authorize", ip, format!("client {} ({})", client.name, client.host))
            .refused(Outcome::Denied, "the consent form failed its CSRF check");
        oauth.audit(event).await;
        return html(
            StatusCode::FORBIDDEN,
            page::message(
                "This form has expired",
                "It was left open too long, or it was not sent from this page. Go back to your assistant and connect again.",
            ),
        );
    }
    if field("decision").as_deref() != Some("approve") {
        return see_other(&oauth.deny(&request, &client, ip).await);
    }
    let nonce = cookie.unwrap_or_default();
    let login = field("login").filter(|l| !l.is_empty());
    let ticked = ScopeSet::of(
        &pairs.iter().filter(|(k, _)| k == "grant_scope").filter_map(|(_, v)| TokenScope::parse(v)).collect::<Vec<_>>(),
    )
    .intersect(request.scopes);
    let again = |error: &str, status: StatusCode| {
        let csrf = oauth.csrf().token(&nonce, &request.fingerprint(), now());
        let body =
            consent_page(oauth, &request, &client, &csrf, login.as_deref().unwrap_or_default(), ticked, Some(error));
        html(status, body)
    };
    if ticked.is_empty() {
        return again("Tick at least one thing to allow, or press Deny.", StatusCode::OK);
    }
    let key = match field("api_key").map(|k| ApiKey::parse(&k)) {
        Some(Ok(key)) => key,
        _ => {
            return again(
                "Paste your Odoo API key (40 characters, from My Profile › Account Security).",
                StatusCode::OK,
            );
        }
    };
    let user = match state.gateway.verify_person(ip, login.as_deref(), &key).await {
        Ok(user) => user,
        Err(error) => {
            let (outcome, status) = match &error {
                OpError::RateLimited { .. } => (Outcome::RateLimited, StatusCode::TOO_MANY_REQUESTS),
                OpError::Unavailable(_) => (Outcome::UpstreamError, StatusCode::SERVICE_UNAVAILABLE),
                _ => (Outcome::Unauthenticated, StatusCode::UNAUTHORIZED),
            };
            let mut event = Event::new("oauth.sign_in", ip, format!("client {} ({})", client.name, client.host))
                .refused(outcome, error.to_string());
            event.login = login.clone();
            oauth.audit(event).await;
            let mut response = again(&error.to_string(), status);
            if let OpError::RateLimited { retry_after_secs, .. } = error {
                response.headers_mut().insert("retry-after", HeaderValue::from(retry_after_secs));
            }
            return response;
        }
    };
    let person = Person { uid: user.uid, login: user.login, name: user.name, company_ids: user.company_ids, key };
    match oauth.approve(&request, &client, &person, ticked, ip).await {
        Ok(location) => see_other(&location),
        Err(crate::oauth::ApprovalError::Pending(message)) => {
            html(StatusCode::OK, page::message("Waiting for an administrator", &message))
        }
        Err(crate::oauth::ApprovalError::Refused(message)) => {
            html(StatusCode::FORBIDDEN, page::message("This connection was refused", &message))
        }
        Err(crate::oauth::ApprovalError::Failed(message)) => {
            tracing::error!(error = %message, "OAuth approval failed");
            html(StatusCode::INTERNAL_SERVER_ERROR, page::message("Something went wrong", &message))
        }
    }
}

async fn register(state: &FaceState, oauth: &OAuth, req: Request<Incoming>, ip: IpAddr) -> Response<Body> {
    let timeout = state.live.current().http.body_read_timeout();
    let bytes = match http::read_body(req.into_body(), MAX_OAUTH_BODY, timeout).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return public_json(
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": "invalid_client_metadata", "error_description": "the registration is too large"}),
            );
        }
    };
    let body: Value = match serde_json::from_slice(&bytes) {
        Ok(body) => body,
        Err(e) => {
            return public_json(
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_client_metadata", "error_description": format!("the body is not JSON: {e}")}),
            );
        }
    };
    match oauth.clients().register(&body, ip) {
        Ok((client, answer)) => {
            let detail = format!("client {} registered as {}", client.client_name, client.client_id);
            oauth.audit(Event::new("oauth.register", ip, detail)).await;
            public_json(StatusCode::CREATED, answer)
        }
        Err(error) => {
            let code = error["error"].as_str().unwrap_or_default().to_string();
            let event = Event::new("oauth.register", ip, "registration refused").refused(
                if code == "too_many_registrations" { Outcome::RateLimited } else { Outcome::Invalid },
                format!("{code}: {}", error["error_description"].as_str().unwrap_or_default()),
            );
            oauth.audit(event).await;
            let status = if code == "too_many_registrations" {
                StatusCode::TOO_MANY_REQUESTS
            } else if code == "server_error" {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::BAD_REQUEST
            };
            public_json(status, error)
        }
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect()
}

async fn read_form(state: &FaceState, req: Request<Incoming>) -> Result<Vec<(String, String)>, Response<Body>> {
    let form = req.headers().get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    if !form {
        return Err(public_json(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            json!({"error": "invalid_request", "error_description": "send the parameters as application/x-www-form-urlencoded"}),
        ));
    }
    let timeout = state.live.current().http.body_read_timeout();
    match http::read_body(req.into_body(), MAX_OAUTH_BODY, timeout).await {
        Ok(bytes) => Ok(form_urlencoded::parse(&bytes).into_owned().collect()),
        Err(_) => Err(public_json(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"error": "invalid_request", "error_description": "the request body is too large"}),
        )),
    }
}

const COOKIE: &str = "agw_oauth";
const SECURE_COOKIE: &str = "__Host-agw_oauth";

/// The consent form's nonce from the browser's cookie, if it sent one.
fn cookie_nonce(headers: &hyper::HeaderMap) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE || *name == SECURE_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| {
            !v.is_empty() && v.len() <= 100 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn set_cookie(oauth: &OAuth, response: &mut Response<Body>, nonce: &str) {
    let max_age = crate::oauth::secrets::CSRF_LIFETIME_SECS;
    let value = if oauth.base().starts_with("https://") {
        format!("{SECURE_COOKIE}={nonce}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age}")
    } else {
        format!("{COOKIE}={nonce}; Path=/alpenglow/oauth; HttpOnly; SameSite=Lax; Max-Age={max_age}")
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append("set-cookie", value);
    }
}

fn html(status: StatusCode, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .header("x-frame-options", "DENY")
        .header("referrer-policy", "no-referrer")
        .header("x-content-type-options", "nosniff")
        .header(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        )
        .body(Full::new(Bytes::from(body)))
        .expect("static response parts are valid")
}

/// 303 See Other: the browser follows it with a GET.
fn see_other(location: &str) -> Response<Body> {
    let mut response = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header("cache-control", "no-store")
        .header("referrer-policy", "no-referrer")
        .body(Full::new(Bytes::new()))
        .expect("static response parts are valid");
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert("location", value);
    }
    response
}

/// A JSON answer any browser client may read (no cookies are involved).
fn public_json(status: StatusCode, body: Value) -> Response<Body> {
    let mut response = http::json(status, body);
    let headers = response.headers_mut();
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    headers.insert("pragma", HeaderValue::from_static("no-cache"));
    headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    response
}

fn preflight() -> Response<Body> {
    let mut response = public_json(StatusCode::NO_CONTENT, Value::Null);
    *response.body_mut() = Full::new(Bytes::new());
    let headers = response.headers_mut();
    headers.insert("access-control-allow-methods", HeaderValue::from_static("GET, POST, OPTIONS"));
    headers.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("content-type, authorization, mcp-protocol-version"),
    );
    headers.insert("access-control-max-age", HeaderValue::from_static("600"));
    response
}

fn not_found(why: &str) -> Response<Body> {
    http::json(StatusCode::NOT_FOUND, json!({"error": "not_found", "error_description": why}))
}
