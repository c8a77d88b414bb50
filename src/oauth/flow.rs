//! The authorization code flow: checking an authorization request, the
//! token endpoint (code exchange with PKCE, refresh with rotation and reuse
//! detection), revocation, and turning an access token back into its grant.
//!
//! Errors follow RFC 6749: before the client and its redirect URI are
//! known good, an error is shown to the person and never redirected (an
//! attacker must not be able to bounce people to a URI of their choosing);
//! after, it goes back to the client with `error`, `state` and `iss`.

use super::records::{AuthCode, Grant, IssuedToken, TokenKind};
use super::secrets::{self, ACCESS_PREFIX, REFRESH_PREFIX};
use super::{ACCESS_TTL_SECS, ClientInfo, Event, OAuth, REFRESH_TTL_SECS};
use crate::audit::Outcome;
use crate::config::ApiKey;
use crate::store::{CompositeKey, StoreError};
use crate::vocab::ScopeSet;
use serde_json::{Value, json};
use std::net::IpAddr;
use time::OffsetDateTime;

/// A checked authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: String,
    /// What the client asked for (all scopes when it named none).
    pub scopes: ScopeSet,
    /// The canonical MCP URL the tokens will be for.
    pub resource: String,
}

impl AuthorizeRequest {
    /// The parameters, as the consent form carries them back.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("response_type", "code".to_string()),
            ("client_id", self.client_id.clone()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("code_challenge", self.code_challenge.clone()),
            ("code_challenge_method", "S256".to_string()),
            ("resource", self.resource.clone()),
            ("scope", self.scopes.to_text()),
        ];
        if let Some(state) = &self.state {
            fields.push(("state", state.clone()));
        }
        fields
    }

    /// What the consent form's CSRF token is bound to.
    pub fn fingerprint(&self) -> String {
        let text: Vec<String> = self.fields().into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        secrets::s256(&text.join("\n"))
    }
}

/// Why an authorization request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Shown to the person, never redirected: the client or its redirect
    /// URI is not known good.
    Page(String),
    /// Sent back to the client's redirect URI.
    Redirect { redirect_uri: String, state: Option<String>, error: &'static str, description: String },
}

/// A token endpoint error (RFC 6749 §5.2), with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl TokenError {
    fn new(status: u16, error: &'static str, description: impl Into<String>) -> TokenError {
        TokenError { status, error, description: description.into() }
    }

    fn invalid_request(description: impl Into<String>) -> TokenError {
        TokenError::new(400, "invalid_request", description)
    }

    fn invalid_grant(description: impl Into<String>) -> TokenError {
        TokenError::new(400, "invalid_grant", description)
    }

    fn server(e: impl std::fmt::Display) -> TokenError {
        TokenError::new(500, "server_error", format!("the store cannot be used: {e}"))
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

/// An access token, resolved: its grant, the person's Odoo key and scopes.
pub struct Resolved {
    pub grant: Grant,
    pub key: ApiKey,
    pub scopes: ScopeSet,
}

/// Why an access token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// 401: the message says why.
    Invalid(String),
    /// The store could not be read.
    Unavailable(String),
}

/// Parameters of a form or query; each may appear once (RFC 6749 §3.1).
pub struct Params<'a>(&'a [(String, String)]);

impl<'a> Params<'a> {
    pub fn new(pairs: &'a [(String, String)]) -> Params<'a> {
        Params(pairs)
    }

    fn get(&self, name: &str) -> Result<Option<&'a str>, String> {
        let mut found = self.0.iter().filter(|(k, _)| k == name);
        let first = found.next().map(|(_, v)| v.as_str());
        if found.next().is_some() {
            return Err(format!("the parameter {name} is given twice"));
        }
        Ok(first.filter(|v| !v.is_empty()))
    }
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

impl OAuth {
    /// Checks an authorization request (the query of GET, or the consent
    /// form's fields of POST).
    pub async fn check_authorize(
        &self,
        pairs: &[(String, String)],
        allowed_hosts: &[String],
    ) -> Result<(AuthorizeRequest, ClientInfo), AuthorizeError> {
        let params = Params::new(pairs);
        let page = AuthorizeError::Page;
        let client_id = params
            .get("client_id")
            .map_err(page)?
            .ok_or_else(|| AuthorizeError::Page("the request names no client (client_id is missing)".into()))?;
        let client = self.inner.clients.find(client_id, allowed_hosts).await.map_err(|e| AuthorizeError::Page(e.0))?;
        let redirect_uri = params.get("redirect_uri").map_err(page)?.ok_or_else(|| {
            AuthorizeError::Page("the request has no redirect_uri; the client must name one of its own".into())
        })?;
        if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
            return Err(AuthorizeError::Page(format!(
                "the redirect URI {redirect_uri:?} is not registered for {}; nothing was sent to it",
                client.name
            )));
        }
        let state = params.get("state").ok().flatten().map(str::to_string);
        let back = |error: &'static str, description: String| AuthorizeError::Redirect {
            redirect_uri: redirect_uri.to_string(),
            state: state.clone(),
            error,
            description,
        };
        let invalid = |d: String| back("invalid_request", d);
        params.get("state").map_err(invalid)?;
        match params.get("response_type").map_err(invalid)? {
            Some("code") => {}
            other => {
                return Err(back("unsupported_response_type", format!("response_type must be code (got {other:?})")));
            }
        }
        let challenge = params.get("code_challenge").map_err(invalid)?.unwrap_or_default();
        if !secrets::challenge_is_well_formed(challenge) {
            return Err(invalid(
                "PKCE is required: send code_challenge, the base64url SHA-256 of your code_verifier (43 characters)"
                    .into(),
            ));
        }
        if params.get("code_challenge_method").map_err(invalid)? != Some("S256") {
            return Err(invalid("code_challenge_method must be S256 (plain is not accepted)".into()));
        }
        let resource = match params.get("resource").map_err(invalid)? {
            None => {
                return Err(back(
                    "invalid_target",
                    format!("resource is required (RFC 8707): send this server's MCP URL, {}", self.resource()),
                ));
            }
            Some(given) => self.canonical_resource(given).ok_or_else(|| {
                back(
                    "invalid_target",
                    format!("resource {given:?} is not served here; this server is {}", self.resource()),
                )
            })?,
        };
        let scopes = match params.get("scope").map_err(invalid)? {
            None => ScopeSet::all(),
            Some(text) => ScopeSet::parse(text).map_err(|unknown| {
                back(
                    "invalid_scope",
                    format!("unknown scope {unknown:?}; the scopes are {}", ScopeSet::all().to_text()),
                )
            })?,
        };
        let scopes = if scopes.is_empty() { ScopeSet::all() } else { scopes };
        let request = AuthorizeRequest {
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            state,
            code_challenge: challenge.to_string(),
            scopes,
            resource,
        };
        Ok((request, client))
    }

    /// `redirect_uri` with `pairs` and `iss` added to its query.
    pub fn redirect_url(&self, redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
        query.append_pair("iss", &self.issuer());
        let separator = if redirect_uri.contains('?') { '&' } else { '?' };
        format!("{redirect_uri}{separator}{}", query.finish())
    }

    /// Where an error goes back to the client.
    pub fn error_redirect(&self, redirect_uri: &str, state: Option<&str>, error: &str, description: &str) -> String {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(state) = state {
            pairs.push(("state", state));
        }
        self.redirect_url(redirect_uri, &pairs)
    }

    /// The token endpoint: `authorization_code` or `refresh_token`.
    pub async fn token(&self, pairs: &[(String, String)], ip: IpAddr) -> Result<Value, TokenError> {
        let params = Params::new(pairs);
        let result = match params.get("grant_type").map_err(TokenError::invalid_request)? {
            Some("authorization_code") => self.exchange_code(&params).await,
            Some("refresh_token") => self.refresh(&params).await,
            Some(other) => Err((
                TokenError::new(
                    400,
                    "unsupported_grant_type",
                    format!("grant_type {other:?} is not supported; use authorization_code or refresh_token"),
                ),
                None,
            )),
            None => Err((TokenError::invalid_request("grant_type is required"), None)),
        };
        let (name, detail) = match params.get("grant_type").ok().flatten() {
            Some("refresh_token") => ("oauth.refresh", "refresh"),
            _ => ("oauth.token", "code exchange"),
        };
        match &result {
            Ok((_, grant)) => {
                let detail = format!("{detail}; {}", grant_detail(grant));
                self.audit(Event::new(name, ip, detail).grant(grant)).await;
            }
            Err((error, grant)) => {
                let mut event = Event::new(name, ip, detail.to_string())
                    .refused(Outcome::Unauthenticated, format!("{}: {}", error.error, error.description));
                if let Some(grant) = grant {
                    event = event.grant(grant);
                }
                self.audit(event).await;
            }
        }
        result.map(|(body, _)| body).map_err(|(error, _)| error)
    }

    async fn exchange_code(&self, params: &Params<'_>) -> Result<(Value, Grant), (TokenError, Option<Grant>)> {
        let fail = |e: TokenError| (e, None);
        let code = params.get("code").map_err(TokenError::invalid_request).map_err(fail)?;
        let code = code.ok_or_else(|| fail(TokenError::invalid_request("code is required")))?;
        let client_id = params.get("client_id").map_err(TokenError::invalid_request).map_err(fail)?;
        let client_id = client_id.ok_or_else(|| fail(TokenError::invalid_request("client_id is required")))?;
        let verifier = params.get("code_verifier").map_err(TokenError::invalid_request).map_err(fail)?;
        let verifier = verifier.ok_or_else(|| {
            fail(TokenError::invalid_request(
                "code_verifier is required (PKCE): send the verifier the challenge was made from",
            ))
        })?;
        let redirect_uri = params.get("redirect_uri").map_err(TokenError::invalid_request).map_err(fail)?;
        let resource = params.get("resource").map_err(TokenError::invalid_request).map_err(fail)?;

        let codes = self.rooms().store().table::<AuthCode>().map_err(TokenError::server).map_err(fail)?;
        let key = CompositeKey(secrets::digest(code));
        let Some(stored) = codes.get(&key).map_err(TokenError::server).map_err(fail)? else {
            return Err(fail(TokenError::invalid_grant("unknown or expired authorization code")));
        };
        let grant = self.grants().get(stored.grant_id).map_err(TokenError::server).map_err(fail)?;
        let with = |e: TokenError| (e, grant.clone());
        if stored.used {
            // A code used twice was stolen or replayed: nothing it led to stays valid.
            self.grants()
                .revoke(stored.grant_id, "its authorization code was used twice")
                .map_err(TokenError::server)
                .map_err(with)?;
            return Err(with(TokenError::invalid_grant(
                "this authorization code was already used; the tokens it gave are revoked",
            )));
        }
        if stored.expires_at < now_unix() {
            return Err(with(TokenError::invalid_grant("the authorization code expired; authorize again")));
        }
        if stored.client_id != client_id {
            return Err(with(TokenError::invalid_grant("the authorization code was issued to another client")));
        }
        if redirect_uri != Some(stored.redirect_uri.as_str()) {
            return Err(with(TokenError::invalid_grant("redirect_uri must be the one the authorization request used")));
        }
        if !secrets::pkce_matches(verifier, &stored.code_challenge) {
            return Err(with(TokenError::invalid_grant("code_verifier does not match the code_challenge (PKCE S256)")));
        }
        if let Some(resource) = resource
            && self.canonical_resource(resource).as_deref() != Some(stored.audience.as_str())
        {
            return Err(with(TokenError::new(
                400,
                "invalid_target",
                format!("resource {resource:?} is not the one authorized ({})", stored.audience),
            )));
        }
        let mut was_used = false;
        codes
            .update(&key, |c| {
                was_used = c.used;
                c.used = true;
            })
            .map_err(TokenError::server)
            .map_err(with)?;
        if was_used {
            self.grants()
                .revoke(stored.grant_id, "its authorization code was used twice")
                .map_err(TokenError::server)
                .map_err(with)?;
            return Err(with(TokenError::invalid_grant("this authorization code was already used")));
        }
        let grant = match grant {
            Some(grant) if grant.is_active() => grant,
            other => return Err((TokenError::invalid_grant("this authorization was revoked"), other)),
        };
        let body = self.issue_pair(&grant).map_err(|e| (e, Some(grant.clone())))?;
        Ok((body, grant))
    }

    async fn refresh(&self, params: &Params<'_>) -> Result<(Value, Grant), (TokenError, Option<Grant>)> {
        let fail = |e: TokenError| (e, None);
        let token = params.get("refresh_token").map_err(TokenError::invalid_request).map_err(fail)?;
        let token = token.ok_or_else(|| fail(TokenError::invalid_request("refresh_token is required")))?;
        let client_id = params.get("client_id").map_err(TokenError::invalid_request).map_err(fail)?;
        let client_id = client_id.ok_or_else(|| fail(TokenError::invalid_request("client_id is required")))?;
        let resource = params.get("resource").map_err(TokenError::invalid_request).map_err(fail)?;
        let scope = params.get("scope").map_err(TokenError::invalid_request).map_err(fail)?;

        let tokens = self.rooms().store().table::<IssuedToken>().map_err(TokenError::server).map_err(fail)?;
        let key = CompositeKey(secrets::digest(token));
        let stored = match tokens.get(&key).map_err(TokenError::server).map_err(fail)? {
            Some(t) if t.kind == TokenKind::Refresh => t,
            _ => return Err(fail(TokenError::invalid_grant("unknown or expired refresh token"))),
        };
        let grant = self.grants().get(stored.grant_id).map_err(TokenError::server).map_err(fail)?;
        let with = |e: TokenError| (e, grant.clone());
        let Some(current) = grant.clone().filter(Grant::is_active) else {
            return Err(with(TokenError::invalid_grant("this authorization was revoked; authorize again")));
        };
        if current.client_id != client_id {
            return Err(with(TokenError::invalid_grant("the refresh token was issued to another client")));
        }
        if stored.rotated {
            self.reuse(&current).map_err(with)?;
            return Err(with(TokenError::invalid_grant(
                "this refresh token was already used; the authorization is revoked (authorize again)",
            )));
        }
        if stored.expires_at < now_unix() {
            return Err(with(TokenError::invalid_grant("the refresh token expired; authorize again")));
        }
        if let Some(resource) = resource
            && self.canonical_resource(resource).as_deref() != Some(current.audience.as_str())
        {
            return Err(with(TokenError::new(
                400,
                "invalid_target",
                format!("resource {resource:?} was not authorized"),
            )));
        }
        if let Some(scope) = scope {
            let granted = ScopeSet::parse(&current.scopes).unwrap_or_default();
            let asked = ScopeSet::parse(scope)
                .map_err(|u| with(TokenError::new(400, "invalid_scope", format!("unknown scope {u:?}"))))?;
            if asked.intersect(granted) != asked {
                return Err(with(TokenError::new(
                    400,
                    "invalid_scope",
                    format!("a refresh cannot add scopes; this authorization has {}", current.scopes),
                )));
            }
        }
        let mut was_rotated = false;
        tokens
            .update(&key, |t| {
                was_rotated = t.rotated;
                t.rotated = true;
            })
            .map_err(TokenError::server)
            .map_err(with)?;
        if was_rotated {
            self.reuse(&current).map_err(with)?;
            return Err(with(TokenError::invalid_grant("this refresh token was already used")));
        }
        let body = self.issue_pair(&current).map_err(with)?;
        Ok((body, current))
    }

    /// A refresh token came back after it was replaced: someone holds a
    /// copy. The whole grant (every token of its family) is revoked.
    fn reuse(&self, grant: &Grant) -> Result<(), TokenError> {
        tracing::warn!(
            grant = grant.id,
            credential = grant.credential_id,
            "a rotated refresh token was used again: grant revoked"
        );
        self.grants().revoke(grant.id, "a refresh token was used twice").map_err(TokenError::server)?;
        Ok(())
    }

    /// A new access and refresh token for `grant`.
    fn issue_pair(&self, grant: &Grant) -> Result<Value, TokenError> {
        let access = secrets::new_secret(ACCESS_PREFIX);
        let refresh = secrets::new_secret(REFRESH_PREFIX);
        let now = now_unix();
        let tokens = self.rooms().store().table::<IssuedToken>().map_err(TokenError::server)?;
        let entries = [
            (
                CompositeKey(secrets::digest(&access)),
                IssuedToken {
                    kind: TokenKind::Access,
                    grant_id: grant.id,
                    expires_at: now + ACCESS_TTL_SECS,
                    rotated: false,
                },
            ),
            (
                CompositeKey(secrets::digest(&refresh)),
                IssuedToken {
                    kind: TokenKind::Refresh,
                    grant_id: grant.id,
                    expires_at: now + REFRESH_TTL_SECS,
                    rotated: false,
                },
            ),
        ];
        tokens.insert_many(entries).map_err(TokenError::server)?;
        self.rooms().store().flush().map_err(TokenError::server)?;
        Ok(json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ACCESS_TTL_SECS,
            "refresh_token": refresh,
            "scope": grant.scopes,
        }))
    }

    /// Revocation (RFC 7009): a refresh token revokes its whole grant (and
    /// erases the Odoo key), an access token only itself. An unknown token,
    /// or one of another client, is answered the same (200) and changes nothing.
    pub async fn revoke(&self, pairs: &[(String, String)], ip: IpAddr) -> Result<(), TokenError> {
        let params = Params::new(pairs);
        let token = params.get("token").map_err(TokenError::invalid_request)?;
        let token = token.ok_or_else(|| TokenError::invalid_request("token is required"))?;
        let client_id = params.get("client_id").map_err(TokenError::invalid_request)?;
        let tokens = self.rooms().store().table::<IssuedToken>().map_err(TokenError::server)?;
        let key = CompositeKey(secrets::digest(token));
        let Some(stored) = tokens.get(&key).map_err(TokenError::server)? else {
            self.audit(Event::new("oauth.revoke", ip, "unknown token").refused(Outcome::NotFound, "no such token"))
                .await;
            return Ok(());
        };
        let Some(grant) = self.grants().get(stored.grant_id).map_err(TokenError::server)? else { return Ok(()) };
        if client_id.is_some_and(|c| c != grant.client_id) {
            let event = Event::new("oauth.revoke", ip, grant_detail(&grant))
                .grant(&grant)
                .refused(Outcome::Denied, "the token belongs to another client");
            self.audit(event).await;
            return Ok(());
        }
        let what = match stored.kind {
            TokenKind::Refresh => {
                self.grants().revoke(grant.id, "revoked by the client").map_err(TokenError::server)?;
                "refresh token: grant revoked"
            }
            TokenKind::Access => {
                tokens.remove(&key).map_err(TokenError::server)?;
                self.rooms().store().flush().map_err(TokenError::server)?;
                "access token"
            }
        };
        self.audit(Event::new("oauth.revoke", ip, format!("{what}; {}", grant_detail(&grant))).grant(&grant)).await;
        Ok(())
    }

    /// Whether `token` is one this server issued (its record is kept a day
    /// past its expiry, and after its grant is revoked until then).
    pub fn was_issued(&self, token: &str) -> bool {
        self.rooms()
            .store()
            .table::<IssuedToken>()
            .and_then(|t| t.get(&CompositeKey(secrets::digest(token))))
            .is_ok_and(|t| t.is_some())
    }

    /// The grant behind an access token presented to this server.
    pub fn resolve(&self, token: &str) -> Result<Resolved, ResolveError> {
        let unavailable = |e: StoreError| ResolveError::Unavailable(format!("the store cannot be read: {e}"));
        let invalid = |why: &str| ResolveError::Invalid(why.to_string());
        let tokens = self.rooms().store().table::<IssuedToken>().map_err(unavailable)?;
        let stored = match tokens.get(&CompositeKey(secrets::digest(token))).map_err(unavailable)? {
            Some(t) if t.kind == TokenKind::Access => t,
            _ => return Err(invalid("invalid access token: unknown, revoked or not issued here")),
        };
        if stored.expires_at < now_unix() {
            return Err(invalid("the access token expired; refresh it"));
        }
        let grant = match self.grants().get(stored.grant_id).map_err(unavailable)? {
            Some(g) if g.is_active() => g,
            _ => return Err(invalid("this connection was revoked; connect again")),
        };
        if grant.audience != self.resource() {
            return Err(ResolveError::Invalid(format!(
                "this access token was issued for {}, not for this server ({})",
                grant.audience,
                self.resource()
            )));
        }
        let Some(sealed) = grant.sealed_key.as_deref() else {
            return Err(invalid("this connection was revoked; connect again"));
        };
        let key = self
            .vault()
            .open(sealed, &grant.id.to_be_bytes())
            .map_err(|e| ResolveError::Invalid(e.0))
            .and_then(|k| ApiKey::parse(&k).map_err(|e| ResolveError::Invalid(e.0)))?;
        let scopes = ScopeSet::parse(&grant.scopes).unwrap_or_default();
        let _ = self.grants().touch(&grant);
        Ok(Resolved { grant, key, scopes })
    }
}

/// What the audit log says about a grant.
pub(super) fn grant_detail(grant: &Grant) -> String {
    format!("grant {} client {} ({}) scope {}", grant.id, grant.client_name, grant.client_host, grant.scopes)
}
