//! Authentication: what the caller presented -> a [`Principal`].
//!
//! The Odoo API key proves who calls; the Alpenglow credential says what that
//! user may do. A credential authorizes a user, not one key (the spec's
//! decision): when a key belongs to user U, U's active credential applies; if
//! U has credentials but none is active, the request is refused (revoking must
//! never turn into unrestricted access); only a user without any credential
//! gets the documented passthrough, and not when Require Credential is on.
//!
//! argon2 runs once per key: verified keys are cached under a keyed hash
//! (never the key itself), and each request re-reads the credential from the
//! store, so a revocation or edit takes effect on the very next request.
//! Concurrent first requests with the same key verify it once (single
//! flight, [`AuthCache::single_flight`]): the others wait for that verdict.

use super::{Grant, OpError, Principal, RequestContext, UpstreamSlot};
use crate::config::catalog::{self, Catalog};
use crate::config::{ApiKey, Credential, Scope, Settings};
use crate::upstream::{OdooUser, UpstreamError};
use crate::vocab::ScopeSet;
use base64::Engine;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a key's Odoo identity (uid, companies) is trusted before asking
/// Odoo again. Every Odoo call still carries the key, so a key revoked in
/// Odoo fails at once regardless.
const IDENTITY_TTL: Duration = Duration::from_secs(300);

/// The `Authorization` header, parsed.
#[derive(Clone, PartialEq, Eq)]
pub enum Authorization {
    Missing,
    Bearer(String),
    /// `Basic base64(login:key)`, for Odoo 16-18 where a key alone names no user.
    Basic {
        login: String,
        key: String,
    },
    /// Present but unusable; the message says why.
    Malformed(&'static str),
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Authorization::Missing => f.write_str("Missing"),
            Authorization::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Authorization::Basic { login, .. } => write!(f, "Basic({login}, <redacted>)"),
            Authorization::Malformed(why) => write!(f, "Malformed({why})"),
        }
    }
}

impl Authorization {
    pub fn from_header(value: Option<&str>) -> Authorization {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Authorization::Missing;
        };
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            if rest.is_empty() {
                return Authorization::Malformed("the Bearer scheme needs a key after it");
            }
            return Authorization::Bearer(rest.to_string());
        }
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded =
                base64::engine::general_purpose::STANDARD.decode(rest).ok().and_then(|b| String::from_utf8(b).ok());
            return match decoded.as_deref().and_then(|d| d.split_once(':')) {
                Some((login, key)) if !login.is_empty() && !key.is_empty() => {
                    Authorization::Basic { login: login.to_string(), key: key.to_string() }
                }
                _ => Authorization::Malformed("Basic credentials must be base64 of login:api_key"),
            };
        }
        Authorization::Malformed("unsupported authorization scheme; send Authorization: Bearer <your Odoo API key>")
    }
}

struct Cached {
    user: OdooUser,
    /// The credential whose hash matched this key, if any.
    credential_id: Option<u64>,
    at: Instant,
}

/// Verified keys by keyed hash, and the verifications in flight.
#[derive(Default)]
pub struct AuthCache {
    hasher: (RandomState, RandomState),
    entries: Mutex<HashMap<u128, Cached>>,
    /// One lock per key being verified (by keyed hash): held by the request
    /// that verifies it, awaited by the others.
    flights: Mutex<HashMap<u128, Arc<tokio::sync::Mutex<()>>>>,
}

/// The right to verify one key: while a request holds it, other requests
/// with the same key wait in [`AuthCache::single_flight`].
pub(super) struct Flight<'a> {
    cache: &'a AuthCache,
    slot: u128,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let mut flights = self.cache.flights.lock().unwrap_or_else(|e| e.into_inner());
        // The map's handle and this guard's: nobody else waits, so the entry goes.
        if flights.get(&self.slot).is_some_and(|lock| Arc::strong_count(lock) <= 2) {
            flights.remove(&self.slot);
        }
    }
}

impl AuthCache {
    /// A 128-bit keyed hash of the key: two SipHash instances with random
    /// per-process keys. The cache never holds the key itself.
    pub(super) fn slot(&self, key: &ApiKey) -> u128 {
        let a = self.hasher.0.hash_one(key.expose()) as u128;
        let b = self.hasher.1.hash_one(key.expose()) as u128;
        (a << 64) | b
    }

    pub(super) fn get(&self, slot: u128) -> Option<(OdooUser, Option<u64>)> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(&slot).filter(|c| c.at.elapsed() < IDENTITY_TTL).map(|c| (c.user.clone(), c.credential_id))
    }

    pub(super) fn put(&self, slot: u128, user: OdooUser, credential_id: Option<u64>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 10_000 {
            entries.retain(|_, c| c.at.elapsed() < IDENTITY_TTL);
        }
        entries.insert(slot, Cached { user, credential_id, at: Instant::now() });
    }

    /// Whether this key was verified recently (a cache hit): such callers
    /// are not charged to their IP's pre-authentication budget.
    pub(super) fn knows(&self, authorization: &Authorization) -> bool {
        let key = match authorization {
            Authorization::Bearer(key) | Authorization::Basic { key, .. } => key,
            Authorization::Missing | Authorization::Malformed(_) => return false,
        };
        ApiKey::parse(key).is_ok_and(|key| self.get(self.slot(&key)).is_some())
    }

    /// Waits for any verification of the same key in flight, then holds
    /// the right to verify it. None for a request without a usable key
    /// (nothing to verify). After the wait, the key may be known: the
    /// caller asks [`AuthCache::knows`] again.
    pub(super) async fn single_flight(&self, authorization: &Authorization) -> Option<Flight<'_>> {
        let key = match authorization {
            Authorization::Bearer(key) | Authorization::Basic { key, .. } => key,
            Authorization::Missing | Authorization::Malformed(_) => return None,
        };
        let slot = self.slot(&ApiKey::parse(key).ok()?);
        let lock = self.flights.lock().unwrap_or_else(|e| e.into_inner()).entry(slot).or_default().clone();
        let turn = lock.lock_owned().await;
        Some(Flight { cache: self, slot, _turn: turn })
    }

    fn forget(&self, slot: u128) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(&slot);
    }
}

fn store_error(e: impl std::fmt::Display) -> OpError {
    OpError::Unavailable(format!("the store cannot be read: {e}"))
}

pub(super) async fn authenticate(
    catalog: &Catalog,
    upstream: &UpstreamSlot,
    cache: &AuthCache,
    settings: &Settings,
    ctx: &RequestContext,
    oauth: Option<&crate::oauth::OAuth>,
) -> Result<Principal, OpError> {
    // An OAuth access token (never an Odoo key: it has its own prefix).
    if let Authorization::Bearer(token) = &ctx.authorization
        && crate::oauth::is_access_token(token)
    {
        return super::oauth::authenticate_token(catalog, upstream, cache, settings, ctx, oauth, token).await;
    }
    let (key_text, basic_login) = match &ctx.authorization {
        Authorization::Missing => {
            return Err(OpError::Unauthenticated(
                "missing API key: send your Odoo API key as Authorization: Bearer <key>".into(),
            ));
        }
        Authorization::Malformed(why) => return Err(OpError::Unauthenticated((*why).to_string())),
        Authorization::Bearer(key) => (key.as_str(), None),
        Authorization::Basic { login, key } => (key.as_str(), Some(login.as_str())),
    };
    let invalid = || OpError::Unauthenticated("invalid or expired API key".into());
    let key = ApiKey::parse(key_text).map_err(|_| invalid())?;
    let slot = cache.slot(&key);

    let today = catalog::today();
    // The key's own credential is read once per request (a cache hit costs
    // that one store read), so a revocation or an edit applies at once. A
    // cached credential that is no longer active while another one is (the
    // key was registered again after a revocation) is decided afresh.
    let hit = match cache.get(slot) {
        Some((user, Some(id))) => match catalog.credential(id) {
            Ok(Some(c))
                if !c.is_active(today) && catalog.has_other_active_credential(key.prefix(), id).unwrap_or(false) =>
            {
                None
            }
            own => Some((user, Some(own))),
        },
        Some((user, None)) => Some((user, None)),
        None => None,
    };
    let (user, own) = match hit {
        Some(hit) => hit,
        None => {
            // argon2 runs here, once per key and TTL.
            let matched = catalog.credential_for_key(&key).map_err(store_error)?;
            let login = basic_login.map(str::to_string).or_else(|| matched.as_ref().map(|c| c.login.clone()));
            let client = match upstream.get(settings).await {
                Ok(client) => client,
                Err(OpError::Unavailable(why)) => return offline(matched, key, why, today),
                Err(other) => return Err(other),
            };
            let user = match client.authenticate(&key, login.as_deref()).await {
                Ok(user) => user,
                Err(UpstreamError::LoginRequired(_)) => {
                    return Err(OpError::Unauthenticated(
                        "this Odoo version cannot tell the user from an API key alone: register the key in a credential, or send Authorization: Basic base64(login:key)".into(),
                    ));
                }
                Err(e) if e.is_transport() => return offline(matched, key, format!("Odoo is unreachable: {e}"), today),
                Err(_) => return Err(invalid()),
            };
            if let Some(c) = &matched
                && i64::from(c.user_id) != user.uid
            {
                // The key belongs to someone else than the credential says.
                return Err(invalid());
            }
            cache.put(slot, user.clone(), matched.as_ref().map(|c| c.id));
            (user, matched.map(|c| Ok(Some(c))))
        }
    };

    // Odoo's `authenticate` needs the login to match the key's user; a
    // cached key must not make the login of `Basic login:key` irrelevant.
    if let Some(login) = basic_login
        && login != user.login
    {
        return Err(invalid());
    }

    let chosen: Option<Credential> = match own {
        Some(Ok(Some(c))) if c.is_active(today) => Some(c),
        Some(Ok(Some(c))) => {
            let why = if c.revoked_at.is_some() { "revoked" } else { "expired" };
            return Err(OpError::Unauthenticated(format!("invalid or expired API key: its credential was {why}")));
        }
        Some(Ok(None)) => {
            // Deleted since it was cached: decide afresh on the next request.
            cache.forget(slot);
            return Err(invalid());
        }
        Some(Err(e)) => return Err(store_error(e)),
        None => {
            let all = catalog.credentials().map_err(store_error)?;
            let of_user: Vec<Credential> =
                all.into_iter().map(|(c, _)| c).filter(|c| i64::from(c.user_id) == user.uid).collect();
            if of_user.is_empty() {
                None
            } else {
                let active: Vec<Credential> = of_user.into_iter().filter(|c| c.is_active(today)).collect();
                if active.is_empty() {
                    return Err(OpError::Unauthenticated(
                        "invalid or expired API key: this user's credentials are revoked or expired".into(),
                    ));
                }
                // Several: the most restrictive (read-only before full, one company before all).
                active.into_iter().min_by_key(|c| (c.scope != Scope::ReadOnly, c.company_id.is_none(), c.id))
            }
        }
    };

    if chosen.is_none() && settings.require_credential {
        return Err(OpError::Unauthenticated(
            "this API key has no Alpenglow credential and Require Credential is on; ask an admin to create one".into(),
        ));
    }

    finish(catalog, ctx, user, chosen, key, None)
}

/// The caller, once its user and credential are known: counts the
/// credential's use and settles the companies Odoo calls may touch.
/// `token_scopes` is set for an OAuth access token.
pub(super) fn finish(
    catalog: &Catalog,
    ctx: &RequestContext,
    user: OdooUser,
    chosen: Option<Credential>,
    key: ApiKey,
    token_scopes: Option<ScopeSet>,
) -> Result<Principal, OpError> {
    if let Some(c) = &chosen {
        // Usage is bookkeeping: a failure to count must not refuse the caller.
        let _ = catalog.record_usage(c.id, ctx.client_ip);
    }
    let grant =
        chosen.map(|c| Grant { credential_id: c.id, label: c.label.clone(), scope: c.scope, company_id: c.company_id });
    let (home_company, company_ids) = match grant.as_ref().and_then(|g| g.company_id) {
        Some(company) => {
            let company = i64::from(company);
            if !user.company_ids.is_empty() && !user.company_ids.contains(&company) {
                return Err(OpError::Denied(
                    "this credential's company is not one of the Odoo user's companies".into(),
                ));
            }
            (Some(company), vec![company])
        }
        None => (user.company_id, user.company_ids.clone()),
    };
    let principal = Principal::new(user.uid, user.login, grant, home_company, company_ids, key);
    Ok(match token_scopes {
        Some(scopes) => principal.with_token_scopes(scopes),
        None => principal,
    })
}

/// Odoo cannot be asked who the key belongs to. A key that matched an
/// active stored credential (verified here, by its hash) is its user as
/// far as the handshake goes: such a caller may open a session and list
/// tools, and each operation is refused saying Odoo is unreachable. Not
/// cached, so the next request asks Odoo again. Any other key: Odoo is
/// unavailable, as before.
fn offline(matched: Option<Credential>, key: ApiKey, why: String, today: time::Date) -> Result<Principal, OpError> {
    let Some(credential) = matched.filter(|c| c.is_active(today)) else {
        return Err(OpError::Unavailable(why));
    };
    let grant = Grant {
        credential_id: credential.id,
        label: credential.label.clone(),
        scope: credential.scope,
        company_id: credential.company_id,
    };
    let home_company = credential.company_id.map(i64::from);
    Ok(Principal::recognised_offline(i64::from(credential.user_id), credential.login, grant, home_company, key, why))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn parses_authorization_headers() {
        assert_eq!(Authorization::from_header(None), Authorization::Missing);
        assert_eq!(Authorization::from_header(Some("  ")), Authorization::Missing);
        assert_eq!(Authorization::from_header(Some("Bearer abc")), Authorization::Bearer("abc".into()));
        assert_eq!(Authorization::from_header(Some("bearer abc")), Authorization::Bearer("abc".into()));
        assert!(matches!(Authorization::from_header(Some("Bearer")), Authorization::Malformed(_)));
        assert_eq!(
            Authorization::from_header(Some(&format!("Basic {}", b64("admin:k3y")))),
            Authorization::Basic { login: "admin".into(), key: "k3y".into() }
        );
        assert!(matches!(Authorization::from_header(Some("Basic !!!")), Authorization::Malformed(_)));
        assert!(matches!(
            Authorization::from_header(Some(&format!("Basic {}", b64("nokey")))),
            Authorization::Malformed(_)
        ));
        assert!(matches!(Authorization::from_header(Some("Digest x")), Authorization::Malformed(_)));
        assert_eq!(format!("{:?}", Authorization::Bearer("secret".into())), "Bearer(<redacted>)");
    }
}
